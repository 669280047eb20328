"""Does the score predict anything? Pure pandas: renewal outcomes against the band and score
an account had 90 and 180 days before, for the published model and for a proposed one.

``outcomes`` (see ``renewal_outcomes``): one row per past renewal, columns ``account_id``,
``renewal`` (date) and ``outcome`` (renewed, expanded, downgraded, churned). ``snapshots``:
columns ``account_id``, ``week`` (Monday) and ``scores`` (dimension key -> 0-10 or None).
Totals and bands are computed here from the stored dimension scores, so a proposed weighting
is judged on the same history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from health import scoring as s

HORIZONS = (90, 180)
OUTCOMES = ("renewed", "expanded", "downgraded", "churned")
# A ledger movement this close to a renewal is that renewal's outcome.
RENEWAL_MOVEMENT_DAYS = 60
OUTCOME_OF_MOVEMENT = {"churn": "churned", "contraction": "downgraded", "expansion": "expanded"}


def _anniversaries(start: dt.date, today: dt.date) -> list[dt.date]:
    days = []
    for year in range(start.year + 1, today.year + 1):
        try:
            day = start.replace(year=year)
        except ValueError:  # 29 February in a year without one
            day = start.replace(year=year, day=28)
        if day <= today:
            days.append(day)
    return days


def renewal_outcomes(
    accounts: pd.DataFrame, movements: pd.DataFrame, today: dt.date
) -> pd.DataFrame:
    """Past renewals with their outcome: columns ``account_id``, ``renewal``, ``outcome``.

    ``accounts``: ``account_id``, ``contract_start`` and ``renewal_date`` (dates or None) and
    ``churned`` (bool, its status now). ``movements``: ``account_id``, ``kind`` (churn,
    contraction, expansion; other kinds are ignored) and ``date``, reversed ones left out.

    Contracts are annual: an account renews on each anniversary of its contract start up to
    ``today``, and on its renewal date once that has passed. A renewal churned when the ledger
    churned the account within RENEWAL_MOVEMENT_DAYS of it, or when it is the passed renewal
    date of an account churned now; otherwise it was downgraded or expanded when the ledger
    moved that way that close to it (a downgrade outweighs an expansion), and renewed. Nothing
    renews after a churn.
    """
    moved: dict[int, list[tuple[str, dt.date]]] = {}
    for account_id, kind, day in movements[["account_id", "kind", "date"]].itertuples(index=False):
        if kind in OUTCOME_OF_MOVEMENT:
            moved.setdefault(account_id, []).append((OUTCOME_OF_MOVEMENT[kind], day))
    rows = []
    columns = ["account_id", "contract_start", "renewal_date", "churned"]
    for account_id, start, renewal_date, churned in accounts[columns].itertuples(index=False):
        days = set(_anniversaries(start, today)) if pd.notna(start) else set()
        passed = pd.notna(renewal_date) and renewal_date <= today
        if passed:
            days.add(renewal_date)
        for day in sorted(days):
            near = {
                outcome
                for outcome, on in moved.get(account_id, ())
                if abs((on - day).days) <= RENEWAL_MOVEMENT_DAYS
            }
            if churned and passed and day == renewal_date:
                near.add("churned")
            outcome = next((o for o in ("churned", "downgraded", "expanded") if o in near), None)
            rows.append((account_id, day, outcome or "renewed"))
            if outcome == "churned":
                break
    return pd.DataFrame(rows, columns=["account_id", "renewal", "outcome"])


def rescore(scores: pd.Series, model: s.ScoringModel) -> pd.DataFrame:
    """Total and band of stored dimension scores under ``model``; a dimension the model has
    and the scores lack counts as insufficient data."""
    keys = [d.key for d in model.dimensions]
    table = pd.DataFrame(list(scores), index=scores.index, columns=keys, dtype=float)
    weights = pd.Series({d.key: float(d.weight) for d in model.dimensions}, dtype=float)
    known = table.notna().mul(weights, axis=1).sum(axis=1)
    points = table.mul(weights, axis=1).sum(axis=1, min_count=1)
    total = (10 * points / known.where(known > 0)).round(1)
    bands = s.band(total, green_above=model.green_above, red_below=model.red_below)
    return pd.DataFrame({"total": total, "band": bands})


@dataclass(frozen=True)
class HorizonFigures:
    days: int
    table: pd.DataFrame  # band x outcome counts
    churn: pd.DataFrame  # per band: renewals, churns, churn_rate
    auc: float  # of the score's shortfall (100 - total) for churn
    renewals: int


def figures(
    outcomes: pd.DataFrame, snapshots: pd.DataFrame, model: s.ScoringModel
) -> list[HorizonFigures]:
    results = []
    keyed = snapshots.set_index(["account_id", "week"])
    for days in HORIZONS:
        weeks = [s.iso_week(r - dt.timedelta(days=days)) for r in outcomes["renewal"]]
        index = pd.MultiIndex.from_arrays([outcomes["account_id"], weeks])
        scores = keyed["scores"].reindex(index)
        present = scores.notna().to_numpy()
        rescored = rescore(scores[present], model).reset_index(drop=True)
        joined = outcomes[present].reset_index(drop=True).join(rescored)
        churned = joined["outcome"] == "churned"
        table = pd.crosstab(joined["band"], joined["outcome"]).reindex(
            columns=list(OUTCOMES), fill_value=0
        )
        results.append(
            HorizonFigures(
                days=days,
                table=table,
                churn=s.churn_rate_by_band(joined["band"], churned),
                auc=s.roc_auc(100 - joined["total"], churned),
                renewals=len(joined),
            )
        )
    return results
