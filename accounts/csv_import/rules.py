"""Checks across the cells of a row and the account it updates: dates, status and ARR, currency."""

import pandas as pd

from accounts import ledger
from accounts.csv_import.fields import (
    ARR,
    CHURNED,
    CONTRACT_START,
    CURRENCY,
    EXTERNAL_ID,
    HAS_LEDGER,
    RENEWAL_DATE,
    STATUS,
)


def date_order_errors(cells: pd.DataFrame, clean: pd.DataFrame, existing: pd.DataFrame) -> dict:
    """Messages where the renewal date falls before the contract start.

    A date not given in the file is taken from the existing account; a date given but invalid
    already has its own error and is not compared.
    """
    if EXTERNAL_ID not in cells or not {CONTRACT_START, RENEWAL_DATE} & set(cells.columns):
        return {}
    known = existing.drop_duplicates(EXTERNAL_ID).set_index(EXTERNAL_ID)
    ids = cells[EXTERNAL_ID]

    def effective(key: str) -> tuple[pd.Series, pd.Series]:
        given = cells[key] != "" if key in cells else pd.Series(False, index=cells.index)
        from_file = clean[key] if key in clean else pd.Series(None, index=cells.index)
        dates = pd.to_datetime(from_file.where(given, ids.map(known[key])), errors="coerce")
        return dates, given

    start, start_given = effective(CONTRACT_START)
    end, end_given = effective(RENEWAL_DATE)
    backwards = (end < start) & (start_given | end_given)
    message = [
        f"The renewal date {e:%Y-%m-%d} is before the contract start {s:%Y-%m-%d}."
        for s, e in zip(start[backwards], end[backwards], strict=True)
    ]
    messages = pd.Series("", index=cells.index, dtype=object)
    messages[backwards] = message
    # The error goes on the date the file gave: the renewal date when it gave both.
    return {
        key: messages.where(on_this, "")
        for key, on_this in ((RENEWAL_DATE, end_given), (CONTRACT_START, ~end_given))
        if key in cells
    }


def status_arr_errors(cells: pd.DataFrame, clean: pd.DataFrame, existing: pd.DataFrame) -> dict:
    """Messages where the ARR contradicts the status the account ends with.

    The ledger books a churn as the loss of the whole current ARR, and a reactivation as the
    return of a new one: so a churned account carries no ARR, and a churned account made active
    again needs its new ARR in the file. A status or ARR that is itself bad is not compared.
    """
    if EXTERNAL_ID not in cells or not {ARR, STATUS} & set(cells.columns):
        return {}
    nothing = pd.Series(None, index=cells.index, dtype=object)
    known = existing.drop_duplicates(EXTERNAL_ID).set_index(EXTERNAL_ID)[STATUS]
    was = cells[EXTERNAL_ID].map(known)
    given = clean.get(STATUS, nothing)
    bad_status = (cells[STATUS] != "") & given.isna() if STATUS in cells else nothing.notna()
    status = given.where(given.notna(), was)
    positive = clean.get(ARR, nothing).map(lambda arr: arr is not None and arr > 0)

    churned_with_arr = (status == CHURNED) & positive
    reactivated_without_arr = (was == CHURNED) & given.notna() & (given != CHURNED) & ~positive
    messages = pd.Series("", index=cells.index, dtype=object)
    messages[churned_with_arr] = (
        "A churned account has no ARR: leave arr empty or 0 (its current ARR is booked as "
        "churned), or set status to active to reactivate it."
    )
    messages[reactivated_without_arr] = (
        "The account is churned: reactivating it needs its new ARR, above 0, in the arr column."
    )
    messages[bad_status] = ""
    # The error goes on the arr cell when the file has that column, else on the status.
    return {ARR if ARR in cells else STATUS: messages}


def currency_change_errors(
    cells: pd.DataFrame, clean: pd.DataFrame, existing: pd.DataFrame
) -> dict:
    """Messages where a file changes the currency of an account that has an ARR ledger, by the
    ledger's rule. A currency that is itself bad already has its own error."""
    if EXTERNAL_ID not in cells or CURRENCY not in cells:
        return {}
    known = existing.drop_duplicates(EXTERNAL_ID).set_index(EXTERNAL_ID)
    ids = cells[EXTERNAL_ID]
    was = ids.map(known[CURRENCY])
    ledgered = ids.isin(known.index[known[HAS_LEDGER].astype(bool)])
    given = clean[CURRENCY]
    changed = ledgered & given.notna() & (given != was)
    messages = pd.Series("", index=cells.index, dtype=object)
    messages[changed] = [
        _currency_refusal(current, new)
        for current, new in zip(was[changed], given[changed], strict=True)
    ]
    return {CURRENCY: messages}


def _currency_refusal(current: str, new: str) -> str:
    try:
        ledger.check_currency_change(booked=True, current=current, new=new)
    except ledger.LedgerRefusal as refusal:
        return refusal.message
    return ""
