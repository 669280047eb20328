"""Each success-plan and relationship flag, at both sides of its threshold, on named accounts."""

import datetime as dt

import pytest

from stakeholders import selectors, services
from stakeholders.flags import (
    KEY_STAKEHOLDER_LEFT,
    NO_PLAN,
    OBJECTIVE_WITHOUT_OWNER,
    PLAN_NOT_REVIEWED,
    RELATIONSHIP_THEATRE,
    AccountFacts,
    Departure,
    Thresholds,
    account_flags,
)
from stakeholders.models import FlagThresholds, StakeholderRole
from tests.factories import AccountFactory, EvidenceFactory
from tests.stakeholders.factories import (
    InteractionFactory,
    InteractionParticipantFactory,
    ObjectiveFactory,
    StakeholderFactory,
    SuccessPlanFactory,
)
from value.models import EvidenceChange

TODAY = dt.date(2026, 6, 30)
DEFAULTS = Thresholds()


def codes(facts, thresholds=DEFAULTS):
    return {flag.code for flag in account_flags(facts, thresholds=thresholds, today=TODAY)}


def days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def test_it_flags_an_account_without_a_plan_only_past_30_days_from_contract_start():
    signed_30_days_ago = AccountFacts(contract_start=days_ago(30))
    signed_31_days_ago = AccountFacts(contract_start=days_ago(31))
    assert NO_PLAN not in codes(signed_30_days_ago)
    assert NO_PLAN in codes(signed_31_days_ago)
    assert NO_PLAN not in codes(
        AccountFacts(contract_start=days_ago(31), has_plan=True, plan_reviewed_or_started_on=TODAY)
    )


def test_it_flags_a_plan_only_when_unreviewed_for_more_than_100_days():
    reviewed_100_days_ago = AccountFacts(
        contract_start=days_ago(400), has_plan=True, plan_reviewed_or_started_on=days_ago(100)
    )
    reviewed_101_days_ago = AccountFacts(
        contract_start=days_ago(400), has_plan=True, plan_reviewed_or_started_on=days_ago(101)
    )
    assert PLAN_NOT_REVIEWED not in codes(reviewed_100_days_ago)
    assert PLAN_NOT_REVIEWED in codes(reviewed_101_days_ago)


def test_it_flags_objectives_without_an_owner():
    plan = {"contract_start": days_ago(40), "has_plan": True, "plan_reviewed_or_started_on": TODAY}
    assert OBJECTIVE_WITHOUT_OWNER not in codes(AccountFacts(**plan, objectives_without_owner=0))
    flags = account_flags(
        AccountFacts(**plan, objectives_without_owner=2), thresholds=DEFAULTS, today=TODAY
    )
    assert [flag.message for flag in flags] == ["2 objectives have no owner."]


def test_it_flags_an_owner_or_champion_who_left_within_the_signal_window():
    def left(days):
        return AccountFacts(
            contract_start=None, departures=(Departure("Champion", days_ago(days)),)
        )

    assert KEY_STAKEHOLDER_LEFT in codes(left(90))
    assert KEY_STAKEHOLDER_LEFT not in codes(left(91))
    messages = [flag.message for flag in account_flags(left(12), thresholds=DEFAULTS, today=TODAY)]
    assert messages == ["Champion left 12 days ago."]


def test_it_flags_relationship_theatre_at_six_meetings_with_no_evidence_or_plan_change():
    five_meetings = AccountFacts(contract_start=None, meetings_in_window=5)
    six_meetings = AccountFacts(contract_start=None, meetings_in_window=6)
    six_and_evidence = AccountFacts(
        contract_start=None, meetings_in_window=6, evidence_changes_in_window=1
    )
    six_and_a_review = AccountFacts(
        contract_start=None, meetings_in_window=6, plan_changes_in_window=1
    )
    assert RELATIONSHIP_THEATRE not in codes(five_meetings)
    assert RELATIONSHIP_THEATRE in codes(six_meetings)
    assert RELATIONSHIP_THEATRE not in codes(six_and_evidence)
    assert RELATIONSHIP_THEATRE not in codes(six_and_a_review)
    messages = [
        flag.message for flag in account_flags(six_meetings, thresholds=DEFAULTS, today=TODAY)
    ]
    assert messages == ["6 meetings with the customer in 90 days and no evidence or plan changed."]


def test_it_applies_the_workspaces_own_thresholds():
    strict = Thresholds(plan_due_days=10, theatre_min_interactions=3)
    assert NO_PLAN in codes(AccountFacts(contract_start=days_ago(11)), strict)
    assert RELATIONSHIP_THEATRE in codes(
        AccountFacts(contract_start=None, meetings_in_window=3), strict
    )


# From the database: the selector gathers the facts each rule reads, for a named account.


@pytest.fixture
def acme(alpha, in_alpha):
    return AccountFactory(workspace=alpha, name="Acme Corp", contract_start=days_ago(400))


def flag_codes(account):
    return {flag.code for flag in selectors.account_flag_list(account=account, today=TODAY)}


@pytest.mark.django_db
def test_it_gathers_the_plan_facts_of_a_named_account(acme):
    assert NO_PLAN in flag_codes(acme)
    plan = SuccessPlanFactory(account=acme, starts_on=days_ago(101))
    assert flag_codes(acme) == {PLAN_NOT_REVIEWED}
    services.plan_review_record(plan=plan, by=None, reviewed_on=days_ago(100), changes="QBR")
    assert flag_codes(acme) == set()
    ObjectiveFactory(plan=plan, owner=None)
    assert flag_codes(acme) == {OBJECTIVE_WITHOUT_OWNER}


@pytest.mark.django_db
def test_it_flags_the_departure_recorded_when_the_champion_leaves(acme):
    SuccessPlanFactory(account=acme, starts_on=TODAY)
    dana = StakeholderFactory(account=acme, name="Dana Champion", role=StakeholderRole.CHAMPION)
    services.stakeholder_update(
        stakeholder=dana, by=None, data={"status": "left", "left_on": days_ago(91)}
    )
    assert flag_codes(acme) == set()
    erin = StakeholderFactory(account=acme, name="Erin Owner", role=StakeholderRole.OWNER)
    services.stakeholder_update(
        stakeholder=erin, by=None, data={"status": "left", "left_on": days_ago(90)}
    )
    assert flag_codes(acme) == {KEY_STAKEHOLDER_LEFT}


def meeting(account, days, **fields):
    interaction = InteractionFactory(account=account, occurred_on=days_ago(days), **fields)
    InteractionParticipantFactory(
        interaction=interaction, stakeholder=StakeholderFactory(account=account)
    )
    return interaction


@pytest.mark.django_db
def test_it_counts_meetings_with_the_customer_in_the_workspaces_window(alpha, acme):
    SuccessPlanFactory(account=acme, starts_on=days_ago(95))
    FlagThresholds.objects.create(workspace=alpha, theatre_min_interactions=3)
    for days in (1, 30):
        meeting(acme, days)
    meeting(acme, 90)  # outside the 90-day window
    for days in (2, 3, 4):
        InteractionFactory(account=acme, occurred_on=days_ago(days))  # notes to self
    assert flag_codes(acme) == set()
    meeting(acme, 89)
    assert flag_codes(acme) == {RELATIONSHIP_THEATRE}


@pytest.mark.django_db
def test_it_judges_theatre_by_recorded_changes_not_a_ticked_box(alpha, acme):
    plan = SuccessPlanFactory(account=acme, starts_on=days_ago(95))
    FlagThresholds.objects.create(workspace=alpha, theatre_min_interactions=3)
    for days in (1, 2, 3):
        meeting(acme, days, updated_evidence=True, updated_plan=True)
    assert flag_codes(acme) == {RELATIONSHIP_THEATRE}
    services.plan_review_record(plan=plan, by=None, reviewed_on=days_ago(5), changes="Dates")
    assert flag_codes(acme) == set()


@pytest.mark.django_db
def test_it_counts_an_evidence_change_in_the_window_against_theatre(alpha, acme):
    SuccessPlanFactory(account=acme, starts_on=days_ago(95))
    FlagThresholds.objects.create(workspace=alpha, theatre_min_interactions=3)
    for days in (1, 2, 3):
        meeting(acme, days)
    change = EvidenceChange.dangerously_unscoped.create(
        workspace=alpha, evidence=EvidenceFactory(account=acme), summary="Current value changed"
    )
    EvidenceChange.dangerously_unscoped.filter(pk=change.pk).update(
        at=dt.datetime.combine(days_ago(90), dt.time(12), tzinfo=dt.UTC)
    )
    assert flag_codes(acme) == {RELATIONSHIP_THEATRE}
    EvidenceChange.dangerously_unscoped.filter(pk=change.pk).update(
        at=dt.datetime.combine(days_ago(10), dt.time(12), tzinfo=dt.UTC)
    )
    assert flag_codes(acme) == set()
