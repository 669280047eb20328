"""The ARR ledger's rules, once, on plain data: no database, no Django."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts import ledger
from accounts.ledger import (
    ACTIVE,
    CHURN,
    CHURNED,
    CONTRACTION,
    EXPANSION,
    NEW,
    REACTIVATION,
    Ledger,
    LedgerRefusal,
    Movement,
)
from accounts.models import Account, AccountStatus, MovementKind

JAN, MAR, JUN = dt.date(2025, 1, 1), dt.date(2025, 3, 1), dt.date(2025, 6, 1)
EMPTY = Ledger()
ACTIVE_100 = Ledger(arr=Decimal(100), status=ACTIVE, latest=MAR)
CHURNED_AFTER_100 = Ledger(arr=Decimal(0), status=CHURNED, latest=MAR)


def refused_field(state: Ledger, kind: str, on: dt.date, amount) -> str:
    with pytest.raises(LedgerRefusal) as refused:
        ledger.check(state, Movement(kind, on, Decimal(amount)))
    return refused.value.field


@pytest.mark.parametrize("kind", [NEW, EXPANSION, CONTRACTION, CHURN])
def test_it_allows_only_a_reactivation_on_a_churned_account(kind):
    assert refused_field(CHURNED_AFTER_100, kind, JUN, 50) == "kind"
    after = ledger.book(CHURNED_AFTER_100, Movement(REACTIVATION, JUN, Decimal(70)))
    assert (after.arr, after.status, after.latest) == (Decimal(70), ACTIVE, JUN)


def test_it_reactivates_only_a_churned_account():
    assert refused_field(ACTIVE_100, REACTIVATION, JUN, 50) == "kind"


def test_it_books_new_business_only_as_the_first_arr_of_an_account():
    assert refused_field(EMPTY, EXPANSION, JAN, 100) == "kind"
    first = ledger.book(EMPTY, Movement(NEW, JAN, Decimal(100)))
    assert refused_field(first, NEW, MAR, 50) == "kind"
    # Back to no ARR, but with a history: more ARR now is an expansion, not new business.
    emptied = ledger.book(first, Movement(CONTRACTION, MAR, Decimal(100)))
    assert emptied.arr == 0
    assert refused_field(emptied, NEW, JUN, 50) == "kind"
    assert ledger.book(emptied, Movement(EXPANSION, JUN, Decimal(50))).arr == Decimal(50)


def test_it_refuses_a_movement_dated_before_the_latest_one_and_names_that_date():
    with pytest.raises(LedgerRefusal) as refused:
        ledger.check(ACTIVE_100, Movement(EXPANSION, JAN, Decimal(10)))
    assert refused.value.field == "date"
    assert "2025-03-01" in refused.value.message
    ledger.check(ACTIVE_100, Movement(EXPANSION, MAR, Decimal(10)))


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_it_refuses_an_amount_that_is_not_positive(amount):
    assert refused_field(ACTIVE_100, EXPANSION, JUN, amount) == "amount"


def test_it_churns_only_the_whole_arr():
    assert refused_field(ACTIVE_100, CHURN, JUN, 60) == "amount"
    after = ledger.book(ACTIVE_100, Movement(CHURN, JUN, Decimal(100)))
    assert (after.arr, after.status) == (Decimal(0), CHURNED)


def test_it_never_takes_away_more_than_the_arr():
    assert refused_field(ACTIVE_100, CONTRACTION, JUN, 101) == "amount"


def test_it_keeps_arr_below_the_storage_limit():
    near = Ledger(arr=ledger.MAX_ARR - 1, latest=MAR)
    assert refused_field(near, EXPANSION, JUN, 1) == "amount"
    field = Account._meta.get_field("arr")
    assert Decimal(10) ** (field.max_digits - field.decimal_places) == ledger.MAX_ARR


def test_it_refuses_a_kind_it_does_not_know():
    assert refused_field(ACTIVE_100, "refund", JUN, 1) == "kind"


def test_it_gives_each_kind_its_direction():
    assert {kind: Movement(kind, JAN, Decimal(3)).signed_amount for kind in ledger.SIGN} == {
        NEW: 3,
        EXPANSION: 3,
        REACTIVATION: 3,
        CONTRACTION: -3,
        CHURN: -3,
    }


def test_it_shares_its_kinds_and_statuses_with_the_models():
    assert set(MovementKind.values) == set(ledger.SIGN) == set(ledger.UNDOING_KIND)
    assert {AccountStatus.ACTIVE, AccountStatus.CHURNED} == {ACTIVE, CHURNED}


@pytest.mark.parametrize(
    "state, arr, status, expected",
    [
        (EMPTY, 800, ACTIVE, Movement(NEW, JAN, Decimal(800))),
        (ACTIVE_100, 150, ACTIVE, Movement(EXPANSION, JUN, Decimal(50))),
        (ACTIVE_100, 40, ACTIVE, Movement(CONTRACTION, JUN, Decimal(60))),
        (ACTIVE_100, 0, CHURNED, Movement(CHURN, JUN, Decimal(100))),
        (CHURNED_AFTER_100, 70, ACTIVE, Movement(REACTIVATION, JUN, Decimal(70))),
        (ACTIVE_100, 100, ACTIVE, None),
        (CHURNED_AFTER_100, 0, CHURNED, None),
        (EMPTY, 0, CHURNED, None),
    ],
    ids=[
        "new",
        "expansion",
        "contraction",
        "churn",
        "reactivation",
        "same",
        "still-churned",
        "empty-churn",
    ],
)
def test_it_decides_the_movement_that_reaches_an_arr_and_status(state, arr, status, expected):
    movement = ledger.change_to(state, arr=Decimal(arr), status=status, today=JUN, first_on=JAN)
    assert movement == expected


def test_it_dates_a_change_no_earlier_than_the_latest_movement():
    later = Ledger(arr=Decimal(100), latest=dt.date(2025, 9, 1))
    movement = ledger.change_to(later, arr=Decimal(150), status=ACTIVE, today=JUN, first_on=JAN)
    assert movement == Movement(EXPANSION, dt.date(2025, 9, 1), Decimal(50))


def test_it_refuses_to_reactivate_a_churned_account_to_no_arr():
    with pytest.raises(LedgerRefusal) as refused:
        ledger.change_to(CHURNED_AFTER_100, arr=Decimal(0), status=ACTIVE, today=JUN, first_on=JAN)
    assert refused.value.field == "amount"


@pytest.mark.parametrize(
    "kind, undoing, before, after_status",
    [
        (NEW, CONTRACTION, EMPTY, ACTIVE),
        (EXPANSION, CONTRACTION, ACTIVE_100, ACTIVE),
        (CONTRACTION, EXPANSION, ACTIVE_100, ACTIVE),
        (CHURN, REACTIVATION, ACTIVE_100, ACTIVE),
        (REACTIVATION, CHURN, CHURNED_AFTER_100, CHURNED),
    ],
)
def test_it_reverses_the_latest_movement_back_to_the_ledger_before_it(
    kind, undoing, before, after_status
):
    amount = before.arr if kind == CHURN else Decimal(30)
    mistaken = Movement(kind, JUN, amount)
    booked = ledger.book(before, mistaken)
    reversal = ledger.reversal_of(mistaken, counts=True, is_latest=True)
    assert reversal == Movement(undoing, JUN, amount)
    restored = ledger.effect(booked, reversal)
    assert (restored.arr, restored.status) == (before.arr, after_status)


@pytest.mark.parametrize("counts, is_latest", [(True, False), (False, True), (False, False)])
def test_it_reverses_only_the_latest_movement_that_counts(counts, is_latest):
    with pytest.raises(LedgerRefusal) as refused:
        ledger.reversal_of(Movement(EXPANSION, JUN, Decimal(5)), counts=counts, is_latest=is_latest)
    assert refused.value.field == "movement"


def test_it_keeps_the_currency_of_a_booked_ledger():
    with pytest.raises(LedgerRefusal) as refused:
        ledger.check_currency_change(booked=True, current="USD", new="EUR")
    assert (refused.value.field, "USD" in refused.value.message) == ("currency", True)
    ledger.check_currency_change(booked=True, current="USD", new="USD")
    ledger.check_currency_change(booked=False, current="USD", new="EUR")


@pytest.mark.parametrize(
    "state, kind",
    [(EMPTY, NEW), (ACTIVE_100, EXPANSION), (CHURNED_AFTER_100, REACTIVATION)],
    ids=["no-arr-yet", "active", "churned"],
)
def test_it_suggests_the_movement_the_account_s_state_allows(state, kind):
    assert ledger.suggested_kind(state) == kind
    ledger.check(state, Movement(kind, JUN, Decimal(10)))
