"""An account's alias (another CRM's id for it) names the account wherever a batch names an
account by external id; its own id wins over another account's alias; another workspace's
aliases name nothing here."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Account, AccountAlias, ArrMovement
from health.models import SupportTicket, SurveyResponse
from stakeholders.models import Stakeholder
from tests.factories import AccountFactory, EvidenceFactory, UsageMetricFactory
from tests.stakeholders.factories import StakeholderFactory
from value.models import ProductEvent, UsageRecord

ACCOUNTS = reverse("api-account-bulk")
USAGE = reverse("api-usage-record-bulk")
YESTERDAY = dt.date.today() - dt.timedelta(days=1)


def alias(account: Account, external_id: str) -> AccountAlias:
    return AccountAlias.dangerously_unscoped.create(
        workspace=account.workspace, account=account, external_id=external_id
    )


def usage(account: str, *, day: dt.date = YESTERDAY, value: int = 10) -> dict:
    return {
        "account_external_id": account,
        "metric": "logins",
        "day": day.isoformat(),
        "value": value,
    }


def error_codes(response) -> list[tuple[int, str, str]]:
    return [(e["index"], e["field"], e["code"]) for e in response.json()["errors"]]


@pytest.fixture
def acme(alpha):
    account = AccountFactory(workspace=alpha, external_id="SF-1", name="Acme", arr=0)
    alias(account, "HS-1")
    return account


@pytest.fixture
def logins(alpha):
    return UsageMetricFactory(workspace=alpha, key="logins")


@pytest.mark.django_db
def test_it_updates_the_aliased_account_from_an_accounts_batch_instead_of_creating_one(api, acme):
    record = {"external_id": "HS-1", "name": "Acme Inc", "licensed_seats": 40}

    first = api.post(ACCOUNTS, {"records": [record]})
    again = api.post(ACCOUNTS, {"records": [record]})

    assert first.json() == {"created": 0, "updated": 1, "unchanged": 0}
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 1}
    assert list(
        Account.dangerously_unscoped.values_list("external_id", "name", "licensed_seats")
    ) == [("SF-1", "Acme Inc", 40)]


@pytest.mark.django_db
def test_it_places_an_account_under_a_parent_named_by_its_alias(api, acme):
    response = api.post(
        ACCOUNTS,
        {"records": [{"external_id": "SF-2", "name": "Acme EU", "parent_external_id": "HS-1"}]},
    )

    assert response.status_code == 200, response.content
    assert Account.dangerously_unscoped.get(external_id="SF-2").parent_id == acme.pk


@pytest.mark.django_db
def test_it_refuses_an_accounts_batch_naming_one_account_by_its_id_and_its_alias(api, acme):
    records = [{"external_id": "SF-1", "name": "Acme A"}, {"external_id": "HS-1", "name": "Acme B"}]

    response = api.post(ACCOUNTS, {"records": records})

    assert response.status_code == 400
    assert error_codes(response) == [(1, "external_id", "duplicate-key")]
    assert Account.dangerously_unscoped.get().name == "Acme"


@pytest.mark.django_db
def test_it_stores_usage_named_by_an_alias_under_the_aliased_account(api, acme, logins):
    response = api.post(USAGE, {"records": [usage("HS-1")]})

    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert list(UsageRecord.dangerously_unscoped.values_list("account_id", "value")) == [
        (acme.pk, 10)
    ]


@pytest.mark.django_db
def test_it_refuses_usage_for_one_account_day_sent_under_its_id_and_its_alias(api, acme, logins):
    response = api.post(USAGE, {"records": [usage("SF-1"), usage("HS-1", value=11)]})

    assert response.status_code == 400
    assert error_codes(response) == [(1, "account_external_id", "duplicate-key")]
    assert not UsageRecord.dangerously_unscoped.exists()


@pytest.mark.django_db
def test_an_accounts_own_external_id_wins_over_another_accounts_alias(api, alpha, acme, logins):
    other = AccountFactory(workspace=alpha, external_id="SF-2")
    alias(other, "SF-1")

    api.post(USAGE, {"records": [usage("SF-1")]})

    assert list(UsageRecord.dangerously_unscoped.values_list("account_id", flat=True)) == [acme.pk]


@pytest.mark.django_db
def test_another_workspaces_alias_names_no_account(api, alpha, beta, logins):
    alias(AccountFactory(workspace=beta, external_id="B-1"), "HS-9")

    usage_response = api.post(USAGE, {"records": [usage("HS-9")]})
    accounts_response = api.post(ACCOUNTS, {"records": [{"external_id": "HS-9", "name": "New"}]})

    assert error_codes(usage_response) == [(0, "account_external_id", "unknown-account")]
    assert accounts_response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert Account.dangerously_unscoped.get(external_id="HS-9").workspace_id == alpha.pk


@pytest.mark.django_db
def test_it_stores_a_stakeholder_named_under_an_alias_with_the_aliased_account(api, acme):
    person = {
        "account_external_id": "HS-1",
        "email": "dana@acme.example",
        "name": "Dana",
        "role": "champion",
    }

    response = api.post(reverse("api-stakeholder-bulk"), {"records": [person]})

    assert response.status_code == 200, response.content
    assert list(Stakeholder.dangerously_unscoped.values_list("account_id", flat=True)) == [acme.pk]


@pytest.mark.django_db
def test_it_refuses_one_person_sent_under_their_accounts_id_and_its_alias(api, acme):
    person = {"email": "dana@acme.example", "name": "Dana", "role": "champion"}
    records = [{**person, "account_external_id": name} for name in ("SF-1", "HS-1")]

    response = api.post(reverse("api-stakeholder-bulk"), {"records": records})

    assert response.status_code == 400
    assert error_codes(response) == [(1, "account_external_id", "duplicate-key")]
    assert not Stakeholder.dangerously_unscoped.exists()


TICKET = {
    "external_id": "ZD-1",
    "subject": "SSO",
    "priority": "P1",
    "status": "open",
    "opened_on": "2026-01-05",
}
SURVEY = {"external_id": "NPS-1", "kind": "nps", "score": 9, "answered_on": "2026-01-05"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "record", "model"),
    [
        ("api-support-ticket-bulk", TICKET, SupportTicket),
        ("api-survey-response-bulk", SURVEY, SurveyResponse),
    ],
    ids=["tickets", "surveys"],
)
def test_it_files_a_ticket_or_survey_named_by_an_alias_under_the_aliased_account(
    api, acme, url, record, model
):
    response = api.post(reverse(url), {"records": [{**record, "account_external_id": "HS-1"}]})

    assert response.status_code == 200, response.content
    assert list(model.dangerously_unscoped.values_list("account_id", flat=True)) == [acme.pk]


@pytest.mark.django_db
def test_it_books_an_arr_movement_named_by_an_alias_and_finds_it_unchanged_by_either_id(api, acme):
    movement = {
        "external_id": "INV-1",
        "account_external_id": "HS-1",
        "kind": "new",
        "date": "2025-01-01",
        "amount": "1000.00",
    }
    url = reverse("api-arr-movement-bulk")

    booked = api.post(url, {"records": [movement]})
    again = api.post(url, {"records": [{**movement, "account_external_id": "SF-1"}]})

    assert booked.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 1}
    assert list(ArrMovement.dangerously_unscoped.values_list("account_id", flat=True)) == [acme.pk]


@pytest.mark.django_db
def test_it_stores_a_product_event_whose_group_is_an_alias(api, acme):
    event = {
        "type": "track",
        "messageId": "m-1",
        "userId": "u-1",
        "event": "Report Viewed",
        "timestamp": f"{YESTERDAY.isoformat()}T12:00:00Z",
        "context": {"groupId": "HS-1"},
    }

    response = api.post(reverse("api-product-events"), event)

    assert response.status_code == 200, response.content
    assert list(ProductEvent.dangerously_unscoped.values_list("account_id", flat=True)) == [acme.pk]


def _queries_for_aliased_batch(api, alpha, size: int, url: str, record) -> int:
    """The queries of a batch of ``size`` new records, each naming its account by an alias."""
    accounts = AccountFactory.create_batch(size, workspace=alpha)
    names = [alias(account, f"HS-{size}-{n}").external_id for n, account in enumerate(accounts)]
    with CaptureQueriesContext(connection) as queries:
        response = api.post(url, {"records": [record(name) for name in names]})
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "record"),
    [
        (ACCOUNTS, lambda name: {"external_id": name, "name": f"Renamed {name}"}),
        (USAGE, usage),
    ],
    ids=["accounts", "usage"],
)
def test_a_batch_named_by_aliases_takes_as_many_queries_for_10_records_as_for_100(
    api, alpha, logins, url, record
):
    _queries_for_aliased_batch(api, alpha, 1, url, record)  # the token's first use costs more
    ten = _queries_for_aliased_batch(api, alpha, 10, url, record)
    assert _queries_for_aliased_batch(api, alpha, 100, url, record) == ten


ALIASED_FIELDS = [
    ("AccountRecordSchema", "external_id"),
    ("AccountRecordSchema", "parent_external_id"),
    ("ArrMovementRecordSchema", "account_external_id"),
    ("UsageRecordSchema", "account_external_id"),
    ("StakeholderRecordSchema", "account_external_id"),
    ("SupportTicketRecordSchema", "account_external_id"),
    ("SurveyResponseRecordSchema", "account_external_id"),
]


@pytest.mark.django_db
def test_the_schema_says_each_batch_field_naming_an_account_takes_an_alias():
    components = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for component, field in ALIASED_FIELDS:
        assert "alias" in components[component]["properties"][field]["description"], field
    assert "alias" in components["ProductEventSchema"]["properties"]["context"]["description"]


def listed(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_the_lists_find_an_account_and_its_rows_by_an_alias_of_this_workspace_only(
    api, alpha, beta, acme
):
    evidence = EvidenceFactory(account=acme)
    person = StakeholderFactory(account=acme)
    alias(AccountFactory(workspace=beta, external_id="B-1"), "HS-9")
    accounts, evidence_list = reverse("api-account-list"), reverse("api-evidence-list")
    people = reverse("api-stakeholder-list")

    assert listed(api.get(accounts, external_id="HS-1")) == [acme.pk]
    assert listed(api.get(evidence_list, account_external_id="HS-1")) == [evidence.pk]
    assert listed(api.get(people, account_external_id="HS-1")) == [person.pk]
    assert listed(api.get(accounts, external_id="SF-1")) == [acme.pk]
    assert listed(api.get(accounts, external_id="HS-9")) == []
    assert listed(api.get(people, account_external_id="HS-9")) == []
