"""Reads of stored backtests: each model's latest run, its renewals and the accounts behind
a cell."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from django.db.models import (
    OuterRef,
    Subquery,
)

from accounts.models import Account
from health import quality
from health.models import (
    HealthBacktest,
    HealthModel,
)


@dataclass(frozen=True)
class StoredBacktest:
    """What the quality page shows of a stored backtest: its figures, not its renewals."""

    pk: int
    week: dt.date
    computed_at: dt.datetime
    figures: dict


def backtest_overview() -> list[HealthModel]:
    """Every model in order, each with ``backtest`` (the latest computed backtest of its current
    version, a StoredBacktest, or None) and ``computing_since`` (when a newer one was requested
    that is not computed yet, or None): one query."""
    of_version = HealthBacktest.objects.filter(
        model=OuterRef("pk"), model_version=OuterRef("version")
    ).order_by("-week")
    computed = of_version.filter(computed_at__isnull=False)
    models = list(
        HealthModel.objects.annotate(
            **{
                f"backtest_{field}": Subquery(computed.values(field)[:1])
                for field in ("id", "week", "computed_at", "figures")
            },
            requested_at=Subquery(
                of_version.filter(computed_at__isnull=True).values("requested_at")[:1]
            ),
        ).order_by("position", "pk")
    )
    for model in models:
        model.backtest = (
            StoredBacktest(
                pk=model.backtest_id,
                week=model.backtest_week,
                computed_at=model.backtest_computed_at,
                figures=model.backtest_figures,
            )
            if model.backtest_id
            else None
        )
        newer = model.backtest is None or (
            model.requested_at and model.requested_at > model.backtest.computed_at
        )
        model.computing_since = model.requested_at if newer else None
    return models


def backtest_renewals(*, backtest_id: int) -> pd.DataFrame:
    """The scored renewals a backtest stored, columns ``quality.RENEWAL_FIELDS``: one query."""
    renewals = HealthBacktest.objects.values_list("renewals", flat=True).get(pk=backtest_id)
    return pd.DataFrame(renewals, columns=list(quality.RENEWAL_FIELDS))


def backtest_drill(
    *, backtest: HealthBacktest, days: int, part: str, band: str, outcome: str | None
) -> list[dict]:
    """Exactly the renewals behind one count of a backtest: those ``days`` before renewal in
    the fit or report set (``part``), in ``band``, with ``outcome`` if given; latest first,
    each with its account (None once deleted): one query besides the backtest's."""
    split = backtest.figures.get("split")
    renewals = pd.DataFrame(backtest.renewals, columns=list(quality.RENEWAL_FIELDS))
    # ISO dates compare as their strings do.
    earlier = renewals["renewal"] < split if split else pd.Series(False, index=renewals.index)
    in_part = earlier if part == "fit" else ~earlier
    chosen = renewals[in_part & (renewals["days"] == days) & (renewals["band"] == band)]
    if outcome:
        chosen = chosen[chosen["outcome"] == outcome]
    chosen = chosen.sort_values(["renewal", "account_id"], ascending=[False, True])
    accounts = Account.objects.in_bulk(chosen["account_id"].unique().tolist())
    return [
        {
            "account": accounts.get(account_id),
            "account_id": account_id,
            "renewal": dt.date.fromisoformat(renewal),
            "total": total,
            "outcome": renewal_outcome,
        }
        for account_id, renewal, renewal_outcome, total in chosen[
            ["account_id", "renewal", "outcome", "total"]
        ].itertuples(index=False)
    ]
