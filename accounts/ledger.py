"""The ARR ledger's rules, in one place. Pure: plain values in, a decision out; no Django.

Every way ARR changes asks this module: the account form and services book a movement a person
chose (``book``), the CSV import and the demo builder ask for the movement that takes an account
to the ARR and status they want (``change_to``), a mistaken movement is undone by its reversal
(``reversal_of``), and the account edit asks whether the currency may change
(``check_currency_change``). Each refusal names the field it is about.

An account's ARR is the signed sum of its movements that count, and it is churned exactly when
the last status-changing movement that counts was a churn. A movement counts unless it was
reversed or is itself a reversal.
"""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

NEW, EXPANSION, CONTRACTION, CHURN, REACTIVATION = (
    "new",
    "expansion",
    "contraction",
    "churn",
    "reactivation",
)
ACTIVE, CHURNED = "active", "churned"

# The direction each movement moves ARR; amounts are stored as positive magnitudes.
SIGN = {NEW: 1, EXPANSION: 1, REACTIVATION: 1, CONTRACTION: -1, CHURN: -1}
# The movement that undoes each kind: same amount, opposite effect on ARR and status.
UNDOING_KIND = {
    NEW: CONTRACTION,
    EXPANSION: CONTRACTION,
    CONTRACTION: EXPANSION,
    CHURN: REACTIVATION,
    REACTIVATION: CHURN,
}
# Storage limit of an account's ARR: DecimalField(max_digits=14, decimal_places=2).
MAX_ARR = Decimal(10) ** 12


@dataclass(frozen=True)
class Ledger:
    """What the rules know of one account: its ARR, status, currency, and the date of its latest
    movement that counts (None while it has none)."""

    arr: Decimal = Decimal(0)
    status: str = ACTIVE
    currency: str = "USD"
    latest: date | None = None

    @property
    def churned(self) -> bool:
        return self.status == CHURNED

    @property
    def never_booked(self) -> bool:
        return self.latest is None and self.arr == 0

    def audited(self) -> dict[str, str]:
        """The ARR and status as an audit event records them, before or after a change."""
        return {"arr": f"{self.arr:.2f}", "status": self.status}


@dataclass(frozen=True)
class Movement:
    kind: str
    on: date
    amount: Decimal

    @property
    def signed_amount(self) -> Decimal:
        return SIGN[self.kind] * self.amount


class LedgerRefusal(ValueError):
    """A movement the ledger does not accept; ``field`` is the input it is about."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def check(ledger: Ledger, movement: Movement) -> None:
    """Raise LedgerRefusal if booking ``movement`` would break a rule of the ledger.

    Movements are booked in date order: one dated before the latest would change the ARR of
    dates already booked past, where these checks cannot see it. A date after today is
    accepted, as a signed change takes effect on its contract date. New business is only the
    first ARR of an account that never had any; after that, growth is an expansion, and a
    churned account can only be reactivated. A churn removes the whole ARR.
    """
    kind, amount = movement.kind, movement.amount
    if kind not in SIGN:
        raise LedgerRefusal("kind", f"{kind!r} is not a kind of ARR movement.")
    if amount <= 0:
        raise LedgerRefusal("amount", "Enter the size of the change as a positive amount.")
    if ledger.latest is not None and movement.on < ledger.latest:
        raise LedgerRefusal(
            "date",
            f"The ledger already has a change on {ledger.latest:%Y-%m-%d}; "
            "record this one on that date or later.",
        )
    if ledger.churned and kind != REACTIVATION:
        raise LedgerRefusal("kind", "The account has churned: only a reactivation can be recorded.")
    if kind == REACTIVATION and not ledger.churned:
        raise LedgerRefusal("kind", "Only a churned account can be reactivated.")
    if kind == NEW and not ledger.never_booked:
        raise LedgerRefusal(
            "kind", "New business is the first ARR of an account; record an expansion instead."
        )
    if kind == EXPANSION and ledger.never_booked:
        raise LedgerRefusal(
            "kind", "The account has no ARR yet: record its first ARR as new business."
        )
    if kind == CHURN and amount != ledger.arr:
        raise LedgerRefusal(
            "amount", f"A churn removes the whole ARR: {ledger.arr} {ledger.currency}."
        )
    if SIGN[kind] < 0 and amount > ledger.arr:
        raise LedgerRefusal("amount", f"Cannot take away more than the current ARR ({ledger.arr}).")
    if SIGN[kind] > 0 and ledger.arr + amount >= MAX_ARR:
        raise LedgerRefusal(
            "amount", f"The account's ARR must stay below {MAX_ARR:,} {ledger.currency}."
        )


def effect(ledger: Ledger, movement: Movement) -> Ledger:
    """The ledger after ``movement``, unchecked: its ARR, status and latest date."""
    status = ledger.status
    if movement.kind == CHURN:
        status = CHURNED
    elif movement.kind == REACTIVATION:
        status = ACTIVE
    latest = movement.on if ledger.latest is None else max(ledger.latest, movement.on)
    return replace(ledger, arr=ledger.arr + movement.signed_amount, status=status, latest=latest)


def book(ledger: Ledger, movement: Movement) -> Ledger:
    """Check ``movement`` and return the ledger after it."""
    check(ledger, movement)
    return effect(ledger, movement)


def change_to(
    ledger: Ledger, *, arr: Decimal, status: str, today: date, first_on: date
) -> Movement | None:
    """The checked movement that takes ``ledger`` to ``arr`` and ``status``, or None if none is due.

    A churn removes the whole ARR, whatever ``arr`` says; a churned account reaches ``arr``
    by one reactivation. The first ARR of an account that never had any is new business, dated
    ``first_on`` (its contract start); any other change is dated ``today``, or on the latest
    movement if that is later, since the ledger is kept in date order. An account with no ARR
    churns without a movement: there is nothing to lose.
    """
    on = max(today, ledger.latest) if ledger.latest else today
    if status == CHURNED:
        if ledger.churned or ledger.arr == 0:
            return None
        movement = Movement(CHURN, on, ledger.arr)
    elif ledger.churned:
        movement = Movement(REACTIVATION, on, arr)
    elif arr == ledger.arr:
        return None
    elif ledger.never_booked:
        movement = Movement(NEW, first_on, arr)
    else:
        movement = Movement(
            EXPANSION if arr > ledger.arr else CONTRACTION, on, abs(arr - ledger.arr)
        )
    check(ledger, movement)
    return movement


def reversal_of(movement: Movement, *, counts: bool, is_latest: bool) -> Movement:
    """The movement that undoes ``movement``: same date and amount, the opposite effect.

    Only the latest movement that counts can be reversed, so undoing it restores exactly the
    ledger before it; an earlier one is corrected by reversing the later ones first.
    """
    if not counts:
        raise LedgerRefusal(
            "movement", "This movement is already reversed or is itself a reversal."
        )
    if not is_latest:
        raise LedgerRefusal(
            "movement", "Only the latest movement can be reversed; reverse the later ones first."
        )
    return Movement(UNDOING_KIND[movement.kind], movement.on, movement.amount)


def check_currency_change(*, booked: bool, current: str, new: str) -> None:
    """Refuse a new currency for an account whose ledger already holds amounts in its current one.

    Its movements are amounts in that currency: a new code would relabel them all without
    converting a cent.
    """
    if booked and new != current:
        raise LedgerRefusal(
            "currency",
            f"The ARR ledger of this account is in {current}; "
            f"its currency cannot change to {new} once ARR has been recorded.",
        )


def suggested_kind(ledger: Ledger) -> str:
    """The movement a person most likely records next: the one the account's state allows."""
    if ledger.churned:
        return REACTIVATION
    if ledger.never_booked:
        return NEW
    return EXPANSION
