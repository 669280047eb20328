"""Net and gross revenue retention from an ARR ledger. Pure pandas: no Django, no clock."""

from dataclasses import dataclass
from datetime import date

import pandas as pd

ACCOUNT_ID, KIND, DATE, AMOUNT = "account_id", "kind", "date", "amount"
LEDGER_COLUMNS = (ACCOUNT_ID, KIND, DATE, AMOUNT)
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


def retention_rates(ledger: pd.DataFrame, *, start: date, end: date) -> RetentionRates:
    """NRR and GRR over [start, end] for the accounts that had ARR on ``start``.

    Accounts that first bought inside the period are new business, not retention, and are left
    out. Gross losses of one account are capped at the ARR it started with.
    """
    missing = set(LEDGER_COLUMNS) - set(ledger.columns)
    if missing:
        raise ValueError(f"ledger lacks columns: {sorted(missing)}")
    if start > end:
        raise ValueError("the period starts after it ends")

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
