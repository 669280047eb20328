"""Stakeholder pages: who may read and write, in-place edits, shared plans, query budgets."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from csos.links import link_token
from csos.models import SharedLink
from csos.tenancy import workspace_scope
from health.models import HealthSnapshot
from stakeholders import services
from stakeholders.models import (
    HandoffPromise,
    Interaction,
    InteractionParticipant,
    Milestone,
    Stakeholder,
)
from tests.factories import (
    AccountFactory,
    AccountUseCaseFactory,
    EvidenceFactory,
    UseCaseFactory,
)
from tests.stakeholders.factories import (
    InteractionFactory,
    ObjectiveFactory,
    SalesHandoffFactory,
    StakeholderFactory,
    SuccessPlanFactory,
)

PEOPLE = ("alice", "lena", "bob", "carol", "vera")
ROLES = ("admin", "leader", "owner csm", "other csm", "viewer")
WORKERS = (True, True, True, False, False)


@pytest.fixture
def person(request):
    return request.getfixturevalue(request.param)


def rights(allowed):
    return pytest.mark.parametrize(
        "person, allowed", list(zip(PEOPLE, allowed, strict=True)), ids=ROLES, indirect=["person"]
    )


@pytest.fixture
def acme(alpha, bob):
    """Bob's account with a person, an active plan, a milestone, a promise and a meeting."""
    account = AccountFactory(workspace=alpha, name="Acme Corp", owner=bob)
    dana = StakeholderFactory(account=account, name="Dana Reyes", role="owner")
    plan = SuccessPlanFactory(account=account, title="Acme plan", starts_on=dt.date(2025, 1, 1))
    ObjectiveFactory(plan=plan, title="Faster triage", owner=dana)
    Milestone.dangerously_unscoped.create(
        workspace=alpha, plan=plan, title="Pilot live", due_on=dt.date(2025, 3, 1)
    )
    handoff = SalesHandoffFactory(account=account)
    HandoffPromise.dangerously_unscoped.create(
        workspace=alpha, handoff=handoff, outcome="Cut response time"
    )
    InteractionFactory(account=account, title="Kick-off", prep_objective="Agree the pilot")
    return account


def objects_of(acme):
    with workspace_scope(acme.workspace):
        return {
            "account_id": acme.pk,
            "stakeholder_id": Stakeholder.objects.get().pk,
            "plan_id": acme.success_plans.get().pk,
            "objective_id": acme.success_plans.get().objectives.get().pk,
            "milestone_id": Milestone.objects.get().pk,
            "promise_id": HandoffPromise.objects.get().pk,
            "interaction_id": Interaction.objects.get().pk,
        }


READ_PAGES = [
    ("stakeholder_map", "account_id"),
    ("plan_editor", "account_id"),
    ("handoff_edit", "account_id"),
    ("timeline", "account_id"),
    ("interaction_prep", "interaction_id"),
]
# Last of all, the new plan archives the one the other pages write to.
WRITE_PAGES = [
    ("stakeholder_create", "account_id", {"name": "New person", "role": "producer"}),
    ("stakeholder_edit", "stakeholder_id", {"name": "Renamed"}),
    ("objective_add", "plan_id", {"objective-title": "Another"}),
    ("objective_edit", "objective_id", {"title": "Renamed"}),
    ("milestone_add", "plan_id", {"milestone-title": "Go live", "milestone-due_on": "2025-05-01"}),
    ("milestone_status", "milestone_id", {"status": "done"}),
    ("plan_review_add", "plan_id", {"review-reviewed_on": "2025-06-01", "review-changes": "x"}),
    ("plan_share", "plan_id", {}),
    ("promise_status", "promise_id", {"status": "proven"}),
    ("interaction_create", "account_id", {"kind": "call", "title": "Call"}),
    ("interaction_edit", "interaction_id", {"kind": "call", "title": "Call"}),
    ("plan_create", "account_id", {"title": "Next plan", "starts_on": "2026-01-01"}),
    ("stakeholder_delete", "stakeholder_id", {}),
]


def snapshot(acme):
    with workspace_scope(acme.workspace):
        return [
            list(model.objects.order_by("pk").values())
            for model in (Stakeholder, Interaction, Milestone, HandoffPromise, SharedLink)
        ] + [list(acme.success_plans.order_by("pk").values())]


@pytest.mark.django_db
@pytest.mark.parametrize("person", PEOPLE, indirect=True)
def test_it_lets_every_member_read_the_stakeholder_pages(client, acme, person):
    client.force_login(person)
    ids = objects_of(acme)
    for name, arg in READ_PAGES:
        response = client.get(reverse(name, kwargs={arg: ids[arg]}))
        assert response.status_code == 200, name


@pytest.mark.django_db
@rights(WORKERS)
def test_it_lets_only_those_who_work_the_account_write(client, acme, person, allowed):
    client.force_login(person)
    ids = objects_of(acme)
    for name, arg, data in WRITE_PAGES:
        before = snapshot(acme)
        response = client.post(reverse(name, kwargs={arg: ids[arg]}), data)
        if allowed:
            assert response.status_code in {200, 302, 400}, name
        else:
            assert response.status_code == 403, name
            assert snapshot(acme) == before, name


@pytest.mark.django_db
@rights((True, False, False, False, False))
def test_it_lets_only_admins_edit_the_stakeholder_model(client, alpha, person, allowed):
    client.force_login(person)
    response = client.post(
        reverse("stakeholder_model_settings"),
        {
            **{
                f"{role}-messages": f"{role} message"
                for role in ("enabler", "producer", "champion", "owner")
            },
            "thresholds-plan_due_days": 20,
            "thresholds-review_due_days": 90,
            "thresholds-departure_signal_days": 60,
            "thresholds-theatre_window_days": 60,
            "thresholds-theatre_min_interactions": 4,
        },
    )
    assert response.status_code == (302 if allowed else 403)
    with workspace_scope(alpha):
        from stakeholders.selectors import flag_thresholds, role_guides

        assert (flag_thresholds().plan_due_days == 20) is allowed
        assert (role_guides()["owner"]["messages"] == ["owner message"]) is allowed


@pytest.mark.django_db
def test_it_answers_bad_input_with_field_errors_and_saves_nothing(client, alpha, bob, acme):
    client.force_login(bob)
    url = reverse("stakeholder_create", args=[acme.pk])
    response = client.post(
        url,
        {
            "name": "Pat",
            "email": "not-an-email",
            "role": "owner",
            "influence": 3,
            "sentiment": "unknown",
            "status": "left",
            "added_on": "2025-05-01",
            "left_on": "2025-04-01",
        },
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    with workspace_scope(alpha):
        other = StakeholderFactory(account=AccountFactory(workspace=alpha, owner=bob))
    response = client.post(
        reverse("interaction_create", args=[acme.pk]),
        {"kind": "call", "occurred_on": "2025-05-01", "title": "Call", "participants": [other.pk]},
    )
    assert response.status_code == 400
    assert "Participants must be stakeholders of this account." in response.content.decode()
    with workspace_scope(alpha):
        assert Stakeholder.objects.count() == 2
        assert Interaction.objects.count() == 1


@pytest.mark.django_db
def test_it_changes_a_milestone_status_in_place(client, bob, acme):
    client.force_login(bob)
    milestone_id = objects_of(acme)["milestone_id"]
    response = client.post(
        reverse("milestone_status", args=[milestone_id]), {"status": "done"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith(f'<tr id="milestone-{milestone_id}">')
    assert '<option value="done" selected>' in body


@pytest.mark.django_db
def test_it_shares_a_plan_read_only_until_the_link_expires_or_is_revoked(client, alpha, bob, acme):
    with workspace_scope(alpha):
        Stakeholder.objects.update(notes="INTERNAL-NOTE")
        plan = acme.success_plans.get()
        link = services.plan_share_link_create(plan=plan, by=bob)
    url = reverse("plan_shared", args=[link_token(link)])
    body = client.get(url).content.decode()
    assert "Faster triage" in body and "Pilot live" in body and "Dana Reyes" in body
    assert "INTERNAL-NOTE" not in body and "12,000" not in body
    assert client.get(url[:-3] + "xyz/").status_code == 403

    SharedLink.dangerously_unscoped.filter(pk=link.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client.get(url).status_code == 403
    SharedLink.dangerously_unscoped.filter(pk=link.pk).update(
        expires_at=timezone.now() + dt.timedelta(days=1)
    )
    assert client.get(url).status_code == 200
    client.force_login(bob)
    client.post(reverse("plan_share_revoke", args=[link.pk]))
    client.logout()
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_it_ties_an_objective_to_a_use_case_of_the_workspaces_framework(
    client, alpha, beta, bob, acme
):
    triage = UseCaseFactory(workspace=alpha, name="Automated routing")
    foreign = UseCaseFactory(workspace=beta, name="BETA-USE-CASE")
    objective_id = objects_of(acme)["objective_id"]
    url = reverse("objective_edit", args=[objective_id])
    client.force_login(bob)
    assert "Automated routing" in (page := client.get(url).content.decode())
    assert "BETA-USE-CASE" not in page
    refused = client.post(
        url, {"title": "Faster triage", "use_case": foreign.pk, "target_level": 3}
    )
    assert refused.status_code == 400 and "use_case" in refused.context["form"].errors
    client.post(url, {"title": "Faster triage", "use_case": triage.pk, "target_level": 3})
    with workspace_scope(alpha):
        assert acme.success_plans.get().objectives.get().use_case == triage
    editor = client.get(reverse("plan_editor", args=[acme.pk])).content.decode()
    assert "<td>Automated routing</td>" in editor


# ---- query budget of the account-page panels ----------------------------------------------


def grow(acme, size: int) -> None:
    """Give Acme ``size`` more stakeholders, objectives and interactions with participants."""
    workspace = acme.workspace
    with workspace_scope(workspace):
        plan = acme.success_plans.get()
        for index in range(size):
            person = StakeholderFactory(account=acme, role=("owner", "producer")[index % 2])
            ObjectiveFactory(plan=plan, owner=person if index % 3 else None)
            meeting = InteractionFactory(account=acme)
            InteractionParticipant.dangerously_unscoped.create(
                workspace=workspace, interaction=meeting, stakeholder=person
            )


def account_page_queries(client, acme) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("account_detail", args=[acme.pk]))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_it_keeps_the_account_page_to_a_fixed_number_of_queries(client, acme, bob):
    client.force_login(bob)
    grow(acme, 2)
    small = account_page_queries(client, acme)
    grow(acme, 25)
    assert account_page_queries(client, acme) == small


@pytest.mark.django_db
def test_it_shows_the_map_plan_promises_and_timeline_on_the_account_page(client, acme, vera):
    client.force_login(vera)
    body = client.get(reverse("account_detail", args=[acme.pk])).content.decode()
    for shown in ("Dana Reyes", "No Champion", "Faster triage", "Cut response time", "Kick-off"):
        assert shown in body
    assert reverse("interaction_create", args=[acme.pk]) not in body  # a viewer records nothing


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["stakeholder_map", "plan_editor", "timeline"])
def test_it_keeps_each_stakeholder_page_to_a_fixed_number_of_queries(client, acme, bob, name):
    client.force_login(bob)
    url = reverse(name, args=[acme.pk])
    grow(acme, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    grow(acme, 25)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)


@pytest.mark.django_db
def test_it_filters_the_timeline_by_kind_participant_and_dates(client, alpha, vera, acme):
    with workspace_scope(alpha):
        dana = Stakeholder.objects.get()
        call = InteractionFactory(
            account=acme, kind="call", title="Budget call", occurred_on=dt.date(2025, 9, 1)
        )
        InteractionParticipant.objects.create(workspace=alpha, interaction=call, stakeholder=dana)
        InteractionFactory(account=acme, kind="email", title="Recap mail")
    client.force_login(vera)
    url = reverse("timeline", args=[acme.pk])

    def titles(query):
        body = client.get(url, query).content.decode()
        return {title for title in ("Kick-off", "Budget call", "Recap mail") if title in body}

    assert titles({}) == {"Kick-off", "Budget call", "Recap mail"}
    assert titles({"kind": "call"}) == {"Budget call"}
    assert titles({"participant": dana.pk}) == {"Budget call"}
    assert titles({"start": "2025-08-01", "end": "2025-12-31"}) == {"Budget call"}


def formset(prefix, rows, initial=0):
    data = {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": initial}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


@pytest.mark.django_db
def test_it_records_the_handoff_and_starts_the_plan_from_it(client, alpha, bob):
    globex = AccountFactory(workspace=alpha, name="Globex", owner=bob)
    client.force_login(bob)
    response = client.post(
        reverse("handoff_edit", args=[globex.pk]),
        {
            "signed_on": "2026-01-05",
            "use_cases": "Ticket triage",
            **formset(
                "promise",
                [
                    {"outcome": "Cut response time", "use_case_name": "Triage", "target_level": 3},
                    {"outcome": "Prove ROI", "use_case_name": "Triage", "target_level": 4},
                ],
            ),
            **formset(
                "person",
                [
                    {"name": "Ada Owner", "email": "ada@globex.example", "role": "owner"},
                    {"name": "Cy Champion", "email": "not-an-email", "role": "champion"},
                ],
            ),
        },
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    with workspace_scope(alpha):
        assert not HandoffPromise.objects.exists()

    response = client.post(
        reverse("handoff_edit", args=[globex.pk]),
        {
            "signed_on": "2026-01-05",
            **formset("promise", [{"outcome": "Cut response time", "target_level": 3}]),
            **formset("person", [{"name": "Ada Owner", "role": "owner"}]),
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("plan_create", args=[globex.pk]),
        {"title": "Globex plan", "starts_on": "2026-01-10", "from_handoff": "on"},
    )
    assert response.status_code == 302
    body = client.get(reverse("plan_editor", args=[globex.pk])).content.decode()
    assert "Cut response time" in body and "Ada Owner" in body


@pytest.mark.django_db
def test_it_prepares_a_meeting_with_proven_value_disputed_claims_health_and_renewal(
    login, alpha, bob, acme
):
    today = timezone.localdate()
    with workspace_scope(alpha):
        Account.objects.filter(pk=acme.pk).update(renewal_date=today + dt.timedelta(days=40))
        counted = EvidenceFactory(
            account=acme, status="proven", claim="Triage halved", confirmed_on=today
        )
        # The stored ladder counted it: proven value is what the ladder counts, nothing else.
        AccountUseCaseFactory(
            account=acme, use_case=counted.use_case, level=3, proof_ids=[counted.pk]
        )
        EvidenceFactory(account=acme, status="disputed", claim="Two hires saved")
        EvidenceFactory(account=acme, status="unproven", claim="Fewer escalations")
        HealthSnapshot.objects.create(
            workspace=alpha,
            account=acme,
            week=today - dt.timedelta(days=today.weekday()),
            total=42.4,
            band="red",
            model_name="Default",
            model_version=1,
        )
        interaction = Interaction.objects.get()
    page = login(bob).get(reverse("interaction_prep", args=[interaction.pk])).content.decode()
    proven, disputed = re.search(
        r"<h3>Proven</h3>(.*?)<h3>Disputed</h3>(.*?)</ul>", page, re.S
    ).groups()
    assert "Triage halved" in proven and "Two hires saved" not in proven
    assert "Two hires saved" in disputed and "Triage halved" not in disputed
    assert "Fewer escalations" not in page
    assert re.search(r'<span class="badge bad">Red</span> 42 of 100', page)
    renewal = (today + dt.timedelta(days=40)).strftime("%b %-d, %Y")
    assert f"Renewal: {renewal} (in 40 days)" in page


@pytest.mark.django_db
@rights(WORKERS)
def test_it_shows_the_handoff_read_only_to_whoever_cannot_save_it(login, acme, person, allowed):
    page = login(person).get(reverse("handoff_edit", args=[acme.pk])).content.decode()
    main = page[page.index('<main id="content"') :]
    assert "Cut response time" in main
    assert ("Save handoff" in main) is allowed
    assert bool(re.search(r"<(input|textarea|select)\b(?![^>]*csrf)", main)) is allowed
