"""The worked example of the product brief, from the database to the save play.

Low usage (32 of 200 seats active), the Champion (the sponsor) just left, one open P1 ticket;
everything else middling. The default model gives 28 of 100, Red, and the save play starts the
same day, once however often the week is recomputed. The arithmetic is in test_scoring.py.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from framework.models import UseCase
from health import services
from health.models import HealthSnapshot
from playbooks.models import Task
from stakeholders.models import Interaction, Stakeholder
from tests.factories import AccountFactory, SupportTicketFactory, SurveyResponseFactory
from value.models import AccountUseCase, Evidence, Threshold, UsageMetric, UsageRecord


def build_worked_example(alpha, bob):
    today = timezone.localdate()
    account = AccountFactory(workspace=alpha, owner=bob, licensed_seats=200)
    metric = UsageMetric.dangerously_unscoped.create(
        workspace=alpha, key="active_users", name="Active users", aggregation="max"
    )
    UsageRecord.dangerously_unscoped.bulk_create(
        UsageRecord(
            workspace=alpha,
            account=account,
            metric=metric,
            day=today - dt.timedelta(days=ago),
            value=32 if ago < 28 else 33,
        )
        for ago in range(56)
    )
    use_case = UseCase.dangerously_unscoped.create(
        workspace=alpha, name="Ticket triage", outcome="Faster answers"
    )
    # Presence: a tenth of the seats active; engagement: 30 active users. The 32 active users
    # reach both, so the ladder (derived from usage, never the stored level) stands at 2.
    for level, minimum, per_seat in ((1, "0.1", True), (2, "30", False)):
        Threshold.dangerously_unscoped.create(
            workspace=alpha,
            use_case=use_case,
            level=level,
            metric=metric,
            minimum=Decimal(minimum),
            per_seat=per_seat,
        )
    AccountUseCase.dangerously_unscoped.create(workspace=alpha, account=account, use_case=use_case)
    Evidence.dangerously_unscoped.create(
        workspace=alpha,
        account=account,
        use_case=use_case,
        level=3,
        claim="Triage halved",
        source="customer",
        status="unproven",
    )
    Stakeholder.dangerously_unscoped.create(
        workspace=alpha,
        account=account,
        name="Olga Owner",
        role="owner",
        added_on=dt.date(2025, 1, 1),
    )
    Stakeholder.dangerously_unscoped.create(
        workspace=alpha,
        account=account,
        name="Chris Champion",
        role="champion",
        status="left",
        added_on=dt.date(2025, 1, 1),
        left_on=today - dt.timedelta(days=2),
    )
    Interaction.dangerously_unscoped.create(
        workspace=alpha,
        account=account,
        kind="call",
        occurred_on=today - dt.timedelta(days=7),
        title="Check-in",
    )
    SupportTicketFactory(account=account, priority="p1", opened_on=today - dt.timedelta(days=1))
    for score in (4, 6):
        SurveyResponseFactory(account=account, kind="nps", score=score)
    return account


def test_it_scores_the_worked_example_28_red_and_starts_the_save_play_once(
    in_alpha, bob, lena, django_capture_on_commit_callbacks
):
    account = build_worked_example(in_alpha, bob)
    today = timezone.localdate()
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.health_recompute(workspace=in_alpha, week=today)
    snapshot = HealthSnapshot.objects.get(account=account)
    assert snapshot.scores == {
        "usage": 2.0,
        "ladder": 5.0,
        "value_proof": 0.0,
        "stakeholders": 2.0,
        "support": 0.0,
        "sentiment": 5.0,
        "engagement": 10.0,
    }
    assert (snapshot.total, snapshot.band) == (28.0, "red")
    assert snapshot.drivers["usage"] == "32 of 200 seats active"
    task = Task.objects.get(account=account)
    assert (task.playbook, task.due_on, task.assignee) == ("save", today, bob)
