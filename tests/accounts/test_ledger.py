"""The ARR ledger's rules, through the account services: ARR is the signed sum of the movements."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Account, AccountStatus, ArrMovement, MovementKind
from csos.models import Membership
from tests.factories import AccountFactory

JAN, MAR, JUN = dt.date(2025, 1, 1), dt.date(2025, 3, 1), dt.date(2025, 6, 1)


@pytest.fixture(autouse=True)
def _in_alpha(in_alpha):
    """The services run where a request or task runs them: inside Alpha's scope."""
    return in_alpha


def record(account, kind, on, amount):
    return services.arr_movement_record(
        account=account, by=None, kind=kind, on=on, amount=Decimal(amount)
    )


def refused_field(account, kind, on, amount) -> str:
    with pytest.raises(ValidationError) as refused:
        record(account, kind, on, amount)
    [field] = refused.value.message_dict
    return field


def assert_ledger_holds(account) -> None:
    account.refresh_from_db()
    movements = list(ArrMovement.dangerously_unscoped.filter(account=account))
    assert account.arr == sum((m.signed_amount for m in movements), Decimal(0))
    changes = [m.kind for m in movements if m.kind in {"churn", "reactivation"}]
    churned = bool(changes) and changes[-1] == MovementKind.CHURN and account.arr == 0
    assert (account.status == AccountStatus.CHURNED) is churned


@pytest.fixture
def fresh(alpha):
    return AccountFactory(workspace=alpha, arr=Decimal(0), currency="USD")


@pytest.fixture
def churned(fresh):
    record(fresh, "new", JAN, 100)
    record(fresh, "churn", MAR, 100)
    return fresh


def membership(workspace, user) -> Membership:
    return Membership.dangerously_unscoped.get(workspace=workspace, user=user)


@pytest.mark.parametrize("kind", ["new", "expansion", "contraction", "churn"])
def test_it_allows_only_a_reactivation_on_a_churned_account(churned, kind):
    assert refused_field(churned, kind, JUN, 50) == "kind"
    assert_ledger_holds(churned)
    assert (churned.arr, churned.status) == (Decimal(0), AccountStatus.CHURNED)
    record(churned, "reactivation", JUN, 70)
    assert_ledger_holds(churned)
    assert (churned.arr, churned.status) == (Decimal(70), AccountStatus.ACTIVE)


def test_it_books_new_business_only_as_the_first_arr_of_an_account(fresh):
    assert refused_field(fresh, "expansion", JAN, 100) == "kind"
    record(fresh, "new", JAN, 100)
    assert refused_field(fresh, "new", MAR, 50) == "kind"
    record(fresh, "contraction", MAR, 100)
    # Back to no ARR, but with a history: more ARR now is an expansion, not new business.
    assert refused_field(fresh, "new", JUN, 50) == "kind"
    record(fresh, "expansion", JUN, 50)
    assert_ledger_holds(fresh)


def test_it_refuses_a_movement_dated_before_the_latest_one(fresh):
    record(fresh, "new", JAN, 100)
    record(fresh, "expansion", JUN, 50)
    with pytest.raises(ValidationError) as refused:
        record(fresh, "churn", MAR, 150)
    assert "2025-06-01" in refused.value.message_dict["date"][0]
    assert_ledger_holds(fresh)
    assert fresh.status == AccountStatus.ACTIVE


def test_it_accepts_a_movement_on_the_latest_date_or_after_today(fresh):
    next_month = dt.date.today() + dt.timedelta(days=30)
    record(fresh, "new", JAN, 100)
    record(fresh, "expansion", JAN, 20)
    record(fresh, "expansion", next_month, 30)  # a signed renewal that takes effect later
    assert refused_field(fresh, "contraction", dt.date.today(), 10) == "date"
    assert_ledger_holds(fresh)
    assert fresh.arr == Decimal(150)


def test_it_refuses_an_expansion_that_takes_arr_past_the_storage_limit(fresh):
    record(fresh, "new", JAN, services.MAX_ARR - 1)
    assert refused_field(fresh, "expansion", MAR, 1) == "amount"
    assert_ledger_holds(fresh)
    assert fresh.arr == services.MAX_ARR - 1


def test_it_keeps_a_movement_booked_after_the_edited_account_was_loaded(alpha, alice, fresh):
    loaded = Account.dangerously_unscoped.get(pk=fresh.pk)
    record(fresh, "new", JAN, 100)
    record(fresh, "churn", MAR, 100)
    services.account_update(
        account=loaded, membership=membership(alpha, alice), data={"name": "Renamed"}
    )
    assert_ledger_holds(fresh)
    assert (fresh.name, fresh.arr, fresh.status) == ("Renamed", 0, AccountStatus.CHURNED)


def test_it_refuses_to_change_the_currency_once_arr_is_recorded(alpha, alice, fresh):
    admin = membership(alpha, alice)
    services.account_update(account=fresh, membership=admin, data={"currency": "EUR"})
    record(fresh, "new", JAN, 100)
    with pytest.raises(ValidationError) as refused:
        services.account_update(account=fresh, membership=admin, data={"currency": "GBP"})
    assert "EUR" in refused.value.message_dict["currency"][0]
    services.account_update(account=fresh, membership=admin, data={"currency": "EUR"})
    fresh.refresh_from_db()
    assert fresh.currency == "EUR"


def test_it_refuses_a_csm_changing_the_owner_or_external_id(alpha, bob, carol):
    account = AccountFactory(workspace=alpha, owner=bob, external_id="EXT-1")
    csm = membership(alpha, bob)
    with pytest.raises(ValidationError) as refused:
        services.account_update(
            account=account, membership=csm, data={"owner": carol, "external_id": "EXT-2"}
        )
    assert set(refused.value.message_dict) == {"owner", "external_id"}
    services.account_update(
        account=account, membership=csm, data={"owner": bob, "name": "Kept by Bob"}
    )
    account.refresh_from_db()
    assert (account.owner, account.external_id, account.name) == (bob, "EXT-1", "Kept by Bob")


def test_it_lets_a_leader_reassign_an_account(alpha, lena, bob, carol):
    account = AccountFactory(workspace=alpha, owner=bob)
    services.account_update(
        account=account, membership=membership(alpha, lena), data={"owner": carol}
    )
    account.refresh_from_db()
    assert account.owner == carol


def test_it_turns_a_lost_race_for_an_external_id_into_a_field_error(alpha, monkeypatch):
    AccountFactory(workspace=alpha, external_id="TAKEN")
    # The other request committed after this one's check passed: only the constraint sees it.
    monkeypatch.setattr(services, "_validate_account", lambda account: None)
    with pytest.raises(ValidationError) as refused:
        services.account_create(
            workspace=alpha, by=None, arr=Decimal(0), data={"name": "Late", "external_id": "TAKEN"}
        )
    assert "TAKEN" in refused.value.message_dict["external_id"][0]
    assert Account.dangerously_unscoped.filter(workspace=alpha).count() == 1
