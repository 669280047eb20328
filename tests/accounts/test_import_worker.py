"""The accounts import committed by a real Celery worker on Redis, watched through the pages.

The same journey with eager tasks (the default) is test_it_imports_a_good_file_end_to_end in
test_import_views.py.
"""

import re
import time

import psycopg
import pytest
from django.urls import reverse

from accounts.models import Account
from csos.models import ImportJob, ImportStatus
from csos.tasks import import_job_recover_all_task
from tests.accounts.test_import_views import upload
from tests.factories import AccountFactory
from tests.worker import (  # noqa: F401  (fixtures)
    celery_queue,
    celery_worker,
    running_worker,
    worker_database_url,
)

pytestmark = pytest.mark.worker

DONE_TIMEOUT = 60  # seconds
ROWS = 1_200  # several write chunks, so the worker reports progress more than once
PROGRESS = re.compile(r'<progress value="(\d+)" max="(\d+)"')


def big_file() -> str:
    lines = ["external_id,name,owner_email,arr"]
    lines += [f"W-{n:05d},Worker Customer {n},bob@alpha.example,{1000 + n}" for n in range(ROWS)]
    return "\n".join(lines) + "\n"


def test_it_commits_an_import_on_a_real_worker(celery_worker, login, alpha, lena, bob):  # noqa: F811
    client = login(lena)
    upload(client, big_file())
    account_import = checked_by_the_worker(alpha)
    assert account_import.status == ImportStatus.READY

    client.post(reverse("account_import_commit", args=[account_import.pk]))
    progress_url = reverse("account_import_progress", args=[account_import.pk])
    seen = []
    deadline = time.monotonic() + DONE_TIMEOUT
    while True:
        partial = client.get(progress_url).content.decode()
        assert 'data-status="failed"' not in partial, partial
        done, total = map(int, PROGRESS.search(partial).groups())
        seen.append(done)
        assert total == ROWS
        if 'data-status="done"' in partial:
            break
        assert time.monotonic() < deadline, f"not done after {DONE_TIMEOUT}s: {partial}"
        time.sleep(0.1)

    assert seen == sorted(seen) and seen[-1] == ROWS
    assert "Accounts created" in partial
    assert (
        Account.dangerously_unscoped.filter(workspace=alpha, external_id__startswith="W-").count()
        == ROWS
    )


def test_it_finishes_an_import_whose_worker_was_killed_midway(
    celery_queue,  # noqa: F811  (the fixture)
    login,
    alpha,
    lena,
    bob,
):
    """The first worker dies holding the write open; the sweep hands the import to a second."""
    AccountFactory(workspace=alpha, external_id="W-00000", name="Before")
    client = login(lena)
    with running_worker(celery_queue):
        upload(client, big_file())
        account_import = checked_by_the_worker(alpha)
    assert account_import.status == ImportStatus.READY
    database = worker_database_url()

    # Another session holds one of the file's accounts, so the worker's write waits on it.
    with psycopg.connect(database) as holder, running_worker(celery_queue) as first:
        holder.execute("SELECT 1 FROM accounts_account WHERE external_id = 'W-00000' FOR UPDATE")
        client.post(reverse("account_import_commit", args=[account_import.pk]))
        wait_until(lambda: lock_waiters(holder) > 0, "the worker never started writing")
        first.kill()
        first.wait()
    # Its database session ends once it finds its client gone, and the write rolls back.
    wait_until(lambda: not import_locked(database, account_import.pk), "the write never ended")
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.RUNNING
    assert not Account.dangerously_unscoped.filter(external_id="W-00001").exists()

    with running_worker(celery_queue):
        import_job_recover_all_task.delay()
        wait_until(
            lambda: ImportJob.dangerously_unscoped.get(pk=account_import.pk).is_finished,
            "the import was not finished",
        )

    account_import.refresh_from_db()
    assert (account_import.status, account_import.attempts) == (ImportStatus.DONE, 2)
    assert (account_import.created_count, account_import.updated_count) == (ROWS - 1, 1)
    assert (
        Account.dangerously_unscoped.filter(workspace=alpha, external_id__startswith="W-").count()
        == ROWS
    )


def checked_by_the_worker(workspace) -> ImportJob:
    """The workspace's import once the worker has checked it."""
    account_import = ImportJob.dangerously_unscoped.get(workspace=workspace)
    wait_until(
        lambda: (
            ImportJob.dangerously_unscoped.get(pk=account_import.pk).status != ImportStatus.CHECKING
        ),
        "the worker never checked the file",
    )
    account_import.refresh_from_db()
    return account_import


def wait_until(condition, failure: str) -> None:
    deadline = time.monotonic() + DONE_TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.1)


def lock_waiters(session: psycopg.Connection) -> int:
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with psycopg.connect(session.info.dsn, autocommit=True) as observer:
        return observer.execute(query).fetchone()[0]


def import_locked(database: str, import_id: int) -> bool:
    """Whether some session still holds the import's row lock, as a live writer does."""
    with psycopg.connect(database) as probe:
        free = probe.execute(
            "SELECT 1 FROM csos_importjob WHERE id = %s FOR UPDATE SKIP LOCKED",
            [import_id],
        ).fetchone()
        return free is None
