"""The sweep of recomputes: chunks lost with their worker are sent again, and only those."""

import datetime as dt

import pytest
from django.utils import timezone

from health import services
from health.models import HealthRecompute, HealthSnapshot, RecomputeStatus
from health.recovery import MAX_ATTEMPTS, health_recompute_recover, recompute_chunk_claim
from tests.factories import AccountFactory


@pytest.fixture
def started(in_alpha, settings):
    settings.HEALTH_CHUNK_STALE_SECONDS = 120
    AccountFactory.create_batch(2, workspace=in_alpha)
    recompute, chunks = services.health_recompute_start(
        workspace=in_alpha, week=timezone.localdate(), by=None
    )
    return recompute, chunks[0]


def later(seconds: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_it_sends_again_a_chunk_silent_past_the_threshold_and_not_before(started):
    _recompute, chunk = started
    assert health_recompute_recover(now=later(100)) == []
    assert [c.pk for c in health_recompute_recover(now=later(130))] == [chunk.pk]
    # Sent again is a sign of life: the next sweep waits for the threshold anew.
    assert health_recompute_recover(now=later(140)) == []


def test_it_counts_a_claim_as_a_sign_of_life(started):
    recompute, chunk = started
    recompute_chunk_claim(recompute_id=recompute.pk, chunk=chunk.number)
    chunk.refresh_from_db()
    assert chunk.attempts == 1
    assert health_recompute_recover(now=chunk.heartbeat_at + dt.timedelta(seconds=100)) == []


def test_it_leaves_a_chunk_done_alone(started):
    recompute, chunk = started
    services.health_recompute_chunk(
        recompute=recompute,
        chunk=chunk.number,
        first_id=chunk.first_account_id,
        last_id=chunk.last_account_id,
        as_of=chunk.as_of,
    )
    recompute.refresh_from_db()
    assert recompute.status == RecomputeStatus.DONE
    assert health_recompute_recover(now=later(600)) == []


def test_it_writes_nothing_for_a_second_delivery_of_a_chunk_done(started):
    recompute, chunk = started
    arguments = {
        "recompute": recompute,
        "chunk": chunk.number,
        "first_id": chunk.first_account_id,
        "last_id": chunk.last_account_id,
        "as_of": chunk.as_of,
    }
    assert services.health_recompute_chunk(**arguments) == 2
    assert services.health_recompute_chunk(**arguments) == 0
    assert HealthSnapshot.objects.count() == 2


def test_it_fails_a_recompute_whose_chunk_was_claimed_max_attempts_times(started):
    recompute, chunk = started
    for _ in range(MAX_ATTEMPTS):
        recompute_chunk_claim(recompute_id=recompute.pk, chunk=chunk.number)
    assert health_recompute_recover(now=later(600)) == []
    recompute.refresh_from_db()
    assert recompute.status == RecomputeStatus.FAILED and recompute.finished_at is not None


def test_it_sends_again_only_chunks_of_running_recomputes(started, in_alpha):
    recompute, _chunk = started
    HealthRecompute.objects.filter(pk=recompute.pk).update(status=RecomputeStatus.FAILED)
    assert health_recompute_recover(now=later(600)) == []
