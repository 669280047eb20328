"""Measurement theatre: the score rose while usage and proven evidence stayed the same.

Pure pandas, like the scoring it reads: frames in, flags out."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from health.scoring import PROVEN_EVIDENCE, require_columns


@dataclass(frozen=True)
class TheatreParams:
    rise: float = 10.0  # points the total must rise to raise the flag
    weeks: int = 4
    usage_dimensions: tuple[str, ...] = ("usage", "ladder")


def _shown(value: float) -> str:
    return "no data" if pd.isna(value) else f"{value:g}"


def theatre_flags(
    now: pd.DataFrame, before: pd.DataFrame, params: TheatreParams = TheatreParams()
) -> pd.Series:
    """Measurement theatre: the total rose by ``rise`` or more since ``before`` while the usage
    dimensions and the proven evidence count stayed the same. Both frames are indexed by
    account and carry ``total``, ``proven_evidence`` and a column per dimension score. The
    result holds, for each flagged account, the dimensions that moved; unflagged accounts
    are absent."""
    require_columns(now, ("total", PROVEN_EVIDENCE), "theatre_flags")
    both = now.merge(
        before, how="inner", left_index=True, right_index=True, suffixes=("", "_before")
    )
    if both.empty:
        return pd.Series(dtype=object, name="moved")
    rose = both["total"] - both["total_before"] >= params.rise
    usage = [d for d in params.usage_dimensions if d in now.columns]
    still = pd.Series(True, index=both.index)
    for column in [*usage, PROVEN_EVIDENCE]:
        still &= both[column].fillna(-1) == both[f"{column}_before"].fillna(-1)
    flagged = both[rose & still]
    dimension_columns = [
        c for c in now.columns if c not in {"total", PROVEN_EVIDENCE} and f"{c}_before" in both
    ]
    moved = {
        account: ", ".join(
            f"{column} {_shown(row[f'{column}_before'])} → {_shown(row[column])}"
            for column in dimension_columns
            if not (pd.isna(row[column]) and pd.isna(row[f"{column}_before"]))
            and row[column] != row[f"{column}_before"]
        )
        for account, row in flagged.iterrows()
    }
    return pd.Series(moved, dtype=object, name="moved")
