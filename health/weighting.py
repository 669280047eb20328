"""Scoring models: each weights the dimensions' scores to a total of 0-100 and bands it.

Pure pandas, like the calculators it runs: no Django, no database, no clock. The default model
reproduces the worked example of the product brief: 32 of 200 seats active, the Champion (the
sponsor) just left and one open P1 ticket give 28 of 100, Red. The arithmetic is written out in
tests/health/test_scoring.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from health.scoring import CALCULATORS, GREEN, INSUFFICIENT, RED, YELLOW, calculator_params


@dataclass(frozen=True)
class Dimension:
    key: str
    calculator: str
    weight: float  # percent of the total
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ScoringModel:
    dimensions: tuple[Dimension, ...]
    green_above: float = 75.0
    red_below: float = 50.0


def model_errors(model: ScoringModel) -> dict[str, str]:
    """What is wrong with ``model``, by part: ``weights``, ``thresholds`` or a dimension key."""
    errors = {}
    total = sum(dimension.weight for dimension in model.dimensions)
    if not math.isclose(total, 100):
        errors["weights"] = f"The weights sum to {total:g}%, not 100%."
    if any(dimension.weight < 0 for dimension in model.dimensions):
        errors["weights"] = "A weight cannot be negative."
    if not 0 <= model.red_below <= model.green_above <= 100:
        errors["thresholds"] = "Thresholds must satisfy 0 ≤ Red below ≤ Green above ≤ 100."
    for dimension in model.dimensions:
        try:
            calculator_params(dimension.calculator, dimension.params)
        except ValueError as error:
            errors[dimension.key] = str(error)
    return errors


DEFAULT_MODEL = ScoringModel(
    dimensions=(
        Dimension("usage", "usage_vs_contract", 25),
        Dimension("ladder", "ladder_progress", 10),
        Dimension("value_proof", "value_proof", 15),
        Dimension("stakeholders", "stakeholder_coverage", 15),
        Dimension("support", "support_burden", 15),
        Dimension("sentiment", "sentiment", 10),
        Dimension("engagement", "engagement_cadence", 10),
    )
)


def band(total: pd.Series, *, green_above: float, red_below: float) -> pd.Series:
    """Green above ``green_above``, Red below ``red_below``, Yellow between (both inclusive)."""
    bands = np.select(
        [total.isna(), total > green_above, total < red_below],
        [INSUFFICIENT, GREEN, RED],
        default=YELLOW,
    )
    return pd.Series(bands, index=total.index, name="band", dtype=object)


@dataclass(frozen=True)
class ScoredFrame:
    """Per account: ``scores`` (a column per dimension, 0-10 or NaN), ``drivers`` (the same
    columns, sentences), ``total`` 0-100 and ``band``."""

    scores: pd.DataFrame
    drivers: pd.DataFrame
    total: pd.Series
    band: pd.Series


def score(frame: pd.DataFrame, model: ScoringModel) -> ScoredFrame:
    """Score every account of ``frame`` with ``model``.

    The total weighs the dimensions with data; a dimension with insufficient data gives its
    weight to the others, so one missing signal does not drag an account to Red. An account
    with no data on any dimension has no total and the band ``insufficient``.
    """
    scores, drivers = {}, {}
    for dimension in model.dimensions:
        calculator = CALCULATORS[dimension.calculator]
        result = calculator.function(
            frame, calculator_params(dimension.calculator, dimension.params)
        )
        scores[dimension.key] = result.score
        drivers[dimension.key] = result.drivers
    keys = [dimension.key for dimension in model.dimensions]
    score_frame = pd.DataFrame(scores, index=frame.index, columns=keys, dtype=float)
    driver_frame = pd.DataFrame(drivers, index=frame.index, columns=keys, dtype=object)
    weights = pd.Series({d.key: float(d.weight) for d in model.dimensions}, dtype=float)
    known_weight = score_frame.notna().mul(weights, axis=1).sum(axis=1)
    points = score_frame.mul(weights, axis=1).sum(axis=1, min_count=1)
    total = (10 * points / known_weight.where(known_weight > 0)).round(1).rename("total")
    return ScoredFrame(
        scores=score_frame,
        drivers=driver_frame,
        total=total,
        band=band(total, green_above=model.green_above, red_below=model.red_below),
    )


def choose_models(segments: pd.Series, model_segments: list[frozenset[str] | None]) -> pd.Series:
    """For each account (its segment in ``segments``), the position in ``model_segments`` of the
    first model that takes it: a set of segments takes its members, ``None`` (the default)
    takes any account no earlier model took. -1 where no model takes the account."""
    chosen = pd.Series(-1, index=segments.index, dtype=int)
    default = next((i for i, taken in enumerate(model_segments) if taken is None), None)
    for position, taken in enumerate(model_segments):
        if taken is not None:
            chosen = chosen.where((chosen >= 0) | ~segments.isin(taken), position)
    if default is not None:
        chosen = chosen.where(chosen >= 0, default)
    return chosen
