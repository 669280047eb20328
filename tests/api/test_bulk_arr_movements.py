"""Bulk booking of ARR movements: through the ledger's rules, keyed by the integrator's id."""

import contextlib
import threading

import pytest
from django.db import connection
from django.urls import reverse

from accounts import ingest
from accounts.models import Account, ArrMovement
from tests.api.conftest import ApiClient
from tests.factories import AccountFactory

URL = reverse("api-arr-movement-bulk")


def movement(external_id, kind="new", date="2025-01-01", amount="1000.00", account="CRM-1"):
    return {
        "external_id": external_id,
        "account_external_id": account,
        "kind": kind,
        "date": date,
        "amount": amount,
    }


@pytest.fixture
def customer(alpha):
    return AccountFactory(workspace=alpha, external_id="CRM-1", arr=0)


def ledger(account):
    account.refresh_from_db()
    return (
        account.arr,
        account.status,
        list(ArrMovement.dangerously_unscoped.order_by("date").values_list("external_id", "kind")),
    )


@pytest.mark.django_db
def test_it_books_movements_in_date_order_into_the_accounts_arr(api, customer):
    records = [
        movement("M-2", "expansion", "2025-06-01", "500"),
        movement("M-1", "new", "2025-01-01", "1000.00"),
    ]
    response = api.post(URL, {"records": records})
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert ledger(customer) == (1500, "active", [("M-1", "new"), ("M-2", "expansion")])


@pytest.mark.django_db
def test_it_leaves_the_ledger_identical_when_a_batch_is_replayed_three_times(api, customer):
    records = [movement("M-1"), movement("M-2", "churn", "2025-09-01", "1000")]
    api.post(URL, {"records": records})
    booked = ledger(customer)
    for _ in range(3):
        response = api.post(URL, {"records": records})
        assert response.json() == {"created": 0, "updated": 0, "unchanged": 2}
        assert ledger(customer) == booked


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("record", "field", "code"),
    [
        (movement("M-9", account="CRM-404"), "account_external_id", "unknown-account"),
        (movement("M-9", amount="-5"), "amount", "not-positive"),
        (movement("M-9", amount="1.001"), "amount", "too-precise"),
        (movement("M-9", amount="NaN"), "amount", "not-finite"),
        (movement("M-9", amount="Infinity"), "amount", "not-finite"),
        (movement("M-9", kind="gift"), "kind", "invalid-choice"),
        (movement("M-9", date="2025-13-01"), "date", "invalid-date"),
        (movement("M-9", "expansion", "2024-06-01", "10"), "date", "ledger-rule"),
        (movement("M-9", "reactivation", "2025-03-01", "10"), "kind", "ledger-rule"),
        (movement("M-1", amount="2000"), "external_id", "already-booked"),
    ],
)
def test_it_rejects_a_bad_movement_and_books_none_of_the_batch(api, customer, record, field, code):
    api.post(URL, {"records": [movement("M-1")]})
    before = ledger(customer)
    response = api.post(
        URL, {"records": [movement("M-0", "expansion", "2025-02-01", "10"), record]}
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [(e["index"], e["field"], e["code"]) for e in errors] == [(1, field, code)]
    assert ledger(customer) == before


@pytest.mark.django_db
def test_it_rolls_back_movements_booked_before_a_broken_ledger_rule(api, customer):
    records = [movement("M-1"), movement("M-2", "churn", "2025-03-01", "999")]
    response = api.post(URL, {"records": records})
    assert response.status_code == 400
    assert response.json()["errors"][0]["index"] == 1
    assert ArrMovement.dangerously_unscoped.count() == 0
    assert Account.dangerously_unscoped.get(pk=customer.pk).arr == 0


def send_concurrently(raw, monkeypatch, accounts):
    """Post one new movement M-1 per account at once; both requests check before either books."""
    both_checked = threading.Barrier(len(accounts), timeout=3)
    book = ingest.arr_movement_record

    def book_after_both_checked(**kwargs):
        # Unserialised, both requests find M-1 unbooked here; serialised, the second waits
        # for the first to commit before it checks, so the first gives up waiting.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait()
        return book(**kwargs)

    monkeypatch.setattr(ingest, "arr_movement_record", book_after_both_checked)
    answered = []

    def send(account):
        try:
            response = ApiClient(raw).post(URL, {"records": [movement("M-1", account=account)]})
            answered.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(account,)) for account in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(answered, key=lambda answer: (answer[0], str(answer[1])))


@pytest.mark.django_db(transaction=True)
def test_it_books_one_movement_sent_by_two_concurrent_requests_once(make_token, alpha, monkeypatch):
    AccountFactory(workspace=alpha, external_id="CRM-1", arr=0)
    answered = send_concurrently(make_token(), monkeypatch, ["CRM-1", "CRM-1"])
    assert answered == [
        (200, {"created": 0, "updated": 0, "unchanged": 1}),
        (200, {"created": 1, "updated": 0, "unchanged": 0}),
    ]
    assert ArrMovement.dangerously_unscoped.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_refuses_one_movement_id_booked_concurrently_for_two_accounts(
    make_token, alpha, monkeypatch
):
    AccountFactory(workspace=alpha, external_id="CRM-1", arr=0)
    AccountFactory(workspace=alpha, external_id="CRM-2", arr=0)
    answered = send_concurrently(make_token(), monkeypatch, ["CRM-1", "CRM-2"])
    assert [status for status, _ in answered] == [200, 400]
    assert answered[1][1]["errors"][0]["code"] == "already-booked"
    assert ArrMovement.dangerously_unscoped.count() == 1
