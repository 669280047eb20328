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
from health import quality, selectors, weighting
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


def _model_of_account(account_ids: pd.Series, models: list[HealthModel]) -> pd.Series:
    """For each account id, the position in ``models`` of the model that scores it."""
    segments = dict(
        Account.objects.filter(pk__in=account_ids.unique().tolist()).values_list("pk", "segment")
    )
    return weighting.choose_models(
        account_ids.map(segments),
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
    chosen = _model_of_account(outcomes["account_id"], models)
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


def health_model_preview(
    *,
    model: HealthModel,
    draft: weighting.ScoringModel,
    segments: list[str],
    today: dt.date,
    draws: int = quality.BOOTSTRAP_DRAWS,
) -> dict:
    """A draft of ``model`` judged before it is published, beside the published version: the
    backtest of each (``quality.backtest``, the same resampling for both) on the past renewals
    of the accounts the draft would score, and how many of those accounts' latest scores
    would change band. A new model has no published version: ``published`` is None."""
    health_model_default_ensure(workspace=model.workspace)
    models = list(HealthModel.objects.exclude(pk=model.pk).order_by("position", "pk"))
    drafted = HealthModel(pk=model.pk, is_default=model.is_default, segments=segments)
    models.insert(
        next((i for i, m in enumerate(models) if m.position > model.position), len(models)), drafted
    )
    position = models.index(drafted)
    outcomes, snapshots = selectors.renewal_history(today=today)
    outcomes = outcomes[_model_of_account(outcomes["account_id"], models) == position]
    seed = [model.pk or 0, s.iso_week(today).toordinal()]

    def judged(scoring: weighting.ScoringModel) -> dict:
        rng = np.random.default_rng(seed)
        return quality.backtest(outcomes, snapshots, scoring, rng=rng, draws=draws)[0]

    published = scoring_model_of(model) if model.pk else None
    latest = selectors.latest_scores()
    latest = latest[_model_of_account(latest.index.to_series(), models) == position]
    changes = None
    if published is not None:
        before = quality.rescore(latest, published)["band"]
        after = quality.rescore(latest, draft)["band"]
        changes = {"accounts": len(latest), "changed": int((before != after).sum())}
    figures = {"draft": judged(draft), "published": judged(published) if published else None}
    return {**figures, "band_changes": changes, "horizons": _side_by_side(**figures)}


def _side_by_side(*, draft: dict, published: dict | None) -> list[dict]:
    """Per horizon, the held-out (later) renewals judged by the draft and the published
    version, and the churn of each band under each, for the editor's table."""
    rows = []
    for i, horizon in enumerate(draft["horizons"]):
        ours = horizon["report"]
        theirs = published["horizons"][i]["report"] if published else None
        by_band = {row["band"]: row for row in theirs["bands"]} if theirs else {}
        rows.append(
            {
                "days": horizon["days"],
                "draft": ours,
                "published": theirs,
                "bands": [
                    {"band": row["band"], "draft": row, "published": by_band.get(row["band"])}
                    for row in ours["bands"]
                ],
            }
        )
    return rows
