"""The ladder's background jobs: the daily refresh moves levels as the usage window moves."""

from datetime import timedelta
from decimal import Decimal

import pytest
from celery import current_app
from django.conf import settings
from django.utils import timezone

from tests.factories import (
    AccountFactory,
    AccountUseCaseFactory,
    UsageMetricFactory,
    UseCaseFactory,
    WorkspaceFactory,
)
from value.models import Aggregation, Threshold, UsageRecord
from value.tasks import ladder_refresh_all_task

pytestmark = pytest.mark.django_db


def present_pursuit(workspace, *, days_ago: int, stored_level: int):
    """A 10-seat account whose peak active users (8) met presence ``days_ago`` days ago."""
    users = UsageMetricFactory(workspace=workspace, key="active_users", aggregation=Aggregation.MAX)
    use_case = UseCaseFactory(workspace=workspace, name="Triage")
    Threshold.dangerously_unscoped.create(
        workspace=workspace, use_case=use_case, level=1, metric=users, minimum=Decimal("0.5"),
        per_seat=True,
    )  # fmt: skip
    account = AccountFactory(workspace=workspace, licensed_seats=10)
    UsageRecord.dangerously_unscoped.create(
        workspace=workspace,
        account=account,
        metric=users,
        day=timezone.localdate() - timedelta(days=days_ago),
        value=8,
    )
    return AccountUseCaseFactory(account=account, use_case=use_case, level=stored_level)


def test_it_refreshes_every_workspace_as_the_window_moves(alpha):
    fresh = present_pursuit(alpha, days_ago=3, stored_level=0)
    # Last seen 40 days ago: out of the 28-day window, so presence is no longer proven.
    lapsed = present_pursuit(WorkspaceFactory(slug="gamma"), days_ago=40, stored_level=1)
    ladder_refresh_all_task()
    fresh.refresh_from_db()
    lapsed.refresh_from_db()
    assert (fresh.level, lapsed.level) == (1, 0)


def test_it_schedules_the_refresh_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-value-ladders-daily"]
    assert entry["task"] in current_app.tasks
    assert entry["schedule"].hour == {1} and entry["schedule"].day_of_week == set(range(7))
