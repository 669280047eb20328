"""The renewal forecast: expected renewing ARR per quarter from the workspace's own past
renewals. Pure pandas and numpy: no Django, no clock; the caller passes the history as it stood
on the day the forecast is made, so a past quarter's forecast can be made again honestly.

``history``: one row per past renewal, columns ``band``, ``segment``, ``level`` (the account's
health band and highest ladder level before it renewed) and ``renewed`` (False when it churned).
``upcoming``: one row per account due to renew, columns ``account_id``, ``quarter`` (a label),
``arr`` (in the workspace's currency), ``band``, ``segment`` and ``level``.

P(renew | band, segment, level) is the renewal rate of the past renewals in that cell, shrunk
toward the rate of its band, itself shrunk toward the overall rate (additive smoothing): with
``k`` = ``prior_weight``,

    p_overall = renewed / renewals
    p_band    = (renewed_band + k * p_overall) / (renewals_band + k)
    p_cell    = (renewed_cell + k * p_band) / (renewals_cell + k)

so a cell with many renewals keeps its own rate, a thin one leans on its band, and a cell with
none takes its band's rate (its overall rate when the band has none). The interval resamples
the past renewals with replacement (bootstrap) and recomputes every probability and quarter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CELL = ["band", "segment", "level"]
HISTORY_COLUMNS = (*CELL, "renewed")
UPCOMING_COLUMNS = ("account_id", "quarter", "arr", *CELL)
LADDER_TOP = 4  # the ladder dimension scores the highest level as level / LADDER_TOP x 10


@dataclass(frozen=True)
class ForecastParams:
    prior_weight: float = 5.0  # renewals' worth of weight the coarser rate carries in a cell
    # Fewer past renewals than this and the workspace is told so instead of given a forecast.
    min_renewals: int = 20
    draws: int = 500
    confidence: float = 0.9
    movers: int = 10  # accounts listed as moving the forecast most


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the columns {', '.join(missing)}")


def level_from_ladder_score(scores: pd.Series) -> pd.Series:
    """The ladder level a snapshot's ladder dimension (0-10) stands for; 0 without a score."""
    return (scores.astype(float) * LADDER_TOP / 10).round().fillna(0).astype(int)


def has_enough_history(history: pd.DataFrame, params: ForecastParams = ForecastParams()) -> bool:
    return len(history) >= params.min_renewals


def _codes(history: pd.DataFrame, upcoming: pd.DataFrame) -> tuple[pd.MultiIndex, np.ndarray]:
    """Every cell either frame has, and each cell's band (as a position in the band list)."""
    cells = pd.MultiIndex.from_frame(
        pd.concat([history[CELL], upcoming[CELL]]).drop_duplicates().sort_values(CELL)
    )
    bands = pd.Index(sorted(cells.get_level_values("band").unique()))
    return cells, bands.get_indexer(cells.get_level_values("band"))


def _shrunk(
    renewals: np.ndarray, renewed: np.ndarray, cell_band: np.ndarray, bands: int, k: float
) -> np.ndarray:
    """The smoothed probability of each cell from its renewals and renewed counts."""
    overall = renewed.sum() / renewals.sum()
    band_renewals = np.bincount(cell_band, weights=renewals, minlength=bands)
    band_renewed = np.bincount(cell_band, weights=renewed, minlength=bands)
    with np.errstate(invalid="ignore", divide="ignore"):
        band = np.where(
            band_renewals + k > 0, (band_renewed + k * overall) / (band_renewals + k), overall
        )
        prior = band[cell_band]
        return np.where(renewals + k > 0, (renewed + k * prior) / (renewals + k), prior)


def probabilities(
    history: pd.DataFrame, upcoming: pd.DataFrame, params: ForecastParams = ForecastParams()
) -> pd.DataFrame:
    """Per cell of either frame: ``renewals`` and ``renewed`` behind it, the raw ``rate``
    (NaN without renewals) and the smoothed ``probability``. History must not be empty."""
    _require(history, HISTORY_COLUMNS, "history")
    cells, cell_band = _codes(history, upcoming)
    position = cells.get_indexer(pd.MultiIndex.from_frame(history[CELL]))
    renewals = np.bincount(position, minlength=len(cells)).astype(float)
    renewed = np.bincount(position, weights=history["renewed"].astype(float), minlength=len(cells))
    bands = cell_band.max() + 1
    frame = pd.DataFrame(
        {
            "renewals": renewals.astype(int),
            "renewed": renewed.astype(int),
            "rate": np.where(renewals > 0, renewed / np.where(renewals > 0, renewals, 1), np.nan),
            "probability": _shrunk(renewals, renewed, cell_band, bands, params.prior_weight),
        },
        index=cells,
    )
    return frame


@dataclass(frozen=True)
class Forecast:
    """``quarters``: per quarter label, ``accounts``, ``arr``, ``expected``, ``low`` and
    ``high``; ``accounts``: the upcoming rows with their ``probability``, the ``renewals``
    behind it and ``expected_loss`` (ARR x (1 - p)), largest loss first; ``cells``: the
    probabilities table; ``movers``: the accounts whose expected loss is largest."""

    quarters: pd.DataFrame
    accounts: pd.DataFrame
    cells: pd.DataFrame
    movers: pd.DataFrame


def forecast(
    history: pd.DataFrame,
    upcoming: pd.DataFrame,
    *,
    rng: np.random.Generator,
    params: ForecastParams = ForecastParams(),
) -> Forecast:
    """Expected renewing ARR per quarter = sum of ARR x P(renew | cell), with a bootstrap
    interval. The caller checks ``has_enough_history`` first."""
    _require(upcoming, UPCOMING_COLUMNS, "upcoming")
    cells = probabilities(history, upcoming, params)
    positions = cells.index.get_indexer(pd.MultiIndex.from_frame(upcoming[CELL]))
    accounts = upcoming.assign(
        probability=cells["probability"].to_numpy()[positions],
        renewals=cells["renewals"].to_numpy()[positions],
    )
    accounts["expected"] = accounts["arr"] * accounts["probability"]
    accounts["expected_loss"] = accounts["arr"] - accounts["expected"]
    accounts = accounts.sort_values(["expected_loss", "account_id"], ascending=[False, True])
    quarters = accounts.groupby("quarter", sort=True).agg(
        accounts=("account_id", "count"), arr=("arr", "sum"), expected=("expected", "sum")
    )
    low, high = _interval(history, upcoming, cells, quarters.index, rng=rng, params=params)
    quarters["low"], quarters["high"] = low, high
    return Forecast(
        quarters=quarters,
        accounts=accounts.reset_index(drop=True),
        cells=cells,
        movers=accounts.head(params.movers).reset_index(drop=True),
    )


def _interval(
    history: pd.DataFrame,
    upcoming: pd.DataFrame,
    cells: pd.DataFrame,
    quarters: pd.Index,
    *,
    rng: np.random.Generator,
    params: ForecastParams,
) -> tuple[np.ndarray, np.ndarray]:
    """The bootstrap interval of each quarter's expected ARR: the past renewals drawn again
    with replacement ``draws`` times, every probability and sum recomputed from each draw."""
    position = cells.index.get_indexer(pd.MultiIndex.from_frame(history[CELL]))
    cell_band = pd.Index(sorted(cells.index.get_level_values("band").unique())).get_indexer(
        cells.index.get_level_values("band")
    )
    renewed = history["renewed"].astype(float).to_numpy()
    upcoming_cell = cells.index.get_indexer(pd.MultiIndex.from_frame(upcoming[CELL]))
    upcoming_quarter = quarters.get_indexer(upcoming["quarter"])
    arr = upcoming["arr"].astype(float).to_numpy()
    sums = np.empty((params.draws, len(quarters)))
    for draw in range(params.draws):
        chosen = rng.integers(0, len(position), len(position))
        counts = np.bincount(position[chosen], minlength=len(cells)).astype(float)
        wins = np.bincount(position[chosen], weights=renewed[chosen], minlength=len(cells))
        p = _shrunk(counts, wins, cell_band, cell_band.max() + 1, params.prior_weight)
        sums[draw] = np.bincount(
            upcoming_quarter, weights=arr * p[upcoming_cell], minlength=len(quarters)
        )
    tail = (1 - params.confidence) / 2 * 100
    return np.percentile(sums, tail, axis=0), np.percentile(sums, 100 - tail, axis=0)


@dataclass(frozen=True)
class RenewalOdds:
    """One account's chance to renew by the workspace's past renewals: ``probability`` is
    None when the workspace has fewer than ``needed`` past renewals (``history``);
    ``cell_renewals`` are those of the account's band, segment and level."""

    probability: float | None
    cell_renewals: int
    history: int
    needed: int


def account_odds(
    history: pd.DataFrame,
    *,
    band: str,
    segment: str,
    level: int,
    params: ForecastParams = ForecastParams(),
) -> RenewalOdds:
    """P(renew | band, segment, level) of one account, as the forecast computes it."""
    if not has_enough_history(history, params):
        return RenewalOdds(None, 0, len(history), params.min_renewals)
    cell = pd.DataFrame([{"band": band, "segment": segment, "level": level}])
    found = probabilities(history, cell, params).loc[(band, segment, level)]
    return RenewalOdds(
        float(found["probability"]), int(found["renewals"]), len(history), params.min_renewals
    )


def forecast_error(expected: float, actual: float) -> float | None:
    """How far a forecast missed, as a share of what happened: (forecast - actual) / actual."""
    return None if not actual else (expected - actual) / actual
