"""The ARR ledger through its callers: ARR is the signed sum of the movements that count.

The rules themselves are tested on plain data in test_ledger_rules.py."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse as reverse_url

from accounts import creation, imports, ledger, services
from accounts.demo import DemoOptions, demo_workspace_build
from accounts.models import Account, AccountStatus, ArrMovement, MovementKind
from accounts.selectors import counted_arr_movements
from accounts.selectors.retention import retention_report
from csos.models import AuditEvent, ImportStatus, Membership
from csos.tenancy import workspace_scope
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
    record(fresh, "new", JAN, ledger.MAX_ARR - 1)
    assert refused_field(fresh, "expansion", MAR, 1) == "amount"
    assert_ledger_holds(fresh)
    assert fresh.arr == ledger.MAX_ARR - 1


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
    monkeypatch.setattr(creation, "accounts_problems", lambda **_: {})
    with pytest.raises(ValidationError) as refused:
        services.account_create(
            workspace=alpha, by=None, arr=Decimal(0), data={"name": "Late", "external_id": "TAKEN"}
        )
    assert "TAKEN" in refused.value.message_dict["external_id"][0]
    assert Account.dangerously_unscoped.filter(workspace=alpha).count() == 1


def test_it_audits_every_arr_change_with_the_arr_and_status_before_and_after(alpha, alice, fresh):
    services.arr_movement_record(account=fresh, by=alice, kind="new", on=JAN, amount=Decimal(100))
    churn = record(fresh, "churn", MAR, 100)
    events = list(
        AuditEvent.dangerously_unscoped.filter(action="arr_movement.record").order_by("id")
    )
    assert [(e.actor, e.before, {k: e.after[k] for k in ("arr", "status")}) for e in events] == [
        (alice, {"arr": "0.00", "status": "active"}, {"arr": "100.00", "status": "active"}),
        (None, {"arr": "100.00", "status": "active"}, {"arr": "0.00", "status": "churned"}),
    ]
    assert events[1].after | {"movement": churn.pk, "kind": "churn", "date": "2025-03-01"} == (
        events[1].after
    )


def test_it_audits_an_account_edit_with_only_the_fields_it_changed(alpha, alice, fresh):
    admin = membership(alpha, alice)
    services.account_update(
        account=fresh, membership=admin, data={"name": "Renamed", "industry": fresh.industry}
    )
    services.account_update(account=fresh, membership=admin, data={"name": "Renamed"})
    [event] = AuditEvent.dangerously_unscoped.filter(action="account.update")
    assert (event.actor, event.object_id) == (alice, str(fresh.pk))
    assert (event.before, event.after) == ({"name": fresh.name}, {"name": "Renamed"})


def test_it_audits_a_new_account_with_its_fields(alpha, lena, bob):
    account = services.account_create(
        workspace=alpha,
        by=lena,
        arr=Decimal(500),
        data={"name": "Audited", "external_id": "AUD-1", "owner": bob, "currency": "EUR"},
    )
    created = AuditEvent.dangerously_unscoped.get(action="account.create")
    assert (created.actor, created.object_id) == (lena, str(account.pk))
    assert created.after | {"name": "Audited", "owner": bob.pk, "currency": "EUR"} == created.after
    booked = AuditEvent.dangerously_unscoped.get(action="arr_movement.record")
    assert booked.after["arr"] == "500.00"


def reverse(movement, by=None):
    return services.arr_movement_reverse(movement=movement, by=by)


def test_it_reverses_a_mistaken_expansion_back_to_the_arr_before_it(fresh):
    record(fresh, "new", JAN, 100)
    mistaken = record(fresh, "expansion", MAR, 5000)
    reversal = reverse(mistaken)
    assert (reversal.reverses, reversal.kind, reversal.date, reversal.amount) == (
        mistaken,
        MovementKind.CONTRACTION,
        MAR,
        Decimal(5000),
    )
    assert_ledger_holds(fresh)
    assert (fresh.arr, fresh.status) == (Decimal(100), AccountStatus.ACTIVE)


def test_it_reverses_a_mistaken_churn_back_to_an_active_account(fresh):
    record(fresh, "new", JAN, 100)
    reverse(record(fresh, "churn", MAR, 100))
    assert_ledger_holds(fresh)
    assert (fresh.arr, fresh.status) == (Decimal(100), AccountStatus.ACTIVE)
    record(fresh, "expansion", JUN, 10)


def test_it_reverses_a_mistaken_reactivation_back_to_a_churned_account(churned):
    reverse(record(churned, "reactivation", JUN, 70))
    assert_ledger_holds(churned)
    assert (churned.arr, churned.status) == (Decimal(0), AccountStatus.CHURNED)


def test_it_reverses_only_the_latest_movement_that_counts(fresh):
    first = record(fresh, "new", JAN, 100)
    latest = record(fresh, "expansion", MAR, 50)
    for not_reversible in (first,):
        with pytest.raises(ValidationError) as refused:
            reverse(not_reversible)
        assert "latest" in refused.value.message_dict["movement"][0]
    reversal = reverse(latest)
    for done in (latest, reversal):
        with pytest.raises(ValidationError) as refused:
            reverse(done)
        assert "reversal" in refused.value.message_dict["movement"][0]
    # With the expansion undone, the first ARR is the latest that counts again.
    reverse(first)
    assert_ledger_holds(fresh)
    assert fresh.arr == 0
    record(fresh, "new", JAN, 80)


def test_it_lets_a_corrected_movement_take_the_date_of_the_one_it_replaces(fresh):
    record(fresh, "new", JAN, 100)
    typo = record(fresh, "expansion", dt.date(2052, 3, 1), 50)
    reverse(typo)
    record(fresh, "expansion", MAR, 50)
    assert_ledger_holds(fresh)


def test_it_audits_a_reversal_with_the_movement_it_reverses(alice, fresh):
    record(fresh, "new", JAN, 100)
    mistaken = record(fresh, "expansion", MAR, 40)
    reversal = reverse(mistaken, by=alice)
    event = AuditEvent.dangerously_unscoped.get(action="arr_movement.reverse")
    assert (event.actor, event.object_id) == (alice, str(fresh.pk))
    assert event.before == {"arr": "140.00", "status": "active"}
    assert (event.after["arr"], event.after["movement"], event.after["reverses"]) == (
        "100.00",
        reversal.pk,
        mistaken.pk,
    )


def test_it_leaves_a_reversal_and_the_movement_it_reverses_out_of_retention(alpha, fresh):
    steady = AccountFactory(workspace=alpha, arr=Decimal(0), currency="USD")
    record(steady, "new", JAN, 300)
    record(fresh, "new", JAN, 100)
    reverse(record(fresh, "churn", MAR, 100))
    record(fresh, "expansion", JUN, 20)
    with workspace_scope(alpha):
        rates = retention_report(start=dt.date(2025, 2, 1), end=dt.date(2025, 12, 31)).rates["USD"]
        trend = retention_report(start=dt.date(2025, 4, 1), end=dt.date(2026, 3, 31)).trend
        counted = counted_arr_movements(ArrMovement.objects.filter(account=fresh))
        assert [m.kind for m in counted] == ["new", "expansion"]
    assert (rates.starting_arr, rates.churn, rates.expansion) == (400.0, 0.0, 20.0)
    assert (rates.nrr, rates.grr) == (420 / 400, 1.0)
    [usd] = trend
    # Counting the churn would have left the account out of the opening ARR.
    assert (usd["quarters"][-1]["nrr"], usd["quarters"][-1]["grr"]) == (105.0, 100.0)


def test_it_changes_the_form_the_import_and_the_demo_when_one_rule_changes(
    monkeypatch, login, alpha, lena, fresh
):
    """Every ARR change goes through accounts.ledger: a rule changed there changes all three."""
    frozen = "New business is frozen this quarter."
    rule = ledger.check

    def new_business_frozen(state, movement):
        rule(state, movement)
        if movement.kind == ledger.NEW:
            raise ledger.LedgerRefusal("kind", frozen)

    monkeypatch.setattr(ledger, "check", new_business_frozen)

    response = login(lena).post(
        reverse_url("arr_movement_add", args=[fresh.pk]),
        {"kind": "new", "date": "2025-01-01", "amount": "100"},
    )
    assert response.status_code == 400
    assert frozen in response.context["movement_form"].errors["kind"]

    with workspace_scope(alpha):
        account_import = imports.account_import_create(
            workspace=alpha,
            by=lena,
            filename="a.csv",
            content="external_id,name,arr\nN-1,New,800\n",
        )
        imports.account_import_check(import_id=account_import.pk)
        imports.account_import_queue(account_import=account_import, by=lena)
        done = imports.account_import_commit(import_id=account_import.pk, by=lena)
    assert done.status == ImportStatus.FAILED
    assert done.errors == [
        {"row": 2, "field": "arr", "message": f"The ARR ledger refuses this change: {frozen}"}
    ]

    with pytest.raises(ledger.LedgerRefusal, match=frozen):
        demo_workspace_build(options=DemoOptions(today=JUN, accounts=3, csms=1, slug="frozen"))
    assert not ArrMovement.dangerously_unscoped.exists()
