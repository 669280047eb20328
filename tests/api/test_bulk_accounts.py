"""Bulk upsert of accounts: every bad input answers a problem naming record and field, and
writes nothing; good batches are idempotent and counted."""

import gzip

import orjson
import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.models import Account, ArrMovement
from tests.factories import AccountFactory, ArrMovementFactory

URL = reverse("api-account-bulk")
PROBLEM = "application/problem+json"


def account(external_id="CRM-1", **fields):
    return {"external_id": external_id, "name": f"Customer {external_id}", **fields}


def stored_accounts():
    return list(
        Account.dangerously_unscoped.order_by("external_id").values(
            "workspace_id",
            "external_id",
            "name",
            "owner_id",
            "licensed_seats",
            "currency",
            "renewal_date",
            "segment",
            "updated_at",
        )
    )


def assert_problem(response, status, *, index=None, field=None, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    if field is not None or code is not None:
        assert any(
            (index is None or error["index"] == index)
            and (field is None or error["field"] == field)
            and (code is None or error["code"] == code)
            for error in body["errors"]
        ), body["errors"]
    return body


@pytest.fixture
def existing(alpha):
    return AccountFactory(workspace=alpha, external_id="CRM-0", name="Existing", licensed_seats=7)


BAD_RECORDS = [
    pytest.param({"external_id": "CRM-1"}, "name", "required", id="missing-field"),
    pytest.param(account(licensed_seats="ten"), "licensed_seats", "wrong-type", id="wrong-type"),
    pytest.param(account(licensed_seats=True), "licensed_seats", "wrong-type", id="bool-as-int"),
    pytest.param(account(name=12), "name", "wrong-type", id="number-as-text"),
    pytest.param(account(licensed_seats=-3), "licensed_seats", "negative", id="negative-count"),
    pytest.param(account(complexity=9), "complexity", "too-large", id="out-of-range"),
    pytest.param(account(renewal_date="2026-02-30"), "renewal_date", "invalid-date", id="bad-date"),
    pytest.param(account(renewal_date="31/12/2026"), "renewal_date", "invalid-date", id="eu-date"),
    pytest.param(account(segment="galactic"), "segment", "invalid-choice", id="bad-choice"),
    pytest.param(account(colour="red"), "colour", "unknown-field", id="unknown-field"),
    pytest.param(account(currency="dollars"), "currency", "too-long", id="bad-currency"),
    pytest.param(
        account(owner_email="stranger@example.com"), "owner_email", "unknown-owner", id="owner"
    ),
    pytest.param(
        account(contract_start="2026-05-01", renewal_date="2026-01-01"),
        "renewal_date",
        "before-start",
        id="renewal-before-start",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("record", "field", "code"), BAD_RECORDS)
def test_it_rejects_a_bad_record_naming_it_and_writes_nothing(api, existing, record, field, code):
    before = stored_accounts()
    response = api.post(URL, {"records": [account("CRM-9"), record]})
    assert_problem(response, 400, index=1, field=field, code=code)
    assert stored_accounts() == before


@pytest.mark.django_db
def test_it_reports_every_bad_record_of_a_batch_at_once(api, existing):
    records = [account("A", licensed_seats=-1), account("B"), account("C", segment="x"), "text"]
    body = assert_problem(api.post(URL, {"records": records}), 400)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (0, "licensed_seats"),
        (2, "segment"),
        (3, None),
    ]


@pytest.mark.django_db
def test_it_rejects_duplicate_keys_inside_one_batch(api, existing):
    before = stored_accounts()
    response = api.post(URL, {"records": [account("CRM-5"), account("CRM-6"), account("CRM-5")]})
    body = assert_problem(response, 400, index=2, field="external_id", code="duplicate-key")
    assert "Record 0" in body["errors"][0]["message"]
    assert stored_accounts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"records": [', id="truncated"),
        pytest.param(
            b'{"records": [{"external_id": "A", "name": "A", "complexity": NaN}]}', id="nan"
        ),
        pytest.param(
            b'{"records": [{"external_id": "A", "name": "A", "arr": Infinity}]}', id="inf"
        ),
        pytest.param(
            b'{"records": [{"external_id": "A", "name": "A", "x": 1e999}]}', id="overflow"
        ),
        pytest.param(b"\xff\xfe", id="not-utf8"),
    ],
)
def test_it_answers_malformed_json_with_a_problem(api, existing, body):
    before = stored_accounts()
    problem = assert_problem(api.post(URL, body=body), 400)
    assert problem["type"].endswith("malformed-request")
    assert stored_accounts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("document", "field", "code"),
    [
        pytest.param({"records": []}, "records", "empty", id="empty-batch"),
        pytest.param([account()], "records", "required", id="bare-list"),
        pytest.param({"rows": [account()]}, "records", "required", id="no-records"),
        pytest.param({"records": [account()], "upsert": True}, "upsert", "unknown-field", id="opt"),
    ],
)
def test_it_rejects_a_batch_of_the_wrong_shape(api, existing, document, field, code):
    before = stored_accounts()
    assert_problem(api.post(URL, document), 400, field=field, code=code)
    assert stored_accounts() == before


@pytest.mark.django_db
def test_it_answers_415_to_another_content_type(api, existing):
    before = stored_accounts()
    response = api.post(URL, body=b"external_id,name\nA,B\n", content_type="text/csv")
    assert_problem(response, 415)
    assert stored_accounts() == before


@pytest.mark.django_db
def test_it_answers_413_to_a_body_over_the_limit(api, existing):
    before = stored_accounts()
    with override_settings(API_BATCH_MAX_BYTES=2_000):
        response = api.post(URL, {"records": [account(f"CRM-{n}") for n in range(100)]})
    assert_problem(response, 413)
    assert stored_accounts() == before


@pytest.mark.django_db
def test_it_answers_413_to_a_gzip_body_that_inflates_over_the_limit(api, existing):
    before = stored_accounts()
    bomb = orjson.dumps({"records": [account("A", industry=" " * 50_000)]})
    with override_settings(API_BATCH_MAX_BYTES=10_000):
        response = api.post(URL, body=gzip.compress(bomb), **{"Content-Encoding": "gzip"})
    assert_problem(response, 413)
    assert stored_accounts() == before


@pytest.mark.django_db
def test_it_answers_413_to_too_many_records(api, existing):
    before = stored_accounts()
    with override_settings(API_BATCH_MAX_RECORDS=3):
        response = api.post(URL, {"records": [account(f"CRM-{n}") for n in range(4)]})
    assert_problem(response, 413)
    assert stored_accounts() == before


@pytest.mark.django_db
def test_it_rejects_a_currency_change_of_an_account_with_a_ledger(api, alpha):
    movement = ArrMovementFactory(account=AccountFactory(workspace=alpha, external_id="CRM-L"))
    response = api.post(URL, {"records": [account("CRM-L", currency="EUR")]})
    assert_problem(response, 400, index=0, field="currency", code="currency-locked")
    assert Account.dangerously_unscoped.get(pk=movement.account_id).currency == "USD"


@pytest.mark.django_db
def test_it_creates_updates_and_counts_unchanged_accounts(api, alpha, bob, existing):
    records = [
        account("CRM-0", name="Existing", licensed_seats=7),
        account("CRM-1", owner_email=bob.email.upper(), renewal_date="2027-01-31"),
    ]
    assert api.post(URL, {"records": records}).json() == {
        "created": 1,
        "updated": 0,
        "unchanged": 1,
    }
    created = Account.dangerously_unscoped.get(external_id="CRM-1")
    assert (created.workspace, created.owner, created.arr, created.status) == (
        alpha,
        bob,
        0,
        "active",
    )
    records[0]["licensed_seats"] = 8
    assert api.post(URL, {"records": records}).json() == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
    }


@pytest.mark.django_db
def test_it_keeps_the_fields_a_batch_does_not_send(api, existing):
    api.post(URL, {"records": [{"external_id": "CRM-0", "name": "Renamed"}]})
    existing.refresh_from_db()
    assert (existing.name, existing.licensed_seats) == ("Renamed", 7)


@pytest.mark.django_db
def test_it_accepts_gzip_bodies(api, existing):
    response = api.post_gzip(URL, {"records": [account("CRM-Z")]})
    assert response.json()["created"] == 1


@pytest.mark.django_db
def test_it_leaves_stored_rows_identical_when_a_batch_is_replayed_three_times(api, bob, existing):
    records = [account(f"CRM-{n}", licensed_seats=n, owner_email=bob.email) for n in range(50)]
    first = api.post(URL, {"records": records}).json()
    assert first == {"created": 49, "updated": 1, "unchanged": 0}
    stored = stored_accounts()
    for _ in range(3):
        assert api.post(URL, {"records": records}).json() == {
            "created": 0,
            "updated": 0,
            "unchanged": 50,
        }
        assert stored_accounts() == stored


@pytest.mark.django_db
def test_it_never_touches_an_account_of_another_workspace_with_the_same_id(api, beta, existing):
    theirs = AccountFactory(workspace=beta, external_id="CRM-0", name="Beta's own")
    api.post(URL, {"records": [account("CRM-0", name="Changed")]})
    theirs.refresh_from_db()
    assert theirs.name == "Beta's own"
    assert ArrMovement.dangerously_unscoped.count() == 0
