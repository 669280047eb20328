"""Segment rule conditions: checked against a whitelist and evaluated on a frame, never as code.

A condition is ``{"match": "all" | "any", "clauses": [{"field", "op", "value"}, ...]}``. Each
field has a kind, each kind its operators; a clause's value is parsed by its field's kind. Rules
are evaluated in order over a frame of account facts (one column per field): the first rule
whose condition holds places the account, and the default catches the rest. Pure: no Django.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

NUMBER, SCALE, LEVEL, CHOICE = "number", "scale", "level", "choice"
MATCH_ALL, MATCH_ANY = "all", "any"
DEFAULT = -1  # the position rules_match gives an account no rule placed

COMPARISONS = {
    "eq": ("equals", "="),
    "ne": ("differs from", "≠"),
    "gt": ("is above", ">"),
    "gte": ("is at least", "≥"),
    "lt": ("is below", "<"),
    "lte": ("is at most", "≤"),
}
MEMBERSHIP = {"in": ("is one of", "in"), "not_in": ("is none of", "not in")}
OPERATORS = {NUMBER: COMPARISONS, SCALE: COMPARISONS, LEVEL: COMPARISONS, CHOICE: MEMBERSHIP}
RANGES = {SCALE: (1, 5), LEVEL: (0, 5)}


@dataclass(frozen=True)
class Field:
    """A fact rules may test: its column in the facts frame, its label and its kind."""

    key: str
    label: str
    kind: str
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Clause:
    field: str
    op: str
    value: float | int | tuple[str, ...]


@dataclass(frozen=True)
class Condition:
    match: str
    clauses: tuple[Clause, ...]


class ConditionError(ValueError):
    """A condition that does not fit the whitelist; ``position`` is the clause's, from 1, and
    ``part`` the part of it at fault: field, op or value."""

    def __init__(self, message: str, *, position: int | None = None, part: str = "value"):
        super().__init__(message)
        self.position = position
        self.part = part


def clause_parse(raw: dict, *, fields: dict[str, Field], position: int) -> Clause:
    """The clause ``raw`` names, its value parsed by its field's kind; ConditionError else."""
    field = fields.get(raw.get("field"))
    if field is None:
        raise ConditionError(
            f"{raw.get('field')!r} is not a field rules can test.",
            position=position,
            part="field",
        )
    op = raw.get("op")
    if op not in OPERATORS[field.kind]:
        allowed = ", ".join(OPERATORS[field.kind])
        raise ConditionError(
            f"{op!r} does not fit {field.label}; choose one of {allowed}.",
            position=position,
            part="op",
        )
    return Clause(field=field.key, op=op, value=_value_parse(raw.get("value"), field, position))


def _value_parse(value, field: Field, position: int):
    if field.kind == CHOICE:
        items = value if isinstance(value, list | tuple) else str(value or "").split(",")
        keys = {key: key for key, _ in field.choices} | {
            label.lower(): key for key, label in field.choices
        }
        wanted = [str(item).strip() for item in items if str(item).strip()]
        unknown = [item for item in wanted if item.lower() not in keys and item not in keys]
        if not wanted or unknown:
            allowed = ", ".join(key for key, _ in field.choices)
            raise ConditionError(
                f"{field.label} takes one or more of {allowed}; "
                f"not {', '.join(unknown) or 'nothing'}.",
                position=position,
            )
        return tuple(sorted({keys.get(item, keys.get(item.lower())) for item in wanted}))
    if isinstance(value, bool):
        raise ConditionError(f"{field.label} takes a number, not {value!r}.", position=position)
    try:
        number = float(str(value).replace(",", "").strip())
    except ValueError:
        raise ConditionError(
            f"{field.label} takes a number, not {value!r}.", position=position
        ) from None
    if not np.isfinite(number):
        raise ConditionError(f"{field.label} takes a finite number.", position=position)
    if field.kind == NUMBER:
        return number
    low, high = RANGES[field.kind]
    if not number.is_integer() or not low <= number <= high:
        raise ConditionError(
            f"{field.label} takes a whole number from {low} to {high}, not {value!r}.",
            position=position,
        )
    return int(number)


def condition_parse(raw: dict, *, fields: dict[str, Field]) -> Condition:
    """The condition ``raw`` describes, or ConditionError naming what does not fit."""
    match = raw.get("match")
    if match not in (MATCH_ALL, MATCH_ANY):
        raise ConditionError(f"Match {match!r}: choose all or any.")
    clauses = raw.get("clauses") or []
    if not clauses:
        raise ConditionError("A rule needs at least one condition; the default catches the rest.")
    return Condition(
        match=match,
        clauses=tuple(
            clause_parse(clause, fields=fields, position=position)
            for position, clause in enumerate(clauses, start=1)
        ),
    )


def condition_stored(condition: Condition) -> dict:
    """The JSON form a rule stores."""
    return {
        "match": condition.match,
        "clauses": [
            {
                "field": c.field,
                "op": c.op,
                "value": list(c.value) if isinstance(c.value, tuple) else c.value,
            }
            for c in condition.clauses
        ],
    }


def clause_holds(frame: pd.DataFrame, clause: Clause) -> pd.Series:
    """Where the clause holds; a missing fact (NaN, no band yet) holds for no comparison."""
    column = frame[clause.field]
    if clause.op == "in":
        return column.isin(clause.value)
    if clause.op == "not_in":
        return column.notna() & ~column.isin(clause.value)
    values = pd.to_numeric(column, errors="coerce")
    held = {
        "eq": values == clause.value,
        "ne": values != clause.value,
        "gt": values > clause.value,
        "gte": values >= clause.value,
        "lt": values < clause.value,
        "lte": values <= clause.value,
    }[clause.op]
    return held & values.notna()


def condition_holds(frame: pd.DataFrame, condition: Condition) -> pd.Series:
    held = [clause_holds(frame, clause) for clause in condition.clauses]
    combined = np.logical_and.reduce if condition.match == MATCH_ALL else np.logical_or.reduce
    return pd.Series(combined([series.to_numpy() for series in held]), index=frame.index)


def rules_match(frame: pd.DataFrame, conditions: Sequence[Condition]) -> pd.Series:
    """Per account (row), the position of the first condition that holds, DEFAULT for none."""
    placed = pd.Series(DEFAULT, index=frame.index, dtype="int64")
    open_ = np.ones(len(frame), dtype=bool)
    for position, condition in enumerate(conditions):
        hit = condition_holds(frame, condition).to_numpy() & open_
        placed[hit] = position
        open_ &= ~hit
    return placed


def clause_text(clause: Clause, field: Field) -> str:
    """The clause as a person reads it: "Complexity ≥ 4", "Health band in red, yellow"."""
    symbol = {**COMPARISONS, **MEMBERSHIP}[clause.op][1]
    if isinstance(clause.value, tuple):
        labels = dict(field.choices)
        shown = ", ".join(labels.get(key, key) for key in clause.value)
    elif isinstance(clause.value, float):
        shown = f"{clause.value:,.0f}" if clause.value.is_integer() else f"{clause.value:,.2f}"
    else:
        shown = str(clause.value)
    return f"{field.label} {symbol} {shown}"
