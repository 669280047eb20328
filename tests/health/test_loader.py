"""Scoring a week reads only what was true by its end: later data never changes a past week."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from health import services
from health.models import HealthSnapshot
from health.scoring import iso_week
from stakeholders.models import StakeholderStatus
from stakeholders.services import stakeholder_update
from tests.factories import (
    AccountFactory,
    AccountUseCaseFactory,
    SupportTicketFactory,
    SurveyResponseFactory,
    UsageMetricFactory,
    UseCaseFactory,
)
from tests.stakeholders.factories import StakeholderFactory
from value.models import AccountUseCase, Evidence, EvidenceChange, Threshold, UsageRecord
from value.services import evidence_record, evidence_update, ladder_refresh

TODAY = timezone.localdate()
# The week re-scored: four weeks before this one, as in the issue.
PAST_WEEK = iso_week(TODAY) - dt.timedelta(weeks=4)
PAST_WEEK_END = PAST_WEEK + dt.timedelta(days=6)
TIME = dt.time(12)


@pytest.fixture
def triage(in_alpha):
    """A use case whose presence needs 10% of the seats active and engagement 20 active users,
    on the daily active-users metric the usage dimension reads too."""
    metric = UsageMetricFactory(workspace=in_alpha, key="active_users", aggregation="max")
    use_case = UseCaseFactory(workspace=in_alpha)
    for level, minimum, per_seat in ((1, "0.1", True), (2, "20", False)):
        Threshold.objects.create(
            workspace=in_alpha,
            use_case=use_case,
            level=level,
            metric=metric,
            minimum=Decimal(minimum),
            per_seat=per_seat,
        )
    return metric, use_case


def _pursue(account, use_case) -> None:
    """The account has pursued the use case since the week re-scored began."""
    pursuit = AccountUseCaseFactory(account=account, use_case=use_case)
    AccountUseCase.objects.filter(pk=pursuit.pk).update(created_at=_in_the_week())


def _in_the_week() -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(PAST_WEEK, TIME))


def _usage(account, metric, *, days, value):
    UsageRecord.objects.bulk_create(
        UsageRecord(
            workspace=account.workspace, account=account, metric=metric, day=day, value=value
        )
        for day in days
    )


def _claim(account, use_case, by, **data) -> Evidence:
    return evidence_record(
        workspace=account.workspace,
        account=account,
        by=by,
        data={
            "use_case": use_case,
            "level": 3,
            "claim": "Triage time halved",
            "baseline": Decimal("40"),
            "current": Decimal("20"),
            "source": "customer",
            **data,
        },
    )


def _history_moved_to_the_week() -> None:
    """Every claim recorded so far was recorded during the week re-scored."""
    EvidenceChange.objects.update(at=_in_the_week())


def _recompute(workspace) -> HealthSnapshot:
    services.health_recompute(workspace=workspace, week=PAST_WEEK)
    return HealthSnapshot.objects.get(week=PAST_WEEK)


def test_it_reads_no_usage_dated_after_the_week_into_its_ladder_level(in_alpha, triage):
    metric, use_case = triage
    account = AccountFactory(workspace=in_alpha, licensed_seats=50)
    _pursue(account, use_case)
    _usage(account, metric, days=[TODAY - dt.timedelta(days=6)], value=30)
    ladder_refresh(account_ids=[account.pk])
    assert AccountUseCase.objects.get(account=account).level == 2
    snapshot = _recompute(in_alpha)
    assert snapshot.scores["ladder"] == 0.0
    assert snapshot.drivers["ladder"] == "Highest level 0 of 4 reached"


def test_it_re_scores_a_past_week_to_the_same_score_after_later_data_of_every_kind(
    in_alpha, triage, alice
):
    metric, use_case = triage
    account = AccountFactory(workspace=in_alpha, licensed_seats=50)
    _pursue(account, use_case)
    # Known by the end of the week: 25 active users (engagement, level 2), an open P2, an NPS
    # of 7, an Owner and a Champion on the map, a proven claim at level 3 and an unproven one.
    weeks_before = [PAST_WEEK_END - dt.timedelta(days=ago) for ago in range(56)]
    _usage(account, metric, days=weeks_before, value=25)
    ticket = SupportTicketFactory(
        account=account, priority="p2", opened_on=PAST_WEEK - dt.timedelta(days=3)
    )
    SurveyResponseFactory(account=account, kind="nps", score=7, answered_on=PAST_WEEK)
    owner = StakeholderFactory(account=account, role="owner", sentiment="positive")
    champion = StakeholderFactory(account=account, role="champion", sentiment="neutral")
    proven = _claim(account, use_case, alice, status="proven", confirmed_on=PAST_WEEK)
    unproven = _claim(account, use_case, alice, status="unproven")
    _history_moved_to_the_week()
    before = _recompute(in_alpha)

    # Everything below arrives later and is dated after the week.
    later = [
        PAST_WEEK_END + dt.timedelta(days=ago) for ago in range(1, (TODAY - PAST_WEEK_END).days)
    ]
    _usage(account, metric, days=later, value=40)
    SupportTicketFactory(account=account, priority="p1", opened_on=later[0])
    ticket.status, ticket.closed_on = "closed", later[1]
    ticket.save()
    SurveyResponseFactory(account=account, kind="nps", score=1, answered_on=later[2])
    stakeholder_update(
        stakeholder=owner, by=alice, data={"status": StakeholderStatus.LEFT, "left_on": later[3]}
    )
    stakeholder_update(
        stakeholder=champion, by=alice, data={"role": "producer", "sentiment": "negative"}
    )
    evidence_update(evidence=proven, by=alice, data={"status": "disputed"})
    # Proven later, though the customer dates the confirmation inside the week.
    evidence_update(
        evidence=unproven, by=alice, data={"status": "proven", "confirmed_on": PAST_WEEK_END}
    )
    ladder_refresh(account_ids=[account.pk])
    assert AccountUseCase.objects.get(account=account).level == 3

    after = _recompute(in_alpha)
    assert (after.total, after.band, after.scores, after.drivers) == (
        before.total,
        before.band,
        before.scores,
        before.drivers,
    )
    assert before.scores["ladder"] == 7.5 and before.proven_evidence == 1
    assert before.drivers["support"].startswith("Open tickets: 0 P1, 1 P2")


@pytest.mark.parametrize(
    "then, later, ladder_score, proven_count",
    [
        ({"status": "proven", "confirmed_on": PAST_WEEK}, {"status": "disputed"}, 7.5, 1),
        ({"status": "unproven"}, {"status": "proven", "confirmed_on": PAST_WEEK_END}, 5.0, 0),
    ],
    ids=["disputed-later", "proven-later-dated-inside-the-week"],
)
def test_it_reads_each_claim_as_recorded_by_the_end_of_the_week(
    in_alpha, triage, alice, then, later, ladder_score, proven_count
):
    metric, use_case = triage
    account = AccountFactory(workspace=in_alpha, licensed_seats=50)
    _pursue(account, use_case)
    _usage(account, metric, days=[PAST_WEEK_END - dt.timedelta(days=1)], value=25)
    claim = _claim(account, use_case, alice, **then)
    _history_moved_to_the_week()
    evidence_update(evidence=claim, by=alice, data=later)
    snapshot = _recompute(in_alpha)
    assert (snapshot.scores["ladder"], snapshot.proven_evidence) == (ladder_score, proven_count)


def test_it_reads_no_use_case_the_account_began_to_pursue_after_the_week(in_alpha, triage):
    metric, use_case = triage
    account = AccountFactory(workspace=in_alpha, licensed_seats=50)
    _usage(account, metric, days=[PAST_WEEK_END - dt.timedelta(days=1)], value=25)
    AccountUseCaseFactory(account=account, use_case=use_case)
    # No use case pursued then: no ladder to score, not the level 2 its usage reaches now.
    assert _recompute(in_alpha).scores["ladder"] is None
