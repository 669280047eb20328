"""Who may make a fact true, and one stored level on every surface (issue 15, sections 1-2).

Level 4 (ROI) counts only when the stakeholder a confirmation link was addressed to answers it
while they are the account's active Owner; nothing recorded by hand reaches it. Every surface
reads the level ``ladder_refresh`` stored, refreshed by each write that moves it.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from csos.models import AuditEvent, SharedLink
from csos.tenancy import workspace_scope
from health import scoring
from health.loader import scoring_frame
from stakeholders.services import stakeholder_erase, stakeholder_update
from tests.factories import (
    AccountFactory,
    EvidenceFactory,
    UsageMetricFactory,
    UseCaseFactory,
)
from tests.stakeholders.factories import StakeholderFactory
from value import selectors, services
from value.forms import ConfirmationSendForm
from value.ingest import usage_bulk_upsert
from value.models import AccountUseCase, Aggregation, Evidence, Threshold, UsageRecord
from value.selectors import coverage as coverage_selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def triage(alpha):
    """Presence: peak active users ≥ 5; engagement: ≥ 8."""
    users = UsageMetricFactory(workspace=alpha, key="active_users", aggregation=Aggregation.MAX)
    use_case = UseCaseFactory(workspace=alpha, name="Ticket triage")
    for level, minimum in ((1, 5), (2, 8)):
        Threshold.dangerously_unscoped.create(
            workspace=alpha, use_case=use_case, level=level, metric=users, minimum=minimum
        )
    return use_case


@pytest.fixture
def acme(alpha, bob, triage):
    """An engaged account with proven use-case value: level 3, as its writes stored it."""
    today = timezone.localdate()
    account = AccountFactory(workspace=alpha, name="Acme", owner=bob, external_id="ACME")
    UsageRecord.dangerously_unscoped.create(
        workspace=alpha, account=account, metric_id=triage_metric(triage), day=today, value=10
    )
    with workspace_scope(alpha):
        services.account_use_cases_set(workspace=alpha, account=account, use_cases=[triage])
        services.evidence_record(
            workspace=alpha,
            account=account,
            by=bob,
            data={
                "use_case": triage,
                "level": 3,
                "claim": "Triage time fell from 40 to 12 minutes.",
                "baseline": Decimal(40),
                "current": Decimal(12),
                "source": "customer",
                "status": "proven",
                "confirmed_on": today - timedelta(days=5),
            },
        )
    return account


def triage_metric(use_case) -> int:
    return Threshold.dangerously_unscoped.filter(use_case=use_case).values_list(
        "metric_id", flat=True
    )[0]


@pytest.fixture
def roi(acme, triage):
    return EvidenceFactory(
        account=acme,
        use_case=triage,
        level=4,
        claim="Triage saves 120,000 a year.",
        metric_name="Annual saving",
        baseline=0,
        current=120_000,
        unit="USD a year",
    )


@pytest.fixture
def dana(acme):
    return StakeholderFactory(
        account=acme, name="Dana Reyes", email="dana@acme.example", role="owner"
    )


@pytest.fixture
def pat(acme):
    return StakeholderFactory(
        account=acme, name="Pat Kim", email="pat@acme.example", role="producer"
    )


def level_of(account) -> int:
    return AccountUseCase.dangerously_unscoped.get(account=account).level


def send(evidence, stakeholder, by) -> str:
    """Send the claim to ``stakeholder``; returns the link's path."""
    with workspace_scope(evidence.workspace):
        _request, url = services.evidence_confirmation_send(
            evidence=evidence,
            by=by,
            stakeholder=stakeholder,
            url_for_token=lambda token: reverse("value_confirm", kwargs={"token": token}),
        )
    return url


def confirm(client, url):
    response = client.post(url, {"answer": "confirm"})
    assert response.status_code == 200, response.content
    return response


def roi_form(triage, **fields):
    return {
        "use_case": triage.pk,
        "level": "4",
        "claim": "Triage saves 120,000 a year.",
        "source": "customer",
        "status": "proven",
        "confirmed_on": timezone.localdate().isoformat(),
        **fields,
    }


def proven_section(body: str) -> str:
    return body[body.index("<h3>Proven</h3>") : body.index("<h3>Unproven</h3>")]


# ----------------------------------------------------------------------------- section 1


def test_it_refuses_roi_proven_by_hand_on_the_form_and_shows_no_roi_on_the_account_page(
    login, acme, triage, pat
):
    client = login(acme.owner)
    response = client.post(
        reverse("value_evidence_create", args=[acme.pk]),
        roi_form(triage, confirmed_by_stakeholder=pat.pk),
    )
    assert response.status_code == 400
    assert "Only the customer&#x27;s Owner proves ROI" in response.content.decode()
    assert not Evidence.dangerously_unscoped.filter(level=4).exists()
    body = client.get(reverse("account_detail", args=[acme.pk])).content.decode()
    assert "ROI" not in proven_section(body)
    assert "Ticket triage: level 3 of 4" in body


def test_it_keeps_roi_the_ladder_does_not_count_out_of_the_artifacts_proven_list(
    client, login, acme, roi, pat
):
    confirm(client, send(roi, pat, acme.owner))
    roi.refresh_from_db()
    assert roi.status == "proven"  # the Producer did confirm it
    body = login(acme.owner).get(reverse("account_detail", args=[acme.pk])).content.decode()
    assert "Triage saves 120,000 a year." not in proven_section(body)
    assert "answered by a Producer, and only the account&#x27;s Owner confirms ROI" in body
    assert "Ticket triage: level 3 of 4" in body


def test_it_reaches_roi_when_the_owner_answers_a_claim_naming_its_confirmer_in_free_text(
    client, acme, roi, dana
):
    roi.confirmed_by_name = "Dana, the CFO"
    roi.save()
    confirm(client, send(roi, dana, acme.owner))
    assert level_of(acme) == 4
    roi.refresh_from_db()
    assert (roi.confirmed_by_stakeholder, roi.confirmation.stakeholder) == (dana, dana)
    assert roi.confirmation.answered_role == "owner"


def test_it_stays_at_level_3_when_a_producer_answers_a_claim_tagged_with_the_owner(
    client, acme, roi, dana, pat
):
    roi.confirmed_by_stakeholder = dana
    roi.save()
    confirm(client, send(roi, pat, acme.owner))
    assert level_of(acme) == 3
    roi.refresh_from_db()
    assert roi.confirmed_by_stakeholder == pat
    reasons = AccountUseCase.dangerously_unscoped.get(account=acme).reasons
    assert "answered by a Producer" in reasons[3]


def test_it_binds_the_answer_to_the_role_the_stakeholder_holds_when_answering(
    client, alpha, acme, roi, dana, pat
):
    url = send(roi, pat, acme.owner)
    with workspace_scope(alpha):
        stakeholder_update(stakeholder=pat, by=acme.owner, data={"role": "owner"})
    confirm(client, url)
    assert level_of(acme) == 4

    second = EvidenceFactory(account=acme, use_case=roi.use_case, level=4, baseline=0, current=5)
    url = send(second, dana, acme.owner)
    Evidence.dangerously_unscoped.filter(pk=roi.pk).update(status="disputed", confirmation=None)
    with workspace_scope(alpha):
        stakeholder_update(stakeholder=dana, by=acme.owner, data={"role": "champion"})
    confirm(client, url)
    assert level_of(acme) == 3


def test_it_refuses_roi_from_an_owner_who_left_before_answering(client, alpha, acme, roi, dana):
    url = send(roi, dana, acme.owner)
    with workspace_scope(alpha):
        stakeholder_update(
            stakeholder=dana,
            by=acme.owner,
            data={"status": "left", "left_on": timezone.localdate()},
        )
    confirm(client, url)
    assert level_of(acme) == 3
    roi.refresh_from_db()
    assert roi.confirmation.answered_active is False


def test_it_sends_only_to_active_people_of_the_accounts_map_with_an_email(
    login, alpha, acme, roi, dana
):
    gone = StakeholderFactory(account=acme, status="left", left_on=timezone.localdate())
    silent = StakeholderFactory(account=acme, email="")
    stranger = StakeholderFactory(account=AccountFactory(workspace=alpha), role="owner")
    client = login(acme.owner)
    page = client.get(reverse("value_evidence", args=[roi.pk])).content.decode()
    assert "Dana Reyes (Owner) &lt;dana@acme.example&gt;" in page
    with workspace_scope(alpha):
        offered = list(ConfirmationSendForm(account=acme).fields["stakeholder"].queryset)
    assert offered == [dana]
    assert "selected>Dana Reyes (Owner)" in page
    for person in (gone, silent, stranger):
        client.post(reverse("value_confirmation_send", args=[roi.pk]), {"stakeholder": person.pk})
    assert not SharedLink.dangerously_unscoped.exists()
    client.post(reverse("value_confirmation_send", args=[roi.pk]), {"stakeholder": dana.pk})
    request = roi.confirmations.model.dangerously_unscoped.get()
    assert (request.stakeholder, request.confirmer_name, request.confirmer_email) == (
        dana,
        "Dana Reyes",
        "dana@acme.example",
    )


def test_it_records_a_leaders_attestation_audited_and_shown_as_such_never_as_roi(
    login, acme, triage, lena, bob, dana
):
    url = reverse("value_evidence_create", args=[acme.pk])
    attested = roi_form(
        triage, status="attested", baseline="0", current="120000", confirmed_by_stakeholder=dana.pk
    )
    refused = login(bob).post(url, attested)
    assert refused.status_code == 400
    assert not Evidence.dangerously_unscoped.filter(level=4).exists()

    client = login(lena)
    assert client.post(url, attested).status_code == 302
    claim = Evidence.dangerously_unscoped.get(level=4)
    assert claim.status == "attested"
    assert level_of(acme) == 3
    event = AuditEvent.dangerously_unscoped.get(action="evidence.attest")
    assert event.actor == lena
    assert (
        "Attested in person"
        in client.get(reverse("value_evidence", args=[claim.pk])).content.decode()
    )
    body = client.get(reverse("account_detail", args=[acme.pk])).content.decode()
    assert "Attested in person" in body
    assert "Triage saves 120,000 a year." not in proven_section(body)


def test_it_lets_an_editor_keep_an_attestation_only_while_the_attested_claim_stays(
    login, acme, triage, lena, bob, dana
):
    attested = roi_form(
        triage, status="attested", baseline="0", current="120000", confirmed_by_stakeholder=dana.pk
    )
    login(lena).post(reverse("value_evidence_create", args=[acme.pk]), attested)
    claim = Evidence.dangerously_unscoped.get(level=4)
    url = reverse("value_evidence", args=[claim.pk])
    client = login(bob)
    link = {**attested, "source": "document", "document_url": "https://acme.example/qbr"}
    assert client.post(url, link).status_code == 302
    assert client.post(url, {**link, "current": "150000"}).status_code == 400
    claim.refresh_from_db()
    assert (claim.status, claim.current, claim.source) == ("attested", 120_000, "document")


def test_it_unbinds_the_customers_answer_when_the_confirmed_figures_change(
    client, alpha, acme, roi, dana
):
    confirm(client, send(roi, dana, acme.owner))
    assert level_of(acme) == 4
    roi.refresh_from_db()
    with workspace_scope(alpha):
        services.evidence_update(evidence=roi, by=acme.owner, data={"current": Decimal(150_000)})
    roi.refresh_from_db()
    assert (roi.status, roi.confirmation) == ("unproven", None)
    assert level_of(acme) == 3
    assert "no longer applies" in roi.changes.model.dangerously_unscoped.first().summary


def test_it_keeps_free_text_use_case_value_unproven(alpha, acme, triage, bob):
    with workspace_scope(alpha), pytest.raises(services.ProofRefused) as refused:
        services.evidence_record(
            workspace=alpha,
            account=acme,
            by=bob,
            data={
                "use_case": triage,
                "level": 3,
                "claim": "The team feels faster.",
                "source": "customer",
                "status": "proven",
                "confirmed_on": timezone.localdate(),
            },
        )
    assert "baseline" in refused.value.message_dict


# ----------------------------------------------------------------------------- section 2


def surfaces(client, account) -> dict[str, object]:
    """The level each surface shows for the account (the artifact: its highest proven claim)."""
    with workspace_scope(account.workspace):
        panel = selectors.account_ladder(account=account)[0].level
        artifact = selectors.retention_artifact(account=account)
        coverage = coverage_selectors.value_coverage(by="segment", as_of=timezone.localdate())
        health = scoring_frame(
            first_id=account.pk, last_id=account.pk, as_of=timezone.localdate()
        ).loc[account.pk]
    counts = coverage["groups"][0]["counts"]
    portfolio = [
        level
        for level in range(5)
        if account.name
        in client.get(reverse("portfolio"), {"proven_level": str(level)}).content.decode()
    ]
    stored = AccountUseCase.dangerously_unscoped.get(account=account)
    return {
        "panel": panel,
        "artifact": max((item["evidence"].level for item in artifact["proven"]), default=None),
        "artifact_claims": sorted(item["evidence"].pk for item in artifact["proven"]),
        "portfolio": portfolio,
        "coverage": [level for level, count in counts.items() if count],
        "api": client.get(reverse("api-account-detail", args=[account.pk])).json()["proven_level"],
        "health": int(health[scoring.LADDER_LEVEL]),
        "health_proofs": int(health[scoring.PROVEN_EVIDENCE]),
        "stored_claims": sorted(stored.proof_ids),
    }


def expected(level: int, claims: list[int]) -> dict[str, object]:
    return {
        "panel": level,
        "artifact": level if level >= 3 else None,
        "artifact_claims": claims,
        "portfolio": [level],
        "coverage": [level],
        "api": level,
        "health": level,
        "health_proofs": len(claims),
        "stored_claims": claims,
    }


def test_it_shows_one_level_on_every_surface_as_each_input_changes(
    client, login, alpha, lena, acme, roi, dana, django_capture_on_commit_callbacks
):
    level_three = list(
        Evidence.dangerously_unscoped.filter(account=acme, level=3).values_list("pk", flat=True)
    )
    reader = login(lena)
    assert surfaces(reader, acme) == expected(3, level_three)

    # The Owner's answer: level 4, the same moment everywhere.
    confirm(client, send(roi, dana, acme.owner))
    reader = login(lena)
    assert surfaces(reader, acme) == expected(4, sorted([*level_three, roi.pk]))

    # A role change after answering leaves the answer as it was given.
    with workspace_scope(alpha):
        stakeholder_update(stakeholder=dana, by=lena, data={"role": "champion"})
    assert surfaces(reader, acme) == expected(4, sorted([*level_three, roi.pk]))

    # The departure, recorded as of the day she answered: her answer no longer counts.
    with workspace_scope(alpha):
        stakeholder_update(
            stakeholder=dana, by=lena, data={"status": "left", "left_on": timezone.localdate()}
        )
    assert surfaces(reader, acme) == expected(3, level_three)

    # Evidence: the use-case value is disputed.
    with workspace_scope(alpha):
        services.evidence_update(
            evidence=Evidence.dangerously_unscoped.get(pk=level_three[0]),
            by=lena,
            data={"status": "disputed"},
        )
    assert surfaces(reader, acme) == expected(2, [])

    # A usage batch: the page says the ladder is recomputing until the background refresh ran.
    with workspace_scope(alpha), django_capture_on_commit_callbacks() as queued:
        usage_bulk_upsert(
            workspace=alpha,
            records=[
                {
                    "account_external_id": "ACME",
                    "metric": "active_users",
                    "day": timezone.localdate().isoformat(),
                    "value": 1,
                }
            ],
        )
    body = reader.get(reverse("account_detail", args=[acme.pk])).content.decode()
    assert "Recomputing, as of" in body
    for callback in queued:
        callback()
    assert surfaces(reader, acme) == expected(0, [])
    body = reader.get(reverse("account_detail", args=[acme.pk])).content.decode()
    assert "Recomputing" not in body


def test_it_reads_the_evidence_page_in_the_same_queries_whatever_was_sent(
    client, login, acme, roi, dana, pat
):
    confirm(client, send(roi, pat, acme.owner))
    reader = login(acme.owner)
    url = reverse("value_evidence", args=[roi.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert reader.get(url).status_code == 200
        return len(captured)

    few = queries()
    for person in (dana, pat, dana):
        send(roi, person, acme.owner)
    assert queries() == few


def test_it_scrubs_an_erased_persons_name_and_email_from_what_was_sent_to_them(
    client, login, alpha, acme, roi, dana
):
    confirm(client, send(roi, dana, acme.owner))
    reader = login(acme.owner)
    url = reverse("value_evidence", args=[roi.pk])
    assert "dana@acme.example" in reader.get(url).content.decode()
    with workspace_scope(alpha):
        stakeholder_erase(stakeholder=dana, by=acme.owner)
    body = reader.get(url).content.decode()
    assert "Dana Reyes" not in body and "dana@acme.example" not in body
    assert "Erased person" in body
    assert level_of(acme) == 4  # the answer still counts as given
