"""Net and gross revenue retention from an ARR ledger. Pure pandas: no Django, no clock."""

import calendar
from dataclasses import dataclass
from datetime import MINYEAR, date, timedelta

import pandas as pd

ACCOUNT_ID, CURRENCY, KIND, DATE, AMOUNT = "account_id", "currency", "kind", "date", "amount"
LEDGER_COLUMNS = (ACCOUNT_ID, KIND, DATE, AMOUNT)
CURRENCY_LEDGER_COLUMNS = (ACCOUNT_ID, CURRENCY, KIND, DATE, AMOUNT)
GAINS = ("new", "expansion", "reactivation")
LOSSES = ("contraction", "churn")


@dataclass(frozen=True)
class RetentionRates:
    """Retention of the ARR that existed when the period opened.

    ``nrr`` and ``grr`` are ratios (1.0 is 100%) and ``None`` when no ARR existed at the start.
    """

    starting_arr: float
    expansion: float
    contraction: float
    churn: float
    nrr: float | None
    grr: float | None


def _check(ledger: pd.DataFrame, columns: tuple[str, ...], *, start: date, end: date) -> None:
    missing = set(columns) - set(ledger.columns)
    if missing:
        raise ValueError(f"ledger lacks columns: {sorted(missing)}")
    if start > end:
        raise ValueError("the period starts after it ends")


def retention_rates(ledger: pd.DataFrame, *, start: date, end: date) -> RetentionRates:
    """NRR and GRR over [start, end] for the accounts that had ARR on ``start``.

    All amounts must be in one currency. Accounts that first bought inside the period are new
    business, not retention, and are left out. Gross losses of one account are capped at the ARR
    it started with.
    """
    _check(ledger, LEDGER_COLUMNS, start=start, end=end)

    frame = ledger.loc[:, list(LEDGER_COLUMNS)].copy()
    frame[DATE] = pd.to_datetime(frame[DATE])
    frame[AMOUNT] = pd.to_numeric(frame[AMOUNT]).astype(float)
    signed = frame[AMOUNT].where(frame[KIND].isin(GAINS), -frame[AMOUNT])

    before = frame[DATE] < pd.Timestamp(start)
    opening = signed[before].groupby(frame.loc[before, ACCOUNT_ID]).sum()
    opening = opening[opening > 0]
    starting_arr = float(opening.sum())

    within = ~before & (frame[DATE] <= pd.Timestamp(end)) & frame[ACCOUNT_ID].isin(opening.index)
    period = frame[within]
    per_account = period.pivot_table(
        index=ACCOUNT_ID, columns=KIND, values=AMOUNT, aggfunc="sum", fill_value=0.0
    ).reindex(columns=[*GAINS, *LOSSES], fill_value=0.0)

    expansion = float(per_account[list(GAINS)].sum().sum())
    contraction = float(per_account["contraction"].sum())
    churn = float(per_account["churn"].sum())
    gross_loss = (
        per_account[list(LOSSES)]
        .sum(axis=1)
        .clip(upper=opening.reindex(per_account.index, fill_value=0.0))
    )

    if starting_arr == 0:
        return RetentionRates(starting_arr, expansion, contraction, churn, None, None)
    net = starting_arr + expansion - contraction - churn
    return RetentionRates(
        starting_arr=starting_arr,
        expansion=expansion,
        contraction=contraction,
        churn=churn,
        nrr=max(net, 0.0) / starting_arr,
        grr=(starting_arr - float(gross_loss.sum())) / starting_arr,
    )


def retention_by_currency(
    ledger: pd.DataFrame, *, start: date, end: date
) -> dict[str, RetentionRates]:
    """NRR and GRR over [start, end] of each currency's accounts, by currency code.

    Every currency in the ledger has an entry, so a series of periods always has the same keys.
    Amounts in different currencies are never added together.
    """
    _check(ledger, CURRENCY_LEDGER_COLUMNS, start=start, end=end)
    return {
        str(currency): retention_rates(book, start=start, end=end)
        for currency, book in ledger.groupby(CURRENCY, sort=True)
    }


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
