"""Value services on the database: the stored ladder follows usage and evidence; bad input."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import AccountFactory, UsageMetricFactory, UseCaseFactory
from tests.stakeholders.factories import StakeholderFactory
from value import services
from value.forms import ThresholdFormSet
from value.models import (
    AccountUseCase,
    Aggregation,
    Evidence,
    EvidenceChange,
    Threshold,
    UsageRecord,
)
from value.selectors import account_value_delta, retention_artifact

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 30)


@pytest.fixture
def triage(alpha, in_alpha):
    """A use case: presence = peak active users ≥ 50% of seats, engagement = ≥ 100 triages/week."""
    users = UsageMetricFactory(workspace=alpha, key="active_users", aggregation=Aggregation.MAX)
    triages = UsageMetricFactory(workspace=alpha, key="triages", name="Triages")
    use_case = UseCaseFactory(workspace=alpha, name="Ticket triage")
    Threshold.objects.create(
        workspace=alpha, use_case=use_case, level=1, metric=users, minimum=Decimal("0.5"),
        per_seat=True,
    )  # fmt: skip
    Threshold.objects.create(
        workspace=alpha, use_case=use_case, level=2, metric=triages, minimum=100
    )
    return {"use_case": use_case, "users": users, "triages": triages}


@pytest.fixture
def acme(alpha, bob, triage):
    account = AccountFactory(workspace=alpha, name="Acme", owner=bob, licensed_seats=20)
    services.account_use_cases_set(workspace=alpha, account=account, use_cases=[triage["use_case"]])
    return account


def usage(alpha, account, metric, value, days=28):
    UsageRecord.objects.bulk_create(
        UsageRecord(workspace=alpha, account=account, metric=metric, day=TODAY - timedelta(d),
                    value=value)
        for d in range(days)
    )  # fmt: skip


def level_of(account):
    return AccountUseCase.objects.get(account=account).level


def proven_claim(use_case, **overrides):
    return {
        "use_case": use_case,
        "level": 3,
        "claim": "Triage time fell from 40 to 12 minutes.",
        "baseline": Decimal(40),
        "current": Decimal(12),
        "source": "customer",
        "status": "proven",
        "confirmed_on": TODAY - timedelta(days=10),
        **overrides,
    }


def test_it_stores_engagement_from_usage_and_never_more(alpha, acme, triage):
    usage(alpha, acme, triage["users"], 12)
    usage(alpha, acme, triage["triages"], 50)  # 350 a week
    services.ladder_refresh(as_of=TODAY)
    assert level_of(acme) == 2


def test_it_raises_the_stored_level_when_evidence_is_recorded(alpha, acme, triage, bob):
    usage(alpha, acme, triage["users"], 12)
    usage(alpha, acme, triage["triages"], 50)
    services.ladder_refresh(as_of=TODAY)
    services.evidence_record(
        workspace=alpha, account=acme, by=bob, data=proven_claim(triage["use_case"])
    )
    services.ladder_refresh(as_of=TODAY)
    assert level_of(acme) == 3
    services.ladder_refresh(as_of=TODAY + timedelta(days=200))
    assert level_of(acme) == 0  # the evidence went stale, and the usage window is empty


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"baseline": None, "status": "unproven"}, "baseline"),
        ({"confirmed_on": timezone.localdate() + timedelta(days=1)}, "confirmed_on"),
        ({"level": 4, "status": "attested", "confirmed_by_name": "  "}, "confirmed_by_name"),
        ({"confirmed_on": None}, "confirmed_on"),
        ({"source": "document", "document_url": ""}, "document_url"),
    ],
    ids=["current-without-baseline", "future-confirmation", "attested-without-confirmer",
         "proven-without-date", "document-without-link"],
)  # fmt: skip
def test_it_refuses_bad_evidence_naming_the_field_and_saves_nothing(
    alpha, acme, triage, bob, overrides, field
):
    with pytest.raises(ValidationError) as error:
        services.evidence_record(
            workspace=alpha,
            account=acme,
            by=bob,
            data=proven_claim(triage["use_case"], **overrides),
        )
    assert field in error.value.message_dict
    assert not Evidence.objects.exists()
    assert not EvidenceChange.objects.exists()


def test_it_keeps_the_history_of_each_change(alpha, acme, triage, bob, carol):
    evidence = services.evidence_record(
        workspace=alpha, account=acme, by=bob, data=proven_claim(triage["use_case"])
    )
    services.evidence_update(evidence=evidence, by=carol, data={"current": Decimal(10)})
    services.evidence_update(evidence=evidence, by=carol, data={"current": Decimal(10)})
    changes = list(evidence.changes.order_by("at", "id"))
    assert [change.summary for change in changes] == ["Recorded", "Changed current"]
    assert changes[1].by == carol
    assert changes[1].before == {"current": "12"}
    assert changes[1].after == {"current": "10"}


def test_it_keeps_pursuits_it_already_had_when_use_cases_change(alpha, acme, triage):
    first = AccountUseCase.objects.get(account=acme)
    other = UseCaseFactory(workspace=alpha, name="Reporting")
    services.account_use_cases_set(
        workspace=alpha, account=acme, use_cases=[triage["use_case"], other]
    )
    assert AccountUseCase.objects.get(account=acme, use_case=triage["use_case"]).pk == first.pk
    services.account_use_cases_set(workspace=alpha, account=acme, use_cases=[other])
    assert list(AccountUseCase.objects.values_list("use_case", flat=True)) == [other.pk]


def test_it_counts_unrealised_value_of_use_cases_below_level_3(alpha, acme, triage, bob):
    reporting = UseCaseFactory(workspace=alpha, name="Reporting", assisted_value=Decimal(25_000))
    services.account_use_cases_set(
        workspace=alpha, account=acme, use_cases=[triage["use_case"], reporting]
    )
    AccountUseCase.objects.filter(use_case=triage["use_case"]).update(level=3)
    pursuits = list(AccountUseCase.objects.select_related("use_case"))
    assert account_value_delta(pursuits=pursuits) == Decimal(25_000)


def test_it_shows_stale_evidence_as_stale_not_proven(alpha, acme, triage, bob):
    services.evidence_record(
        workspace=alpha,
        account=acme,
        by=bob,
        data=proven_claim(triage["use_case"], confirmed_on=TODAY - timedelta(days=181)),
    )
    services.ladder_refresh(as_of=TODAY)
    artifact = retention_artifact(account=acme)
    assert artifact["proven"] == []
    assert ["stale" in item["reason"] for item in artifact["unproven"]] == [True]


def test_it_refuses_thresholds_that_are_not_numbers(alpha, triage):
    formset = ThresholdFormSet(
        {
            "thresholds-TOTAL_FORMS": "1",
            "thresholds-INITIAL_FORMS": "0",
            "thresholds-0-level": "1",
            "thresholds-0-metric": str(triage["users"].pk),
            "thresholds-0-minimum": "sixty percent",
        },
        prefix="thresholds",
    )
    assert not formset.is_valid()
    assert "minimum" in formset.forms[0].errors


def test_it_refuses_an_artifact_due_date_without_an_action(alpha, acme, bob):
    with pytest.raises(ValidationError) as error:
        services.retention_artifact_update(
            workspace=alpha, account=acme, data={"next_action": "", "owner": bob, "due_on": TODAY}
        )
    assert "next_action" in error.value.message_dict


def roi_claim(use_case, **overrides):
    return proven_claim(use_case, level=4, claim="Saved 90k a year.", **overrides)


def test_it_refuses_a_confirming_stakeholder_of_another_account(alpha, acme, triage, bob):
    globex = AccountFactory(workspace=alpha, name="Globex", owner=bob)
    stranger = StakeholderFactory(account=globex, name="Kim Park", role="owner")
    with pytest.raises(ValidationError) as error:
        services.evidence_record(
            workspace=alpha,
            account=acme,
            by=bob,
            data=roi_claim(
                triage["use_case"], status="unproven", confirmed_by_stakeholder=stranger
            ),
        )
    assert "confirmed_by_stakeholder" in error.value.message_dict
    assert not Evidence.objects.exists()
