"""Writes of the stored backtests: requested on publish and when the quality page finds none,
computed on Celery after each recompute (``health.tasks``). The statistics are
``health.quality``'s; this module reads the history, runs them per model and stores the result.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from csos.models import Workspace
from health import quality, selectors
from health import scoring as s
from health.models import HealthBacktest, HealthModel
from health.services import health_model_default_ensure, scoring_model_of


def backtest_request(*, workspace: Workspace, today: dt.date) -> list[HealthBacktest]:
    """This week's backtest row of every model's current version, created where missing, so
    the quality page can say since when it has been computing; the caller queues the work."""
    health_model_default_ensure(workspace=workspace)
    week = s.iso_week(today)
    return [
        HealthBacktest.objects.get_or_create(
            workspace=workspace, model=model, model_version=model.version, week=week
        )[0]
        for model in HealthModel.objects.order_by("position", "pk")
    ]


def _model_of_renewal(outcomes: pd.DataFrame, models: list[HealthModel]) -> pd.Series:
    """For each renewal, the position in ``models`` of the model that scores its account."""
    segments = dict(
        Account.objects.filter(pk__in=outcomes["account_id"].unique().tolist()).values_list(
            "pk", "segment"
        )
    )
    return s.choose_models(
        outcomes["account_id"].map(segments),
        [None if model.is_default else frozenset(model.segments) for model in models],
    )


def backtest_compute(
    *, workspace: Workspace, today: dt.date, draws: int = quality.BOOTSTRAP_DRAWS
) -> list[HealthBacktest]:
    """Backtest every model's current version on the renewals of the accounts it scores, and
    store the result as this week's row of that version (``quality.backtest``). Idempotent:
    a second run rewrites the same rows with the same figures, the resampling being seeded by
    the model and the week."""
    week = s.iso_week(today)
    health_model_default_ensure(workspace=workspace)
    models = list(HealthModel.objects.order_by("position", "pk"))
    outcomes, snapshots = selectors.renewal_history(today=today)
    chosen = _model_of_renewal(outcomes, models)
    rows = []
    for position, model in enumerate(models):
        figures, renewals = quality.backtest(
            outcomes[chosen == position],
            snapshots,
            scoring_model_of(model),
            rng=np.random.default_rng([model.pk, model.version, week.toordinal()]),
            draws=draws,
        )
        rows.append(
            HealthBacktest(
                workspace=workspace,
                model=model,
                model_version=model.version,
                week=week,
                figures=figures,
                renewals=renewals,
                computed_at=timezone.now(),
            )
        )
    with transaction.atomic():
        HealthBacktest.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["workspace", "model", "model_version", "week"],
            update_fields=["figures", "renewals", "computed_at"],
        )
    return rows
