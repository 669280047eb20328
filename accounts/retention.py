"""Net and gross revenue retention from the sums of an ARR ledger. Pure Python: no Django, no clock.

The database sums the ledger per book of accounts (see ``accounts.selectors``); this module turns
those sums into rates, adds books together and lays out the calendar of periods.
"""

from __future__ import annotations

import calendar
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import MINYEAR, date, timedelta
from decimal import Decimal

GAINS = ("new", "expansion", "reactivation")
ZERO = Decimal("0")


@dataclass(frozen=True)
class BookSums:
    """What the ledger of a book of accounts says about one period.

    Only accounts that had ARR when the period opened count: ``starting_arr`` is their ARR that
    day, the movements are theirs inside the period, and ``gross_loss`` is their contraction and
    churn with each account's loss capped at the ARR it started with. Sums of disjoint books add.
    """

    starting_arr: Decimal = ZERO
    expansion: Decimal = ZERO
    contraction: Decimal = ZERO
    churn: Decimal = ZERO
    gross_loss: Decimal = ZERO

    def __add__(self, other: BookSums) -> BookSums:
        return BookSums(
            starting_arr=self.starting_arr + other.starting_arr,
            expansion=self.expansion + other.expansion,
            contraction=self.contraction + other.contraction,
            churn=self.churn + other.churn,
            gross_loss=self.gross_loss + other.gross_loss,
        )

    def converted(self, rate: Decimal) -> BookSums:
        """The same sums in another currency, every amount at one ``rate``: the opening ARR
        and the movements at the same rate, so a rate's change never reads as expansion."""
        return BookSums(
            starting_arr=self.starting_arr * rate,
            expansion=self.expansion * rate,
            contraction=self.contraction * rate,
            churn=self.churn * rate,
            gross_loss=self.gross_loss * rate,
        )


@dataclass(frozen=True)
class RetentionRates:
    """Retention of the ARR that existed when the period opened.

    ``nrr`` and ``grr`` are ratios (1.0 is 100%) and ``None`` when no ARR existed at the start.
    """

    starting_arr: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    nrr: float | None
    grr: float | None


def retention_rates(sums: BookSums) -> RetentionRates:
    """NRR and GRR of a book from its sums. Net retention never falls below zero."""
    nrr = grr = None
    if sums.starting_arr > 0:
        net = sums.starting_arr + sums.expansion - sums.contraction - sums.churn
        nrr = float(max(net, ZERO) / sums.starting_arr)
        grr = float((sums.starting_arr - sums.gross_loss) / sums.starting_arr)
    return RetentionRates(
        starting_arr=sums.starting_arr,
        expansion=sums.expansion,
        contraction=sums.contraction,
        churn=sums.churn,
        nrr=nrr,
        grr=grr,
    )


def percent(ratio: float) -> float:
    """A ratio as a percentage to one decimal: 1.2345 gives 123.5."""
    return round(ratio * 100, 1)


def books_add_up(books: Iterable[tuple[Hashable, BookSums]]) -> dict[Hashable, BookSums]:
    """The sums of each key's books added together, keys in first-seen order."""
    totals: dict[Hashable, BookSums] = {}
    for key, sums in books:
        totals[key] = totals.get(key, BookSums()) + sums
    return totals


def trailing_year_start(end: date) -> date:
    """First day of the year that closes on ``end``: the day after the same date a year earlier.

    2024-12-31 gives 2024-01-01 and 2024-02-29 gives 2023-03-01. In year 1 the year is cut
    short at the first representable date.
    """
    if end.year == MINYEAR:
        return date.min
    # February 29 has no twin in the year before; February 28 stands in for it.
    day = min(end.day, calendar.monthrange(end.year - 1, end.month)[1])
    return end.replace(year=end.year - 1, day=day) + timedelta(days=1)


def quarter_ends(end: date, *, count: int) -> list[date]:
    """The last ``count`` calendar quarter ends on or before ``end``, oldest first.

    Fewer when the calendar runs out: there is no quarter end before year 1.
    """
    year, last_month = end.year, (end.month - 1) // 3 * 3 + 3
    found = []
    while len(found) < count and year >= MINYEAR:
        closing = date(year, last_month, calendar.monthrange(year, last_month)[1])
        if closing <= end:
            found.append(closing)
        year, last_month = (year, last_month - 3) if last_month > 3 else (year - 1, 12)
    return found[::-1]


def quarter_label(closing: date) -> str:
    return f"{closing.year} Q{(closing.month - 1) // 3 + 1}"
