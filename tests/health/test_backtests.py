"""Stored backtests: one row per model version and week, computed on Celery after each
recompute and on publish, each model judged on the accounts it scores."""

import pytest
from django.urls import reverse
from django.utils import timezone

from csos.tenancy import workspace_scope
from health import backtests, services
from health.models import HealthBacktest, HealthModel
from health.scoring import iso_week
from health.tasks import backtest_compute_task
from tests.health.factories import model_post, renewal_with_score


@pytest.fixture
def history(alpha):
    """Two small-business and two enterprise renewals, one churn in each pair."""
    return {
        segment: [
            renewal_with_score(alpha, churned=True, usage=2, segment=segment),
            renewal_with_score(alpha, churned=False, usage=8, segment=segment),
        ]
        for segment in ("small", "enterprise")
    }


def _enterprise_model(alpha):
    with workspace_scope(alpha):
        services.health_model_default_ensure(workspace=alpha)
        return HealthModel.objects.create(
            workspace=alpha,
            name="Enterprise",
            position=1,
            segments=["enterprise"],
            dimensions=services.default_dimensions(),
        )


def _accounts_behind(backtest) -> set[int]:
    return {row[1] for row in backtest.renewals}


def test_it_backtests_each_model_on_the_accounts_it_scores(alpha, history):
    enterprise = _enterprise_model(alpha)
    with workspace_scope(alpha):
        backtests.backtest_compute(workspace=alpha, today=timezone.localdate(), draws=20)
    rows = {row.model.name: row for row in HealthBacktest.dangerously_unscoped.all()}
    assert _accounts_behind(rows["Enterprise"]) == {a.pk for a in history["enterprise"]}
    assert _accounts_behind(rows["Default"]) == {a.pk for a in history["small"]}
    assert rows["Enterprise"].model_version == enterprise.version
    at_90 = rows["Enterprise"].figures["horizons"][0]
    assert at_90["days"] == 90
    assert at_90["fit"]["renewals"] + at_90["report"]["renewals"] == 2


def test_it_rewrites_the_same_row_when_computed_again_in_the_week(alpha, history):
    today = timezone.localdate()
    with workspace_scope(alpha):
        first = backtests.backtest_compute(workspace=alpha, today=today, draws=20)[0]
        backtest_compute_task(alpha.pk, today.isoformat())
    stored = HealthBacktest.dangerously_unscoped.get()
    assert stored.week == iso_week(today) and stored.computed_at > first.computed_at
    assert (stored.figures, stored.renewals) == (first.figures, first.renewals)


def test_it_keeps_one_row_per_model_version_and_week(alpha, history):
    today = timezone.localdate()
    with workspace_scope(alpha):
        backtests.backtest_compute(workspace=alpha, today=today, draws=20)
        model = HealthModel.objects.get()
        model.version += 1
        model.save()
        backtests.backtest_compute(workspace=alpha, today=today, draws=20)
    assert sorted(HealthBacktest.dangerously_unscoped.values_list("model_version", flat=True)) == [
        1,
        2,
    ]


def test_it_computes_the_backtest_after_each_recompute(
    alpha, history, django_capture_on_commit_callbacks
):
    with workspace_scope(alpha), django_capture_on_commit_callbacks(execute=True):
        services.health_recompute(workspace=alpha, week=timezone.localdate())
    stored = HealthBacktest.dangerously_unscoped.get()
    assert stored.computed_at is not None and len(stored.renewals) == 4


def test_it_queues_the_backtest_of_a_published_version(
    login, alpha, alice, history, django_capture_on_commit_callbacks
):
    with workspace_scope(alpha):
        model = services.health_model_default_ensure(workspace=alpha)
    form = model_post(model, weights={d["calculator"]: d["weight"] for d in model.dimensions})
    with django_capture_on_commit_callbacks(execute=True):
        response = login(alice).post(reverse("health_model_edit", args=[model.pk]), form)
    assert response.status_code == 302, response.content.decode()
    stored = HealthBacktest.dangerously_unscoped.get()
    assert stored.model_version == 2 and stored.computed_at is not None
