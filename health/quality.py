"""Does the score predict anything? Pure pandas and numpy: renewal outcomes against the band
and score an account had 90 and 180 days before, for a published model and a proposed one.

A backtest a leader can believe: weights are compared on the earlier renewals and the figures
reported on the later ones (out of time); every figure carries its renewals and churns and a
bootstrap interval, and a figure resting on fewer than MIN_CHURNS churns says so. Randomness
comes from a numpy generator the caller passes in, so a backtest is reproducible.

``outcomes`` (see ``renewal_outcomes``): one row per past renewal, columns ``account_id``,
``renewal`` (date) and ``outcome`` (renewed, expanded, downgraded, churned). ``snapshots``:
columns ``account_id``, ``week`` (Monday) and ``scores`` (dimension key -> 0-10 or None).
Totals and bands are computed here from the stored dimension scores, so a proposed weighting
is judged on the same history.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from health import scoring as s
from health import weighting

HORIZONS = (90, 180)
OUTCOMES = ("renewed", "expanded", "downgraded", "churned")
# A ledger movement this close to a renewal is that renewal's outcome.
RENEWAL_MOVEMENT_DAYS = 60
OUTCOME_OF_MOVEMENT = {"churn": "churned", "contraction": "downgraded", "expansion": "expanded"}
MIN_CHURNS = 30  # fewer churns than this, and a figure says it is too thin to trust
BOOTSTRAP_DRAWS = 1_000
CONFIDENCE = 0.95
FIT_SHARE = 0.5  # the earlier half of the renewals judges weights, the later half reports
# Renewals resampled at once by the bootstrap: bounds its memory on a large book.
BOOTSTRAP_CELLS = 2_000_000
# One scored renewal as a backtest stores it, for drill-down and for judging other weights.
RENEWAL_FIELDS = ("days", "account_id", "renewal", "outcome", "total", "band", "scores")


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


def _score_table(scores: pd.Series, keys: list[str]) -> pd.DataFrame:
    """Dimension scores (dicts) as a float table with the columns ``keys``, NaN for none."""
    return pd.DataFrame(list(scores), index=scores.index, columns=keys, dtype=float)


def rescore(scores: pd.Series, model: weighting.ScoringModel) -> pd.DataFrame:
    """Total and band of stored dimension scores under ``model``; a dimension the model has
    and the scores lack counts as insufficient data."""
    keys = [d.key for d in model.dimensions]
    table = _score_table(scores, keys)
    weights = pd.Series({d.key: float(d.weight) for d in model.dimensions}, dtype=float)
    known = table.notna().mul(weights, axis=1).sum(axis=1)
    points = table.mul(weights, axis=1).sum(axis=1, min_count=1)
    total = (10 * points / known.where(known > 0)).round(1)
    bands = weighting.band(total, green_above=model.green_above, red_below=model.red_below)
    return pd.DataFrame({"total": total, "band": bands})


def scored_renewals(
    outcomes: pd.DataFrame, snapshots: pd.DataFrame, model: weighting.ScoringModel, days: int
) -> pd.DataFrame:
    """The renewals with a snapshot ``days`` before them: ``account_id``, ``renewal``,
    ``outcome``, and that snapshot's ``total`` and ``band`` under ``model`` and its ``scores``
    (a list in the model's dimension order, None for no data)."""
    keys = [d.key for d in model.dimensions]
    columns = ["account_id", "renewal", "outcome", "total", "band", "scores"]
    if outcomes.empty or snapshots.empty:
        return pd.DataFrame(columns=columns)
    weeks = [s.iso_week(r - dt.timedelta(days=days)) for r in outcomes["renewal"]]
    index = pd.MultiIndex.from_arrays([outcomes["account_id"], weeks])
    scores = snapshots.set_index(["account_id", "week"])["scores"].reindex(index)
    present = scores.notna().to_numpy()
    scores = scores[present].reset_index(drop=True)
    table = _score_table(scores, keys)
    joined = outcomes[present].reset_index(drop=True)[["account_id", "renewal", "outcome"]]
    joined = joined.join(rescore(scores, model))
    joined["scores"] = [
        [None if np.isnan(value) else float(value) for value in row] for row in table.to_numpy()
    ]
    return joined[columns]


def split_date(renewals: pd.Series, fit_share: float = FIT_SHARE) -> dt.date | None:
    """The first day of the report set: renewals before it form the fit set (about
    ``fit_share`` of them, the earliest), the rest are reported. Renewals of one day stay
    together. None when there are no renewals."""
    if not 0 <= fit_share < 1:
        raise ValueError("fit_share must be at least 0 and below 1")
    ordered = sorted(renewals)
    return ordered[int(len(ordered) * fit_share)] if ordered else None


def _auc_of_counts(churned: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """AUC from counts per score level (last axis, ascending shortfall): the chance a churned
    renewal's shortfall beats a kept one's, ties counted half. NaN where a class is empty."""
    kept_below = np.cumsum(kept, axis=-1) - kept
    wins = (churned * (kept_below + kept / 2)).sum(axis=-1)
    pairs = churned.sum(axis=-1) * kept.sum(axis=-1)
    return np.divide(wins, pairs, out=np.full(pairs.shape, np.nan), where=pairs > 0)


def _bootstrap(
    rows: pd.DataFrame, bands: list[str], rng: np.random.Generator, draws: int
) -> tuple[np.ndarray, np.ndarray]:
    """The AUC and each band's churn rate in ``draws`` resamples (with replacement) of the
    renewals: arrays (draws,) and (draws, bands), NaN where a resample lacks the data."""
    churned = (rows["outcome"] == "churned").to_numpy().astype(int)
    shortfall = (100 - rows["total"].astype(float)).to_numpy()
    scored = ~np.isnan(shortfall)
    levels = np.unique(shortfall[scored])
    # Level codes ascend with the shortfall; renewals without a total get one past the last,
    # which the AUC leaves out.
    codes = np.where(scored, np.searchsorted(levels, np.nan_to_num(shortfall)), len(levels))
    band_codes = rows["band"].map({band: i for i, band in enumerate(bands)}).to_numpy()
    n, n_levels, n_bands = len(rows), len(levels) + 1, len(bands)
    aucs, rates = [], []
    per_chunk = max(1, BOOTSTRAP_CELLS // max(n, 1))
    for start in range(0, draws, per_chunk):
        k = min(per_chunk, draws - start)
        picked = rng.integers(0, n, size=(k, n))
        draw = np.repeat(np.arange(k), n)
        outcome = churned[picked].ravel()
        by_level = np.bincount(
            (draw * n_levels + codes[picked].ravel()) * 2 + outcome, minlength=k * n_levels * 2
        ).reshape(k, n_levels, 2)[:, :-1]
        aucs.append(_auc_of_counts(by_level[..., 1], by_level[..., 0]))
        by_band = np.bincount(
            (draw * n_bands + band_codes[picked].ravel()) * 2 + outcome, minlength=k * n_bands * 2
        ).reshape(k, n_bands, 2)
        renewals = by_band.sum(axis=-1)
        rates.append(
            np.divide(
                by_band[..., 1], renewals, out=np.full(renewals.shape, np.nan), where=renewals > 0
            )
        )
    return np.concatenate(aucs), np.concatenate(rates)


def _interval(draws: np.ndarray, confidence: float) -> list[float] | None:
    """The percentile interval of the finite draws, None when there are none."""
    finite = draws[np.isfinite(draws)]
    if not len(finite):
        return None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return [float(low), float(high)]


def _number(value: float) -> float | None:
    return None if pd.isna(value) else float(value)


def judge(
    rows: pd.DataFrame,
    *,
    rng: np.random.Generator,
    draws: int = BOOTSTRAP_DRAWS,
    confidence: float = CONFIDENCE,
) -> dict:
    """How well the scores of ``rows`` (``scored_renewals``) foretold churn, JSON-safe: the
    renewals and churns, whether the churns are fewer than MIN_CHURNS (``thin``), the AUC of
    the shortfall (100 - total) and, per band, renewals, churns and churn rate, each figure
    with its bootstrap interval at ``confidence`` (None where no resample had the data)."""
    if draws < 1:
        raise ValueError("draws must be at least 1")
    churned = rows["outcome"] == "churned"
    churns = int(churned.sum())
    by_band = churn_rate_by_band(rows["band"], churned)
    bands = list(by_band.index)
    aucs, rates = (
        _bootstrap(rows, bands, rng, draws) if len(rows) else (np.array([]), np.empty((0, 0)))
    )
    return {
        "renewals": len(rows),
        "churns": churns,
        "thin": churns < MIN_CHURNS,
        "auc": _number(roc_auc(100 - rows["total"].astype(float), churned)),
        "auc_interval": _interval(aucs, confidence),
        "bands": [
            {
                "band": band,
                "renewals": int(row.renewals),
                "churns": int(row.churns),
                "churn_rate": float(row.churn_rate),
                "interval": _interval(rates[:, i], confidence),
            }
            for i, (band, row) in enumerate(by_band.iterrows())
        ],
    }


def backtest(
    outcomes: pd.DataFrame,
    snapshots: pd.DataFrame,
    model: weighting.ScoringModel,
    *,
    rng: np.random.Generator,
    draws: int = BOOTSTRAP_DRAWS,
    fit_share: float = FIT_SHARE,
) -> tuple[dict, list[list]]:
    """The backtest of ``model`` on past renewals: its figures (JSON-safe) and the scored
    renewals behind them (rows of RENEWAL_FIELDS, dates as ISO strings).

    The renewals are split in time (``split_date``): the earlier ones (``fit``) are where
    weights are compared, the later ones (``report``) where the model is judged. Figures:
    ``split`` (the report set's first day, or None), ``keys`` (the dimensions, in the order of
    each renewal's scores) and, per horizon, ``days`` with ``judge`` of both sets.
    """
    split = split_date(outcomes["renewal"], fit_share)
    horizons, renewals = [], []
    for days in HORIZONS:
        rows = scored_renewals(outcomes, snapshots, model, days)
        earlier = rows["renewal"] < split if split else pd.Series(False, index=rows.index)
        horizons.append(
            {
                "days": days,
                "fit": judge(rows[earlier], rng=rng, draws=draws),
                "report": judge(rows[~earlier], rng=rng, draws=draws),
            }
        )
        renewals.extend(
            [days, int(account), renewal.isoformat(), outcome, _number(total), band, scores]
            for account, renewal, outcome, total, band, scores in rows.itertuples(index=False)
        )
    figures = {
        "split": split.isoformat() if split else None,
        "keys": [d.key for d in model.dimensions],
        "horizons": horizons,
    }
    return figures, renewals


def compare(
    renewals: pd.DataFrame, *, keys: list[str], split: str | None, models: dict
) -> list[dict]:
    """Weights judged on a backtest's stored renewals (columns RENEWAL_FIELDS, scores in
    ``keys`` order, renewal dates and ``split`` as ISO strings, as ``backtest`` gives them): per
    horizon, the AUC of each of ``models`` (label -> ScoringModel) with
    the renewals and churns behind it (``thin`` below MIN_CHURNS), on the earlier renewals
    (``fit``), where weights are compared, and on the later ones (``report``), which say
    whether a choice holds out of time."""
    results = []
    for days in HORIZONS:
        rows = renewals[renewals["days"] == days]
        scores = rows["scores"].map(lambda row: dict(zip(keys, row, strict=True)))
        # ISO dates compare as their strings do.
        earlier = rows["renewal"] < split if split else pd.Series(False, index=rows.index)
        churned = rows["outcome"] == "churned"
        result = {"days": days}
        for name, part in (("fit", earlier), ("report", ~earlier)):
            churns = int(churned[part].sum())
            result[name] = {
                "renewals": int(part.sum()),
                "churns": churns,
                "thin": churns < MIN_CHURNS,
                "auc": {
                    label: _number(
                        roc_auc(100 - rescore(scores[part], model)["total"], churned[part])
                    )
                    for label, model in models.items()
                },
            }
        results.append(result)
    return results


def roc_auc(scores: pd.Series, positive: pd.Series) -> float:
    """Area under the ROC curve of ``scores`` for predicting ``positive`` (True), by the rank
    statistic (Mann-Whitney U), ties counted half. NaN when either class is empty."""
    data = pd.DataFrame({"score": scores, "positive": positive.astype(bool)}).dropna()
    n_pos = int(data["positive"].sum())
    n_neg = len(data) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = data["score"].rank(method="average")
    rank_sum = ranks[data["positive"]].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def churn_rate_by_band(bands: pd.Series, churned: pd.Series) -> pd.DataFrame:
    """Per band: renewals, churns and the churn rate (churns / renewals)."""
    data = pd.DataFrame({"band": bands, "churned": churned.astype(bool)})
    grouped = data.groupby("band")["churned"].agg(renewals="count", churns="sum")
    grouped = grouped.reindex([b for b in (*s.BANDS, s.INSUFFICIENT) if b in grouped.index])
    grouped["churn_rate"] = grouped["churns"] / grouped["renewals"]
    return grouped
