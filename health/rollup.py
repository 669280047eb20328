"""A group account's figures rolled up over every account below it (children, their children
and further down): plain Python, no Django, so every figure is tested on hand-built rows.

Amounts in different currencies are never added: a group whose children bill in two
currencies gets one roll-up per currency, unless ``in_home_currency`` first converts them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

LEVELS = (1, 2, 3, 4)
RENEWAL_WINDOW_DAYS = 120  # renewal work starts this long before the date


@dataclass(frozen=True)
class ChildRow:
    """One child account as the roll-up reads it: ``total`` is its latest health score
    (None when its data did not suffice or it was never scored), ``level`` its highest
    reached value-ladder level (0 without one)."""

    account_id: int
    name: str
    currency: str
    arr: Decimal
    renewal_date: dt.date | None
    level: int
    band: str | None
    total: float | None
    parent_name: str = ""  # its direct parent: the group itself, or a group below it


@dataclass(frozen=True)
class Rollup:
    currency: str
    accounts: int
    arr: Decimal
    renewing: int  # children renewing from today to RENEWAL_WINDOW_DAYS ahead
    renewing_arr: Decimal
    next_renewal: dt.date | None
    coverage: tuple[tuple[int, float | None], ...]  # (level, % of ARR at that level or above)
    health: float | None  # ARR-weighted mean of the scored children's scores
    scored_arr: Decimal  # the ARR behind ``health``
    unscored: int  # children with no score, left out of ``health``


def _percent(part: Decimal, whole: Decimal) -> float | None:
    return float(100 * part / whole) if whole else None


def _one(currency: str, rows: list[ChildRow], today: dt.date) -> Rollup:
    arr = sum((row.arr for row in rows), Decimal(0))
    horizon = today + dt.timedelta(days=RENEWAL_WINDOW_DAYS)
    renewing = [row for row in rows if row.renewal_date and today <= row.renewal_date <= horizon]
    upcoming = [row.renewal_date for row in rows if row.renewal_date and row.renewal_date >= today]
    scored = [row for row in rows if row.total is not None]
    scored_arr = sum((row.arr for row in scored), Decimal(0))
    weighted = sum((row.arr * Decimal(str(row.total)) for row in scored), Decimal(0))
    return Rollup(
        currency=currency,
        accounts=len(rows),
        arr=arr,
        renewing=len(renewing),
        renewing_arr=sum((row.arr for row in renewing), Decimal(0)),
        next_renewal=min(upcoming, default=None),
        coverage=tuple(
            (level, _percent(sum((r.arr for r in rows if r.level >= level), Decimal(0)), arr))
            for level in LEVELS
        ),
        health=float(weighted / scored_arr) if scored_arr else None,
        scored_arr=scored_arr,
        unscored=len(rows) - len(scored),
    )


def rollup(children: Sequence[ChildRow], *, today: dt.date) -> list[Rollup]:
    """The roll-up of ``children`` per currency, the largest ARR first."""
    by_currency: dict[str, list[ChildRow]] = {}
    for row in children:
        by_currency.setdefault(row.currency, []).append(row)
    rollups = [_one(currency, rows, today) for currency, rows in by_currency.items()]
    return sorted(rollups, key=lambda r: (-r.arr, r.currency))


def in_home_currency(
    children: Sequence[ChildRow], *, rates: Mapping[str, Decimal], home: str
) -> list[ChildRow]:
    """``children`` with the ARR of each currency in ``rates`` (what one unit of it is worth
    in ``home``) converted into ``home``; a child in a currency without a rate keeps its own,
    so it rolls up on its own."""
    return [
        replace(row, currency=home, arr=row.arr * rates[row.currency])
        if row.currency in rates
        else row
        for row in children
    ]
