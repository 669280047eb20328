import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AccountFactory

LIST = "/api/v1/accounts/"


@pytest.mark.django_db
def test_it_lists_only_the_workspaces_accounts(login, alpha, beta, vera):
    mine = AccountFactory(workspace=alpha)
    AccountFactory(workspace=beta)
    data = login(vera).get(LIST).json()
    assert [row["external_id"] for row in data["results"]] == [mine.external_id]


@pytest.mark.django_db
def test_it_pages_by_cursor_without_repeats(login, alpha, vera):
    created = AccountFactory.create_batch(7, workspace=alpha)
    client = login(vera)
    seen, url = [], f"{LIST}?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == [account.pk for account in created]


@pytest.mark.django_db
def test_it_filters_by_external_id_and_owner(login, alpha, bob, vera):
    target = AccountFactory(workspace=alpha, owner=bob)
    AccountFactory(workspace=alpha)
    client = login(vera)
    by_id = client.get(LIST, {"external_id": target.external_id}).json()["results"]
    by_owner = client.get(LIST, {"owner_email": bob.email.upper()}).json()["results"]
    assert [row["id"] for row in by_id] == [row["id"] for row in by_owner] == [target.pk]


@pytest.mark.django_db
def test_it_names_a_bad_filter_value(login, alpha, vera):
    response = login(vera).get(LIST, {"renewal_before": "next tuesday", "segment": "huge"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert {error["field"] for error in response.json()["errors"]} == {"renewal_before", "segment"}


@pytest.mark.django_db
def test_it_answers_404_for_another_workspaces_account(login, beta, vera):
    foreign = AccountFactory(workspace=beta)
    assert login(vera).get(f"{LIST}{foreign.pk}/").status_code == 404


@pytest.mark.django_db
def test_it_refuses_anonymous_and_memberless_callers(client, alpha):
    from tests.factories import UserFactory

    assert client.get(LIST).status_code == 401
    client.force_login(UserFactory())
    assert client.get(LIST).status_code == 403


@pytest.mark.django_db
def test_it_keeps_the_query_count_flat(login, alpha, bob, vera):
    AccountFactory.create_batch(3, workspace=alpha, owner=bob)
    client = login(vera)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    AccountFactory.create_batch(60, workspace=alpha, owner=bob)
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)
    assert len(few) == len(many)


@pytest.mark.django_db
def test_it_publishes_an_openapi_schema_with_the_accounts_endpoint(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    assert "/api/v1/accounts/" in schema["paths"]


def test_it_generates_the_schema_without_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
