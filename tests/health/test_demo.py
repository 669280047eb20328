"""The demo's two years of health history make the model-quality page say something."""

import datetime as dt

import numpy as np
import pytest
from django.db.models import Count
from django.utils import timezone

from accounts.demo import DemoOptions, demo_workspace_build
from csos.tenancy import workspace_scope
from health import quality
from health.demo import HISTORY_WEEKS, SCORED_WEEKS
from health.models import HealthSnapshot
from health.scoring import iso_week
from health.selectors import renewal_history
from health.services import health_model_default_ensure, scoring_model_of

# Half the default demo: still enough churned accounts (5%) for the figures to mean much.
OPTIONS = DemoOptions(today=timezone.localdate(), accounts=300, csms=3, slug="demo-quality")


@pytest.mark.django_db
def test_it_builds_a_history_where_red_churns_most_and_the_auc_beats_chance():
    workspace = demo_workspace_build(options=OPTIONS).workspace
    snapshots = HealthSnapshot.dangerously_unscoped.filter(workspace=workspace)
    assert snapshots.values("week").distinct().count() == HISTORY_WEEKS
    assert not snapshots.values("account", "week").annotate(n=Count("pk")).filter(n__gt=1)
    # The oldest week recomputed from the signals reads the use cases pursued by then.
    oldest = iso_week(OPTIONS.today) - dt.timedelta(weeks=SCORED_WEEKS - 1)
    assert snapshots.filter(week=oldest).exclude(scores__ladder=None).exists()
    with workspace_scope(workspace):
        outcomes, history = renewal_history(today=OPTIONS.today)
        model = scoring_model_of(health_model_default_ensure(workspace=workspace))
    assert set(outcomes["outcome"]) == set(quality.OUTCOMES)
    for days in quality.HORIZONS:
        rows = quality.scored_renewals(outcomes, history, model, days)
        figures = quality.judge(rows, rng=np.random.default_rng(0), draws=1)
        assert figures["renewals"] >= 200, days
        rates = {band["band"]: band["churn_rate"] for band in figures["bands"]}
        assert rates.pop("red") > max(rates.values()), days
        assert figures["auc"] > 0.65, days
