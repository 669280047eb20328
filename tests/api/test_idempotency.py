"""Idempotency-Key: replay for 24 hours, 422 for another body, 409 while the first runs."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from csos.api.bulk import staging_loaded
from csos.models import IdempotencyKey
from csos.tasks import idempotency_key_purge_all_task
from tests.api.conftest import ApiClient

URL = reverse("api-account-bulk")
BATCH = {"records": [{"external_id": "CRM-1", "name": "Acme"}]}


@pytest.mark.django_db
def test_it_replays_the_first_response_for_the_same_key(api, alpha):
    first = api.post(URL, BATCH, **{"Idempotency-Key": "k-1"})
    Account.dangerously_unscoped.filter(external_id="CRM-1").update(name="Changed since")
    replay = api.post(URL, BATCH, **{"Idempotency-Key": "k-1"})
    assert first.json() == replay.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert Account.dangerously_unscoped.get(external_id="CRM-1").name == "Changed since"


@pytest.mark.django_db
def test_it_replays_a_rejected_batch_as_rejected(api, alpha):
    bad = {"records": [{"external_id": "CRM-1"}]}
    first = api.post(URL, bad, **{"Idempotency-Key": "k-bad"})
    replay = api.post(URL, bad, **{"Idempotency-Key": "k-bad"})
    assert first.status_code == replay.status_code == 400
    assert replay["Content-Type"] == "application/problem+json"
    assert first.json() == replay.json()


@pytest.mark.django_db
def test_it_answers_422_to_the_same_key_with_another_body(api, alpha):
    api.post(URL, BATCH, **{"Idempotency-Key": "k-2"})
    other = {"records": [{"external_id": "CRM-2", "name": "Other"}]}
    response = api.post(URL, other, **{"Idempotency-Key": "k-2"})
    assert response.status_code == 422
    assert response.json()["type"] == "urn:csos:problem:idempotency-key-reused"
    assert not Account.dangerously_unscoped.filter(external_id="CRM-2").exists()


@pytest.mark.django_db
def test_it_runs_a_key_again_once_24_hours_have_passed(api, alpha):
    api.post(URL, BATCH, **{"Idempotency-Key": "k-3"})
    IdempotencyKey.dangerously_unscoped.update(created_at=timezone.now() - timedelta(hours=25))
    again = api.post(URL, BATCH, **{"Idempotency-Key": "k-3"})
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 1}
    assert "Idempotent-Replayed" not in again


@pytest.mark.django_db
def test_it_keeps_keys_apart_per_token(api, alpha, make_token):
    api.post(URL, BATCH, **{"Idempotency-Key": "shared"})
    other = ApiClient(make_token())
    response = other.post(URL, BATCH, **{"Idempotency-Key": "shared"})
    assert "Idempotent-Replayed" not in response
    assert response.json()["unchanged"] == 1


@pytest.mark.django_db
def test_it_rejects_an_unusable_key(api, alpha):
    response = api.post(URL, BATCH, **{"Idempotency-Key": "x" * 300})
    assert response.status_code == 400
    assert Account.dangerously_unscoped.count() == 0


@pytest.mark.django_db
def test_it_says_when_to_ask_again_while_the_first_request_with_a_key_runs(api, alpha):
    api.post(URL, BATCH, **{"Idempotency-Key": "k-running"})
    # As if the first request were still running: its claim has no outcome yet.
    IdempotencyKey.dangerously_unscoped.update(finished_at=None)
    response = api.post(URL, BATCH, **{"Idempotency-Key": "k-running"})
    assert response.status_code == 409
    assert response.json()["type"] == "urn:csos:problem:idempotency-key-in-use"
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db(transaction=True)
def test_it_runs_exactly_one_of_ten_concurrent_requests_with_one_key(make_token):
    raw = make_token()
    release = threading.Event()
    answered = []
    lock = threading.Lock()

    def hold_the_first(**kwargs):
        # The first request waits here, inside its transaction, until the others have answered.
        release.wait(timeout=30)

    def send():
        try:
            response = ApiClient(raw).post(URL, BATCH, **{"Idempotency-Key": "same"})
            with lock:
                answered.append(response)
                if sum(r.status_code == 409 for r in answered) == 9:
                    release.set()
        finally:
            connection.close()

    staging_loaded.connect(hold_the_first)
    try:
        threads = [threading.Thread(target=send) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        staging_loaded.disconnect(hold_the_first)
        release.set()
    statuses = sorted(response.status_code for response in answered)
    assert statuses == [200] + [409] * 9
    assert all(
        r.json()["type"] == "urn:csos:problem:idempotency-key-in-use"
        for r in answered
        if r.status_code == 409
    )
    assert Account.dangerously_unscoped.count() == 1
    replay = ApiClient(raw).post(URL, BATCH, **{"Idempotency-Key": "same"})
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == {"created": 1, "updated": 0, "unchanged": 0}


@pytest.mark.django_db
def test_it_purges_the_expired_keys_of_every_workspace(make_token, beta, charlie, settings):
    for raw in (make_token(), make_token(workspace=beta, by=charlie)):
        client = ApiClient(raw)
        for key in ("old", "fresh"):
            client.post(
                URL, {"records": [{"external_id": key, "name": key}]}, **{"Idempotency-Key": key}
            )
    expired = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_KEY_HOURS, minutes=1)
    IdempotencyKey.dangerously_unscoped.filter(key="old").update(created_at=expired)
    assert "csos.tasks.idempotency_key_purge_all_task" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    idempotency_key_purge_all_task.delay()
    assert sorted(IdempotencyKey.dangerously_unscoped.values_list("key", flat=True)) == [
        "fresh",
        "fresh",
    ]
