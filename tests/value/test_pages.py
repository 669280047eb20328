"""Value pages: wiring, the rights of each role, panels on the account page, query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from csos.tenancy import workspace_scope
from framework.models import UseCase
from tests.factories import (
    AccountFactory,
    AccountUseCaseFactory,
    EvidenceFactory,
    UsageMetricFactory,
    UseCaseFactory,
)
from tests.stakeholders.factories import StakeholderFactory
from value.models import Evidence, RetentionArtifact, Threshold
from value.services import ladder_refresh

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def acme(alpha, bob):
    return AccountFactory(workspace=alpha, name="Acme", owner=bob)


@pytest.fixture
def triage(alpha):
    return UseCaseFactory(workspace=alpha, name="Ticket triage")


def use_case_post(metric, minimum="100", name="Reporting"):
    return {
        "name": name,
        "outcome": "Decisions on current data",
        "implicit_value": "1000",
        "assisted_value": "5000",
        "thresholds-TOTAL_FORMS": "1",
        "thresholds-INITIAL_FORMS": "0",
        "thresholds-0-level": "2",
        "thresholds-0-metric": str(metric.pk),
        "thresholds-0-minimum": minimum,
    }


def test_it_shows_the_framework_to_everyone_and_its_controls_to_admins(
    login, alice, lena, bob, vera, triage
):
    url = reverse("value_framework")
    for person in (alice, lena, bob, vera):
        response = login(person).get(url)
        assert response.status_code == 200
        assert "Ticket triage" in response.content.decode()
        assert ("New use case" in response.content.decode()) == (person == alice)


def test_it_lets_only_admins_change_the_framework(login, alpha, alice, lena, bob, vera, triage):
    metric = UsageMetricFactory(workspace=alpha)
    for name, args in (
        ("value_use_case_create", []),
        ("value_use_case_edit", [triage.pk]),
        ("value_metric_create", []),
        ("value_metric_edit", [metric.pk]),
        ("value_settings", []),
    ):
        url = reverse(name, args=args)
        assert login(alice).get(url).status_code == 200, name
        for person in (lena, bob, vera):
            assert login(person).get(url).status_code == 403, (name, person)
    assert (
        login(lena).post(reverse("value_use_case_create"), use_case_post(metric)).status_code == 403
    )
    assert not UseCase.dangerously_unscoped.filter(name="Reporting").exists()


def test_it_saves_a_use_case_with_its_thresholds(login, alpha, alice):
    metric = UsageMetricFactory(workspace=alpha, name="Reports viewed")
    response = login(alice).post(reverse("value_use_case_create"), use_case_post(metric))
    assert response.status_code == 302
    use_case = UseCase.dangerously_unscoped.get(name="Reporting")
    threshold = Threshold.dangerously_unscoped.get(use_case=use_case)
    assert (threshold.level, threshold.metric, threshold.minimum) == (2, metric, Decimal(100))


def test_it_refuses_a_threshold_that_is_not_a_number_and_saves_nothing(login, alpha, alice):
    metric = UsageMetricFactory(workspace=alpha)
    response = login(alice).post(
        reverse("value_use_case_create"), use_case_post(metric, minimum="lots")
    )
    assert response.status_code == 400
    assert "Enter a number." in response.content.decode()
    assert not UseCase.dangerously_unscoped.exists()


def test_it_leads_the_account_page_with_the_retention_artifact(login, acme, triage, vera):
    AccountUseCaseFactory(account=acme, use_case=triage)
    with workspace_scope(acme.workspace):
        ladder_refresh(account_ids=[acme.pk])
    body = login(vera).get(reverse("account_detail", args=[acme.pk])).content.decode()
    first_panel = body.index('class="card panel"')
    artifact = body.index('id="panel-retention-artifact"')
    ladder = body.index('id="panel-value-ladder"')
    assert first_panel < artifact < ladder
    assert 'class="card panel"' not in body[first_panel + 1 : artifact]
    assert "Ticket triage: level 0 of 4" in body
    assert "usage alone never proves this level" in body


@pytest.mark.parametrize(
    "person, can_edit",
    [("alice", True), ("lena", True), ("bob", True), ("carol", False), ("vera", False)],
)
def test_it_offers_value_edits_only_to_editors_of_the_account(
    request, login, acme, triage, person, can_edit
):
    user = request.getfixturevalue(person)
    client = login(user)
    body = client.get(reverse("account_detail", args=[acme.pk])).content.decode()
    assert ("Edit next action" in body) == can_edit
    assert ("Add evidence" in body) == can_edit
    expected = 200 if can_edit else 403
    assert client.get(reverse("value_evidence_create", args=[acme.pk])).status_code == expected
    assert client.get(reverse("value_retention_artifact", args=[acme.pk])).status_code == expected
    posted = client.post(
        reverse("value_account_use_cases", args=[acme.pk]), {"use_cases": [triage.pk]}
    )
    assert posted.status_code == (302 if can_edit else 403)


def test_it_edits_the_next_action_in_place(login, acme, bob):
    client = login(bob)
    form = client.get(reverse("value_retention_artifact", args=[acme.pk]), **HTMX)
    assert form.status_code == 200
    assert "<html" not in form.content.decode()
    due = timezone.localdate() + timedelta(days=14)
    response = client.post(
        reverse("value_retention_artifact", args=[acme.pk]),
        {"next_action": "Book the ROI review with the CFO", "owner": bob.pk, "due_on": due},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div class="grid-2" id="retention-artifact-body">')
    assert "Book the ROI review with the CFO" in body
    artifact = RetentionArtifact.dangerously_unscoped.get(account=acme)
    assert (artifact.owner, artifact.due_on) == (bob, due)


def test_it_records_and_edits_evidence_through_the_pages(login, acme, triage, bob):
    client = login(bob)
    response = client.post(
        reverse("value_evidence_create", args=[acme.pk]),
        {
            "use_case": triage.pk,
            "level": 3,
            "claim": "Triage time halved",
            "baseline": "40",
            "current": "20",
            "source": "usage",
            "status": "unproven",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.dangerously_unscoped.get()
    page = client.get(reverse("value_evidence", args=[evidence.pk]))
    assert "Recorded" in page.content.decode()
    bad = client.post(
        reverse("value_evidence", args=[evidence.pk]),
        {"use_case": triage.pk, "level": 3, "claim": "x", "current": "5", "source": "usage",
         "status": "unproven"},
    )  # fmt: skip
    assert bad.status_code == 400
    assert "A current value needs the baseline" in bad.content.decode()


def test_it_offers_only_the_accounts_stakeholders_as_confirmers(login, alpha, acme, triage, bob):
    dana = StakeholderFactory(account=acme, name="Dana Reyes", role="owner")
    StakeholderFactory(account=AccountFactory(workspace=alpha), name="Other Account Person")
    client = login(bob)
    form = client.get(reverse("value_evidence_create", args=[acme.pk])).context["form"]
    with workspace_scope(alpha):
        assert list(form.fields["confirmed_by_stakeholder"].queryset) == [dana]
    response = client.post(
        reverse("value_evidence_create", args=[acme.pk]),
        {"use_case": triage.pk, "level": 4, "claim": "Saved 90k", "baseline": "0",
         "current": "90000", "source": "customer", "status": "unproven",
         "confirmed_by_stakeholder": dana.pk},
    )  # fmt: skip
    assert response.status_code == 302
    evidence = Evidence.dangerously_unscoped.get()
    assert evidence.confirmed_by_stakeholder_id == dana.pk
    page = client.get(reverse("value_evidence", args=[evidence.pk])).content.decode()
    assert "Dana Reyes (Owner)" in page


def test_it_lets_other_members_read_but_not_change_evidence(login, acme, triage, carol, vera):
    evidence = EvidenceFactory(account=acme, use_case=triage)
    url = reverse("value_evidence", args=[evidence.pk])
    for person in (carol, vera):
        client = login(person)
        assert client.get(url).status_code == 200
        assert client.post(url, {"claim": "changed"}).status_code == 403


def account_page_queries(client, account) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("account_detail", args=[account.pk])).status_code == 200
    return len(queries)


def test_it_reads_the_account_page_in_the_same_queries_at_any_size(login, alpha, acme, bob):
    UsageMetricFactory(workspace=alpha)
    AccountUseCaseFactory(account=acme, use_case=UseCaseFactory(workspace=alpha))
    EvidenceFactory(account=acme, use_case=UseCase.dangerously_unscoped.first())
    client = login(bob)
    small = account_page_queries(client, acme)
    for _ in range(6):
        use_case = UseCaseFactory(workspace=alpha)
        AccountUseCaseFactory(account=acme, use_case=use_case)
        EvidenceFactory(account=acme, use_case=use_case, status="proven",
                        confirmed_on=timezone.localdate())  # fmt: skip
    assert account_page_queries(client, acme) == small


def test_it_adds_a_sortable_filterable_proven_level_column_to_the_portfolio(
    login, alpha, lena, triage
):
    for name, level in (("Level Two", 2), ("Level Four", 4), ("Level None", None)):
        account = AccountFactory(workspace=alpha, name=name)
        if level is not None:
            AccountUseCaseFactory(account=account, use_case=triage, level=level)
    client = login(lena)
    response = client.get(reverse("portfolio"), {"sort": "-proven_level"})
    body = response.content.decode()
    assert "Proven level" in body
    names = [row["name"] for row in response.context["page"].object_list]
    assert names == ["Level Four", "Level Two", "Level None"]
    assert ">ROI<" in body and ">None proven<" in body
    filtered = client.get(reverse("portfolio"), {"proven_level": "2"})
    assert [row["name"] for row in filtered.context["page"].object_list] == ["Level Two"]
    assert client.get(reverse("portfolio"), {"proven_level": "9"}).status_code == 200


@pytest.mark.django_db
def test_it_heads_the_next_action_page_without_javascript(login, acme, bob):
    page = login(bob).get(reverse("value_retention_artifact", args=[acme.pk])).content.decode()
    assert f"<h1>Next action for {acme.name}</h1>" in page
