"""The recompute on a real Celery worker on Redis, including a worker killed mid-chunk."""

import contextlib
import os
import re
import signal
import time

import psycopg
import pytest
from django.db.models import Count
from django.utils import timezone

from health.models import HealthRecompute, HealthSnapshot, RecomputeStatus
from health.services import CHUNK_SIZE, iso_week
from health.tasks import health_recompute_recover_task, health_recompute_task
from tests.factories import AccountFactory, SupportTicketFactory
from tests.worker import (  # noqa: F401  (fixtures)
    celery_queue,
    celery_worker,
    pool_children,
    running_worker,
    worker_database_url,
)

pytestmark = pytest.mark.worker

TIMEOUT = 90  # seconds
ACCOUNTS = CHUNK_SIZE * 2 + 10  # three chunks


@pytest.fixture
def accounts(alpha):
    made = AccountFactory.create_batch(ACCOUNTS, workspace=alpha)
    SupportTicketFactory(account=made[0], priority="p1")
    return made


def wait_until(condition, failure: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.2)


def finished(recompute_id=None) -> bool:
    recomputes = HealthRecompute.dangerously_unscoped.all()
    if recompute_id is not None:
        recomputes = recomputes.filter(pk=recompute_id)
    return recomputes.exists() and all(r.is_finished for r in recomputes)


def assert_one_snapshot_per_account_and_week(alpha) -> None:
    snapshots = HealthSnapshot.dangerously_unscoped.filter(workspace=alpha)
    assert snapshots.count() == ACCOUNTS
    assert not snapshots.values("account", "week").annotate(n=Count("pk")).filter(n__gt=1).exists()


def test_it_recomputes_a_workspace_on_a_real_worker(celery_worker, alpha, accounts):  # noqa: F811
    health_recompute_task.delay(alpha.pk)
    wait_until(finished, "the recompute did not finish")
    recompute = HealthRecompute.dangerously_unscoped.get()
    assert recompute.status == RecomputeStatus.DONE
    assert (recompute.chunk_count, recompute.chunks_done) == (3, [0, 1, 2])
    assert_one_snapshot_per_account_and_week(alpha)
    assert HealthSnapshot.dangerously_unscoped.get(account=accounts[0]).band == "red"


def lock_waiters(dsn: str) -> int:
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with psycopg.connect(dsn, autocommit=True) as observer:
        return observer.execute(query).fetchone()[0]


HOLD_SQL = (
    "INSERT INTO health_healthsnapshot (workspace_id, account_id, week, band, scores,"
    " drivers, model_name, model_version, theatre, computed_at)"
    " VALUES (%s, %s, %s, 'red', '{}', '{}', 'held', 1, '', now())"
)


def test_it_redelivers_a_chunk_whose_pool_process_is_killed_and_finishes_the_run(
    celery_queue,  # noqa: F811
    alpha,
    accounts,
):
    """SIGKILL of the pool process while it runs a chunk: the worker rejects the task back to
    the queue (acks late, rejected on worker lost), a new pool process runs it again, and the
    same recompute finishes with one snapshot per account, without anyone sending it again."""
    database = worker_database_url()
    week = iso_week(timezone.localdate())
    with psycopg.connect(database) as holder, running_worker(celery_queue, pool="prefork") as w:
        # Another session writing the first account's snapshot holds the chunk in its write.
        holder.execute(HOLD_SQL, [alpha.pk, accounts[0].pk, week])
        health_recompute_task.delay(alpha.pk)
        wait_until(lambda: lock_waiters(database) > 0, "the chunk never reached its write")
        (running,) = pool_children(w)
        os.kill(running, signal.SIGKILL)
        holder.rollback()
        wait_until(finished, "the redelivered chunk did not finish the recompute")
        assert w.poll() is None, "the worker itself survived"
        assert running not in pool_children(w)
        log = w.log_path.read_text()
    received = re.findall(r"health_recompute_chunk_task\[([0-9a-f-]+)\] received", log)
    assert "WorkerLostError" in log
    assert sorted(received.count(task) for task in set(received)) == [1, 1, 2], log
    recompute = HealthRecompute.dangerously_unscoped.get()
    assert (recompute.status, recompute.chunks_done) == (RecomputeStatus.DONE, [0, 1, 2])
    assert_one_snapshot_per_account_and_week(alpha)
    assert not HealthSnapshot.dangerously_unscoped.filter(model_name="held").exists()


def test_it_leaves_one_snapshot_per_account_after_a_worker_dies_mid_run(
    celery_queue,  # noqa: F811
    alpha,
    accounts,
):
    """The whole worker dies inside a chunk's transaction (its message waits for Redis's
    visibility timeout); a recompute sent again completes the week."""
    database = worker_database_url()
    week = iso_week(timezone.localdate())
    with psycopg.connect(database) as holder, running_worker(celery_queue) as first:
        # Another session writing the first account's snapshot makes the chunk's write wait.
        holder.execute(HOLD_SQL, [alpha.pk, accounts[0].pk, week])
        health_recompute_task.delay(alpha.pk)
        wait_until(lambda: lock_waiters(database) > 0, "the chunk never reached its write")
        first.kill()
        first.wait()
        holder.rollback()
    first_run = HealthRecompute.dangerously_unscoped.get()
    assert first_run.status == RecomputeStatus.RUNNING and first_run.chunks_done == []

    with running_worker(celery_queue):
        health_recompute_task.delay(alpha.pk)
        wait_until(
            lambda: HealthRecompute.dangerously_unscoped.filter(status="done").exists(),
            "the re-run did not finish",
        )
    assert_one_snapshot_per_account_and_week(alpha)


def test_it_completes_a_recompute_whose_worker_main_process_was_killed_once_swept(
    celery_queue,  # noqa: F811
    alpha,
    accounts,
    settings,
):
    """SIGKILL of the worker's main process and its pool child inside a chunk's write: its
    chunks stay unacknowledged in Redis until the visibility timeout. A new worker starts, the
    sweep sends the lost chunks again, and the same recompute finishes with one snapshot per
    account and week."""
    database = worker_database_url()
    week = iso_week(timezone.localdate())
    with psycopg.connect(database) as holder, running_worker(celery_queue, pool="prefork") as w:
        holder.execute(HOLD_SQL, [alpha.pk, accounts[0].pk, week])
        health_recompute_task.delay(alpha.pk)
        wait_until(lambda: lock_waiters(database) > 0, "the chunk never reached its write")
        children = pool_children(w)
        w.kill()
        w.wait()
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        holder.rollback()
    stuck = HealthRecompute.dangerously_unscoped.get()
    assert stuck.status == RecomputeStatus.RUNNING and stuck.chunks_done == []

    settings.HEALTH_CHUNK_STALE_SECONDS = 1

    def swept() -> bool:
        # The sweep of Alpha as beat would run it, here so that it reads the short threshold.
        health_recompute_recover_task.apply(args=[alpha.pk])
        time.sleep(settings.HEALTH_CHUNK_STALE_SECONDS)
        return finished(stuck.pk)

    with running_worker(celery_queue):
        wait_until(swept, "the swept recompute did not finish")
    recompute = HealthRecompute.dangerously_unscoped.get()
    assert (recompute.status, recompute.chunks_done) == (RecomputeStatus.DONE, [0, 1, 2])
    assert_one_snapshot_per_account_and_week(alpha)
