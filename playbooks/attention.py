"""The attention ranking: which accounts need a CSM this week, and why. Pure pandas, no Django.

Each account gets eight factors between 0 and 1, each multiplied by its workspace weight; the
score is their sum. The page shows this formula and every weight (``FACTORS`` holds the words),
and each entry lists the factors that gave it points, largest first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ACCOUNT_ID = "account_id"
BAND = "band"
CHANGE = "change"
ARR = "arr"
RENEWAL_DAYS = "renewal_days"
VALUE_DELTA = "value_delta"
OPEN_ITEMS = "open_items"
OVERDUE_ITEMS = "overdue_items"
STAKEHOLDER_CHANGES = "stakeholder_changes"
SILENCE_DAYS = "silence_days"
UNPROVEN_CLAIMS = "unproven_claims"
SCORE = "score"

REQUIRED = (
    ACCOUNT_ID,
    BAND,
    CHANGE,
    ARR,
    RENEWAL_DAYS,
    VALUE_DELTA,
    OPEN_ITEMS,
    OVERDUE_ITEMS,
    STAKEHOLDER_CHANGES,
    SILENCE_DAYS,
    UNPROVEN_CLAIMS,
)

BAND_RISK = {"red": 1.0, "yellow": 0.5}
TREND_FULL_DROP = 20.0  # health points lost in a week that make the trend factor 1
WORK_FULL = 6  # open plus overdue items (an overdue one counts twice) that make the factor 1
CHANGES_FULL = 2  # stakeholder changes in the window that make the factor 1
CLAIMS_FULL = 3  # unproven claims near renewal that make the factor 1

# key -> (label, how the factor is computed), in the order the page documents them.
FACTORS = {
    "risk": ("Risk", "1 for a Red band, 0.5 for Yellow, 0 for Green or no score yet"),
    "trend": (
        "Health trend",
        f"last week's fall in the health score over {TREND_FULL_DROP:g} points, 0 to 1",
    ),
    "renewal": (
        "Renewal proximity",
        "1 - days to renewal ÷ renewal horizon, 0 to 1 (1 once the date is past)",
    ),
    "arr": ("ARR at stake", "ARR in the workspace currency ÷ the largest ARR in the queue"),
    "value_delta": (
        "Unrealised value",
        "assisted value of use cases not yet proven at level 3 ÷ the largest in the queue",
    ),
    "work": (
        "Open work",
        f"open tasks and overdue plan milestones, overdue tasks counted twice, over {WORK_FULL}",
    ),
    "stakeholders": (
        "Stakeholder changes",
        f"departures and role changes in the last 30 days, over {CHANGES_FULL}",
    ),
    "silence": (
        "Silence",
        "days since the last conversation a customer took part in ÷ silence horizon "
        "(1 when there was none)",
    ),
    "unproven": (
        "Unproven claims near renewal",
        f"unproven claims over {CLAIMS_FULL} while the renewal is inside the horizon",
    ),
}


@dataclass(frozen=True)
class AttentionWeights:
    risk: float = 30
    trend: float = 10
    renewal: float = 20
    arr: float = 15
    value_delta: float = 10
    work: float = 10
    stakeholders: float = 15
    silence: float = 10
    unproven: float = 10
    renewal_horizon_days: int = 120
    silence_horizon_days: int = 60

    def weight(self, key: str) -> float:
        return getattr(self, key)


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=float, na_value=np.nan)


def _unit(values: np.ndarray, *, missing: float) -> np.ndarray:
    """``values`` clipped to 0..1, ``missing`` where there is no value. Plain numpy: pandas'
    own clip costs more than the whole ranking on a queue this size."""
    return np.nan_to_num(np.clip(values, 0.0, 1.0), nan=missing)


def _share_of_max(values: np.ndarray) -> np.ndarray:
    values = np.clip(np.nan_to_num(values, nan=0.0), 0.0, None)
    top = values.max() if len(values) else 0.0
    return values / top if top > 0 else values * 0.0


def attention_factors(frame: pd.DataFrame, weights: AttentionWeights) -> pd.DataFrame:
    """One column per factor (0 to 1), indexed like ``frame``."""
    missing = [name for name in REQUIRED if name not in frame.columns]
    if missing:
        raise ValueError(f"attention input lacks columns: {', '.join(missing)}")
    renewal_days = _values(frame, RENEWAL_DAYS)
    horizon = float(weights.renewal_horizon_days)
    in_horizon = (renewal_days <= horizon).astype(float)  # False for no renewal date
    work = (_values(frame, OPEN_ITEMS) + _values(frame, OVERDUE_ITEMS)) / WORK_FULL
    return pd.DataFrame(
        {
            "risk": frame[BAND].map(BAND_RISK).fillna(0.0).to_numpy(dtype=float),
            "trend": _unit(-_values(frame, CHANGE) / TREND_FULL_DROP, missing=0.0),
            "renewal": _unit(1 - renewal_days / horizon, missing=0.0),
            "arr": _share_of_max(_values(frame, ARR)),
            "value_delta": _share_of_max(_values(frame, VALUE_DELTA)),
            "work": _unit(work, missing=0.0),
            "stakeholders": _unit(_values(frame, STAKEHOLDER_CHANGES) / CHANGES_FULL, missing=0.0),
            "silence": _unit(
                _values(frame, SILENCE_DAYS) / float(weights.silence_horizon_days), missing=1.0
            ),
            "unproven": _unit(_values(frame, UNPROVEN_CLAIMS) / CLAIMS_FULL, missing=0.0)
            * in_horizon,
        },
        index=frame.index,
    )


def attention_rank(frame: pd.DataFrame, weights: AttentionWeights) -> pd.DataFrame:
    """``frame`` with a column of points per factor (weight times factor) and the ``score``, their
    sum; highest score first, the account id breaking ties so every run orders alike."""
    factors = attention_factors(frame, weights)
    points = factors.mul([weights.weight(key) for key in FACTORS], axis=1).round(2)
    ranked = pd.concat([frame, points.add_prefix("points_")], axis=1)
    ranked[SCORE] = points.sum(axis=1).round(2) if len(points) else pd.Series(dtype=float)
    return ranked.sort_values([SCORE, ACCOUNT_ID], ascending=[False, True], kind="stable")


def attention_reasons(row: pd.Series) -> list[tuple[str, float]]:
    """The factors that gave one ranked row points, as (key, points), largest first."""
    found = [(key, float(row[f"points_{key}"])) for key in FACTORS]
    found = [(key, points) for key, points in found if not np.isnan(points) and points > 0]
    return sorted(found, key=lambda item: -item[1])
