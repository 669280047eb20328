"""One way to create accounts: the form, the CSV import, the accounts API and usage batches
all check, audit and announce the accounts they create the same way."""

import pytest
from django.urls import reverse

from accounts.creation import AccountsRefused, accounts_create
from accounts.models import Account
from accounts.signals import accounts_created
from csos.models import AuditEvent
from csos.services import api_token_create
from tests.accounts.test_account_pages import EDIT
from tests.accounts.test_import_mapping import last_import
from tests.accounts.test_import_views import upload
from tests.accounts.test_imports import HUBSPOT, confirm_and_commit
from tests.api.conftest import ALL_SCOPES, ApiClient
from tests.factories import UsageMetricFactory

pytestmark = pytest.mark.django_db
ACCOUNTS_API = reverse("api-account-bulk")
USAGE_API = reverse("api-usage-record-bulk")


@pytest.fixture
def api(alpha, alice):
    _token, raw = api_token_create(workspace=alpha, by=alice, name="CRM", scopes=ALL_SCOPES)
    return ApiClient(raw)


@pytest.fixture
def announced():
    """The account ids each ``accounts_created`` signal carried, with its workspace."""
    sent: list[tuple[int, list[int]]] = []

    def receive(sender, workspace, account_ids, **_):
        sent.append((workspace.pk, account_ids))

    accounts_created.connect(receive)
    yield sent
    accounts_created.disconnect(receive)


def create_by_form(login, lena, api, alpha):
    response = login(lena).post(reverse("account_create"), {**EDIT, "arr": "0"})
    assert response.status_code == 302, response.content


def create_by_csv(login, lena, api, alpha):
    client = login(lena)
    upload(client, HUBSPOT, name="hubspot-companies.csv")
    confirm_and_commit(client, last_import(alpha))


def create_by_api(login, lena, api, alpha):
    records = [{"external_id": "CRM-1", "name": "Acme"}, {"external_id": "CRM-2", "name": "Globex"}]
    assert api.post(ACCOUNTS_API, {"records": records}).status_code == 200


def create_by_usage(login, lena, api, alpha):
    UsageMetricFactory(workspace=alpha, key="logins")
    record = {"account_external_id": "CRM-9", "metric": "logins", "day": "2026-01-05", "value": 3}
    response = api.post(USAGE_API, {"records": [record], "create_missing_accounts": True})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("source", "create"),
    [
        ("form", create_by_form),
        ("csv", create_by_csv),
        ("api", create_by_api),
        ("usage", create_by_usage),
    ],
)
def test_it_audits_and_announces_every_account_each_path_creates(
    login, alpha, lena, api, announced, source, create
):
    create(login, lena, api, alpha)
    created = set(Account.dangerously_unscoped.filter(workspace=alpha).values_list("pk", flat=True))
    assert created
    audited = AuditEvent.dangerously_unscoped.filter(workspace=alpha, action="account.create")
    assert {int(event.object_id) for event in audited} == created
    assert {event.after["source"] for event in audited} == {source}
    assert [workspace for workspace, _ in announced] == [alpha.pk] * len(announced)
    assert {pk for _, ids in announced for pk in ids} == created


def test_it_refuses_a_currency_the_form_refuses_on_the_accounts_api(api, alpha, announced):
    response = api.post(
        ACCOUNTS_API, {"records": [{"external_id": "CRM-1", "name": "Acme", "currency": "XYZ"}]}
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("currency", "invalid-currency")
    assert "ISO 4217" in error["message"]
    assert not Account.dangerously_unscoped.filter(workspace=alpha).exists()
    assert announced == []


def test_it_refuses_every_bad_account_by_position_and_writes_none(alpha, in_alpha, bob, vera):
    accounts = [
        Account(name="Good", external_id="A-1", currency="EUR", owner=bob),
        Account(name="Bad money", external_id="A-2", currency="XYZ"),
        Account(name="Viewer's", external_id="A-3", currency="EUR", owner=vera),
        Account(name="Twice", external_id="A-1", currency="EUR"),
    ]
    with pytest.raises(AccountsRefused) as refused:
        accounts_create(workspace=alpha, by=None, accounts=accounts, source="api")
    assert {position: set(errors) for position, errors in refused.value.problems.items()} == {
        1: {"currency"},
        2: {"owner"},
        3: {"external_id"},
    }
    assert not Account.dangerously_unscoped.filter(workspace=alpha).exists()


def test_it_matches_an_owner_e_mail_written_in_another_case_on_the_accounts_api(api, alpha, bob):
    shouted = bob.email.upper()
    record = {"external_id": "CRM-1", "name": "Acme", "owner_email": shouted}
    response = api.post(ACCOUNTS_API, {"records": [record]})
    assert response.status_code == 200, response.content
    assert Account.dangerously_unscoped.get(workspace=alpha, external_id="CRM-1").owner == bob
