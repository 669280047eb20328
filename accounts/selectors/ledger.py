"""Reads of an account's ARR ledger: its movements, what the ARR form starts with, its chart."""

from datetime import date

from accounts import ledger
from accounts.models import (
    Account,
    ArrMovement,
)
from csos.charts import line_chart


def arr_ledger(*, account: Account) -> list[ArrMovement]:
    """The account's movements in date order, reversals included, each marked ``reversible``.

    Only the latest movement that counts can be reversed (see ``accounts.ledger``).
    """
    movements = list(
        account.arr_movements.select_related("recorded_by", "reverses", "reversal").order_by(
            "date", "id"
        )
    )
    counted = [m for m in movements if m.reverses_id is None and not _is_reversed(m)]
    for movement in movements:
        movement.reversible = bool(counted) and movement is counted[-1]
    return movements


def arr_movement_initial(*, account: Account, movements: list[ArrMovement], today: date) -> dict:
    """What the ARR form starts with: today, and the kind of movement the account's state allows
    (new business before any ARR, a reactivation after a churn, else an expansion)."""
    counted = [m.date for m in movements if m.reverses_id is None and not _is_reversed(m)]
    state = ledger.Ledger(
        arr=account.arr,
        status=account.status,
        currency=account.currency,
        latest=max(counted, default=None),
    )
    return {"kind": ledger.suggested_kind(state), "date": today}


def _is_reversed(movement: ArrMovement) -> bool:
    try:
        return movement.reversal is not None
    except ArrMovement.reversal.RelatedObjectDoesNotExist:
        return False


def arr_history(*, account: Account, ledger: list[ArrMovement]) -> dict:
    """The account's ARR after each movement date of its ``arr_ledger``, as a stepped chart
    series."""
    by_date: dict[str, float] = {}
    running = 0.0
    for movement in ledger:
        running += float(movement.signed_amount)
        by_date[movement.date.isoformat()] = running
    return line_chart(
        by_date,
        {"ARR": by_date.values()},
        value_format="money",
        unit=account.currency,
        stepped=True,
    )
