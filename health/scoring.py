"""Health scoring in pure pandas: no Django, no database, no clock.

The input is one frame with one row per account (index: account id) holding the signals the
loader aggregated in SQL (column names below). Each calculator turns some columns into a
0-10 score and a driver sentence per account: the facts behind the points. A missing signal
(NaN) gives NaN, *insufficient data*, never a silent zero. A model (``health.weighting``)
weights the dimensions to a total of 0-100 and bands it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

# Input columns, one row per account.
ACTIVE_USERS = "active_users"  # distinct active users, trailing window
ACTIVE_USERS_PRIOR = "active_users_prior"  # the same, the window before
LICENSED_SEATS = "licensed_seats"
LADDER_LEVEL = "ladder_level"  # highest value-ladder level reached on any use case, 0-4
PROVEN_EVIDENCE = "proven_evidence"  # proven evidence items
DAYS_SINCE_PROOF = "days_since_proof"  # days since the latest proven evidence was confirmed
OWNERS_ACTIVE = "owners_active"
CHAMPIONS_ACTIVE = "champions_active"
KEY_DEPARTURES = "key_departures"  # Owners and Champions who left within the window
OPEN_P1 = "open_p1"
OPEN_P2 = "open_p2"
OPEN_P3 = "open_p3"
OPEN_P4 = "open_p4"
SURVEY_SCORE = "survey_score"  # mean survey answer, normalised to 0-10
SURVEY_COUNT = "survey_count"
STAKEHOLDER_SENTIMENT = "stakeholder_sentiment"  # mean stakeholder sentiment, 0-10
DAYS_SINCE_INTERACTION = "days_since_interaction"

INSUFFICIENT = "insufficient"
GREEN, YELLOW, RED = "green", "yellow", "red"
BANDS = (GREEN, YELLOW, RED)


def iso_week(day: dt.date) -> dt.date:
    """The Monday of the ISO week ``day`` falls in: how snapshots name their week."""
    return day - dt.timedelta(days=day.weekday())


class MissingColumns(ValueError):
    """The frame lacks columns a calculator needs."""


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...], who: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise MissingColumns(f"{who} needs the columns {', '.join(missing)}")


@dataclass(frozen=True)
class DimensionResult:
    """Scores 0-10 (NaN: insufficient data) and one driver sentence per account."""

    score: pd.Series
    drivers: pd.Series


def _result(frame: pd.DataFrame, score: pd.Series, drivers: pd.Series) -> DimensionResult:
    score = score.astype(float).clip(0, 10).round(2)
    drivers = drivers.where(score.notna(), "Insufficient data")
    return DimensionResult(score.rename("score"), drivers.astype(object).rename("drivers"))


def _count(series: pd.Series) -> pd.Series:
    return series.astype("Int64").astype(str)


# --- Calculators -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageParams:
    target_ratio: float = 0.8  # share of seats active that earns full marks
    decline_share: float = 0.2  # a fall of this share since the prior window costs points
    decline_penalty: float = 2.0


def usage_vs_contract(frame: pd.DataFrame, params: UsageParams) -> DimensionResult:
    """Active users against licensed seats, less a penalty when usage is falling."""
    require_columns(frame, (ACTIVE_USERS, ACTIVE_USERS_PRIOR, LICENSED_SEATS), "usage_vs_contract")
    seats = frame[LICENSED_SEATS].astype(float).where(lambda s: s > 0)
    active = frame[ACTIVE_USERS].astype(float)
    prior = frame[ACTIVE_USERS_PRIOR].astype(float)
    ratio = active / seats
    score = 10 * (ratio / params.target_ratio).clip(upper=1)
    falling = (prior > 0) & (active < prior * (1 - params.decline_share))
    score = score - falling * params.decline_penalty
    drivers = _count(active) + " of " + _count(seats) + " seats active"
    drivers = drivers.where(~falling, drivers + " (down from " + _count(prior) + ")")
    return _result(frame, score, drivers)


@dataclass(frozen=True)
class LadderParams:
    top_level: int = 4


def ladder_progress(frame: pd.DataFrame, params: LadderParams) -> DimensionResult:
    """The highest value-ladder level reached, as a share of the top level."""
    require_columns(frame, (LADDER_LEVEL,), "ladder_progress")
    level = frame[LADDER_LEVEL].astype(float)
    score = 10 * level / params.top_level
    drivers = "Highest level " + _count(level) + " of " + str(params.top_level) + " reached"
    return _result(frame, score, drivers)


@dataclass(frozen=True)
class ValueProofParams:
    points_per_proof: float = 2.5
    stale_after_days: int = 180  # proof older than this counts half


def value_proof(frame: pd.DataFrame, params: ValueProofParams) -> DimensionResult:
    """Proven evidence, worth half when the latest proof has gone stale."""
    require_columns(frame, (PROVEN_EVIDENCE, DAYS_SINCE_PROOF), "value_proof")
    proven = frame[PROVEN_EVIDENCE].astype(float)
    age = frame[DAYS_SINCE_PROOF].astype(float)
    score = (proven * params.points_per_proof).clip(upper=10)
    stale = age > params.stale_after_days
    score = score.where(~stale, score / 2)
    drivers = _count(proven) + " proven evidence"
    drivers = drivers.where(
        proven.isna() | (proven == 0),
        drivers + ", latest " + _count(age) + " days ago",
    )
    return _result(frame, score, drivers)


@dataclass(frozen=True)
class CoverageParams:
    owner_points: float = 5.0
    champion_points: float = 5.0
    departure_penalty: float = 3.0


def stakeholder_coverage(frame: pd.DataFrame, params: CoverageParams) -> DimensionResult:
    """An active Owner and an active Champion earn the points; each recent departure costs."""
    require_columns(
        frame, (OWNERS_ACTIVE, CHAMPIONS_ACTIVE, KEY_DEPARTURES), "stakeholder_coverage"
    )
    owners = frame[OWNERS_ACTIVE].astype(float)
    champions = frame[CHAMPIONS_ACTIVE].astype(float)
    departures = frame[KEY_DEPARTURES].astype(float)
    score = (
        (owners > 0) * params.owner_points
        + (champions > 0) * params.champion_points
        - departures * params.departure_penalty
    )
    score = score.where(owners.notna() & champions.notna() & departures.notna())
    drivers = (
        np.where(owners > 0, "Owner active", "no active Owner")
        + pd.Series(", ", index=frame.index)
        + np.where(champions > 0, "Champion active", "no active Champion")
    )
    drivers = drivers.where(departures == 0, drivers + ", " + _count(departures) + " left recently")
    return _result(frame, score, drivers)


@dataclass(frozen=True)
class SupportParams:
    p1_cost: float = 10.0
    p2_cost: float = 3.0
    p3_cost: float = 1.0
    p4_cost: float = 0.5


def support_burden(frame: pd.DataFrame, params: SupportParams) -> DimensionResult:
    """Ten points less the cost of each open ticket by priority: one open P1 takes them all."""
    require_columns(frame, (OPEN_P1, OPEN_P2, OPEN_P3, OPEN_P4), "support_burden")
    p1, p2, p3, p4 = (frame[c].astype(float) for c in (OPEN_P1, OPEN_P2, OPEN_P3, OPEN_P4))
    score = 10 - (
        p1 * params.p1_cost + p2 * params.p2_cost + p3 * params.p3_cost + p4 * params.p4_cost
    )
    drivers = (
        "Open tickets: " + _count(p1) + " P1, " + _count(p2) + " P2, " + _count(p3 + p4) + " P3/P4"
    )
    return _result(frame, score, drivers)


@dataclass(frozen=True)
class SentimentParams:
    survey_share: float = 0.5  # weight of surveys when stakeholder sentiment is known too


def sentiment(frame: pd.DataFrame, params: SentimentParams) -> DimensionResult:
    """Survey answers and stakeholder sentiment (both 0-10), blended; either alone will do."""
    require_columns(frame, (SURVEY_SCORE, SURVEY_COUNT, STAKEHOLDER_SENTIMENT), "sentiment")
    survey = frame[SURVEY_SCORE].astype(float)
    people = frame[STAKEHOLDER_SENTIMENT].astype(float)
    blended = params.survey_share * survey + (1 - params.survey_share) * people
    score = blended.where(survey.notna() & people.notna(), survey.fillna(people))
    drivers = pd.Series("", index=frame.index, dtype=object)
    drivers = drivers.where(
        survey.isna(),
        "Survey mean " + survey.round(1).astype(str) + " over " + _count(frame[SURVEY_COUNT]),
    )
    people_text = "stakeholder sentiment " + people.round(1).astype(str)
    drivers = drivers.where(
        people.isna(), drivers.where(drivers == "", drivers + ", ") + people_text
    )
    return _result(frame, score, drivers)


@dataclass(frozen=True)
class CadenceParams:
    full_marks_days: int = 14  # a meaningful interaction this recent earns full marks
    zero_days: int = 90  # this much silence earns nothing


def engagement_cadence(frame: pd.DataFrame, params: CadenceParams) -> DimensionResult:
    """Days since the last meaningful interaction, full marks down to zero linearly."""
    require_columns(frame, (DAYS_SINCE_INTERACTION,), "engagement_cadence")
    days = frame[DAYS_SINCE_INTERACTION].astype(float)
    span = params.zero_days - params.full_marks_days
    score = 10 * (params.zero_days - days) / span
    drivers = "Last meaningful interaction " + _count(days) + " days ago"
    return _result(frame, score, drivers)


@dataclass(frozen=True)
class Calculator:
    function: Callable[[pd.DataFrame, object], DimensionResult]
    params: type
    label: str


CALCULATORS: dict[str, Calculator] = {
    "usage_vs_contract": Calculator(usage_vs_contract, UsageParams, "Usage vs contract"),
    "ladder_progress": Calculator(ladder_progress, LadderParams, "Use-case ladder progress"),
    "value_proof": Calculator(value_proof, ValueProofParams, "Value proof"),
    "stakeholder_coverage": Calculator(
        stakeholder_coverage, CoverageParams, "Stakeholder coverage"
    ),
    "support_burden": Calculator(support_burden, SupportParams, "Support burden"),
    "sentiment": Calculator(sentiment, SentimentParams, "Sentiment"),
    "engagement_cadence": Calculator(engagement_cadence, CadenceParams, "Engagement cadence"),
}

# Columns every frame carries, for loaders and tests building one.
INPUT_COLUMNS = (
    ACTIVE_USERS,
    ACTIVE_USERS_PRIOR,
    LICENSED_SEATS,
    LADDER_LEVEL,
    PROVEN_EVIDENCE,
    DAYS_SINCE_PROOF,
    OWNERS_ACTIVE,
    CHAMPIONS_ACTIVE,
    KEY_DEPARTURES,
    OPEN_P1,
    OPEN_P2,
    OPEN_P3,
    OPEN_P4,
    SURVEY_SCORE,
    SURVEY_COUNT,
    STAKEHOLDER_SENTIMENT,
    DAYS_SINCE_INTERACTION,
)


def calculator_params(name: str, values: dict) -> object:
    """The parameters of calculator ``name``; raises ValueError naming what is wrong."""
    if name not in CALCULATORS:
        raise ValueError(f"unknown calculator {name!r}")
    params_type = CALCULATORS[name].params
    known = {f.name: f for f in fields(params_type)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"{name} has no parameter {', '.join(unknown)}")
    try:
        converted = {key: type(known[key].default)(value) for key, value in values.items()}
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name}: a parameter is not a number ({error})") from None
    return params_type(**converted)
