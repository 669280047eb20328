"""Liveness, readiness, and pages while Redis is down: what can run on the database runs; what
must queue work answers 503 with Retry-After."""

import re
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from csos.models import OutboxMessage
from csos.readiness import HEARTBEAT_KEY, HEARTBEAT_MISSED_INTERVALS
from csos.tasks import worker_heartbeat_task
from tests.factories import AccountFactory
from tests.worker import free_port, redis_down  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("empty_cache")


@pytest.mark.django_db
def test_it_answers_liveness_without_asking_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def _readiness(client) -> tuple[int, dict]:
    response = client.get(reverse("readyz"))
    return response, response.json()


@pytest.mark.django_db
def test_it_is_ready_when_the_database_redis_and_a_recent_worker_heartbeat_answer(client):
    worker_heartbeat_task.delay()
    response, body = _readiness(client)
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert {name: part["ok"] for name, part in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "worker": True,
    }


@pytest.mark.django_db
def test_it_is_not_ready_without_a_worker_heartbeat(client):
    response, body = _readiness(client)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert body["status"] == "unavailable"
    assert body["checks"]["worker"]["ok"] is False
    assert "no heartbeat" in body["checks"]["worker"]["detail"]
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]


@pytest.mark.django_db
def test_it_is_not_ready_when_the_last_heartbeat_is_older_than_three_intervals(client):
    interval = settings.WORKER_HEARTBEAT_SECONDS
    age = interval * HEARTBEAT_MISSED_INTERVALS + 5
    cache.set(HEARTBEAT_KEY, int(time.time()) - age, timeout=None)
    response, body = _readiness(client)
    assert response.status_code == 503
    assert body["checks"]["worker"]["ok"] is False
    reported = re.fullmatch(r"last heartbeat (\d+)s ago; .*", body["checks"]["worker"]["detail"])
    assert int(reported[1]) >= age


@pytest.mark.django_db
def test_it_is_not_ready_while_redis_is_down(client, redis_down):  # noqa: F811
    response, body = _readiness(client)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is False
    assert "unreachable" in body["checks"]["redis"]["detail"]
    assert body["checks"]["worker"]["ok"] is False


def test_it_serves_a_signed_in_page_while_redis_is_down(login, alpha, alice, redis_down):  # noqa: F811
    AccountFactory(workspace=alpha, owner=alice)
    client = login(alice)
    response = client.get(reverse("portfolio"))
    assert response.status_code == 200
    # The session lives in the database behind the cache: the next page still knows Alice.
    assert client.get(reverse("workspace_settings")).status_code == 200


def test_it_starts_a_recompute_while_the_broker_is_down_and_keeps_its_chunks_pending(
    transactional_db,  # the work is queued once the request's writes commit
    login,
    alpha,
    alice,
    redis_down,  # noqa: F811
):
    AccountFactory(workspace=alpha)  # a recompute queues one task per chunk of accounts
    response = login(alice).post(reverse("health_recompute"), {"week": "2026-11-30"})
    assert response.status_code == 302
    pending = OutboxMessage.dangerously_unscoped.filter(workspace=alpha, sent_at__isnull=True)
    assert list(pending.values_list("task", flat=True)) == [
        "health.tasks.health_recompute_chunk_task"
    ]


@pytest.fixture
def database_down(transactional_db):
    """The default connection pointed at a port where no PostgreSQL listens, until the end."""
    saved = connection.settings_dict.get("PORT"), connection.settings_dict.get("HOST")
    connection.close()
    connection.settings_dict["HOST"], connection.settings_dict["PORT"] = "127.0.0.1", free_port()
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"], connection.settings_dict["HOST"] = saved


def test_it_is_not_ready_while_the_database_is_down_and_still_alive(client, database_down):
    assert client.get(reverse("healthz")).status_code == 200
    response, body = _readiness(client)
    assert response.status_code == 503
    assert body["checks"]["database"] == {"ok": False, "detail": "unreachable (see the log)"}
    assert body["checks"]["redis"]["ok"] is True
