"""A batch whose database connection is killed mid-request writes nothing; the retry writes all."""

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Account
from accounts.signals import accounts_created

URL = reverse("api-account-bulk")


def kill_backend(pid: int) -> None:
    """Terminate a PostgreSQL backend from a separate connection, as an outage would."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
def test_it_writes_nothing_when_the_connection_dies_between_insert_and_commit(make_token):
    from tests.api.conftest import ApiClient

    api = ApiClient(make_token())
    records = [{"external_id": f"CRM-{n}", "name": f"Customer {n}"} for n in range(500)]

    def kill_own_connection(**kwargs):
        kill_backend(connection.connection.info.backend_pid)

    accounts_created.connect(kill_own_connection)
    try:
        response = api.post(URL, {"records": records}, **{"Idempotency-Key": "retry-me"})
    finally:
        accounts_created.disconnect(kill_own_connection)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response["Content-Type"] == "application/problem+json"
    assert Account.dangerously_unscoped.count() == 0

    retry = api.post(URL, {"records": records}, **{"Idempotency-Key": "retry-me"})
    assert retry.json() == {"created": 500, "updated": 0, "unchanged": 0}
    assert Account.dangerously_unscoped.count() == 500
