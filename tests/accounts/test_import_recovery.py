"""Imports whose worker died mid-write, or whose task was lost, are found and sent again."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from accounts import imports
from accounts.models import Account, ArrMovement
from csos import tasks
from csos.imports import sweeps
from csos.models import ImportJob, ImportStatus
from csos.tenancy import workspace_scope

ONE_ROW = "external_id,name,arr\nN-1,One,10\n"


def queued(text: str, *, workspace, by, minutes_ago: int = 0) -> ImportJob:
    account_import = imports.account_import_create(
        workspace=workspace, by=by, filename="accounts.csv", content=text
    )
    imports.account_import_check(import_id=account_import.pk)
    assert imports.account_import_queue(account_import=account_import, by=by)
    ImportJob.objects.filter(pk=account_import.pk).update(
        queued_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return account_import


def claimed_by_a_worker_that_died(account_import: ImportJob, *, attempts: int = 1) -> None:
    """What a worker leaves behind when it dies after the claim: RUNNING, with no lock held."""
    ImportJob.objects.filter(pk=account_import.pk).update(
        status=ImportStatus.RUNNING, attempts=attempts
    )


def test_it_sends_again_an_import_whose_worker_died(in_alpha, alpha, lena):
    account_import = queued(ONE_ROW, workspace=alpha, by=lena)
    claimed_by_a_worker_that_died(account_import)

    tasks.import_job_recover_task.delay(alpha.pk)

    account_import.refresh_from_db()
    assert (account_import.status, account_import.attempts) == (ImportStatus.DONE, 2)
    assert account_import.created_count == 1
    (movement,) = ArrMovement.objects.all()
    assert movement.recorded_by == lena  # the person who committed it, not the sweep


@pytest.mark.django_db(transaction=True)
def test_it_leaves_alone_an_import_a_live_worker_is_writing(alpha, lena):
    """The sweep runs on another connection while the write is under way."""
    found_by_sweep = []

    def sweep():
        with workspace_scope(alpha):
            found_by_sweep.append(sweeps.import_job_recover(now=timezone.now()))
        connection.close()

    def sweep_midway(done, total):
        if done == total:
            thread = threading.Thread(target=sweep)
            thread.start()
            thread.join(timeout=30)

    with workspace_scope(alpha):
        account_import = queued(ONE_ROW, workspace=alpha, by=lena, minutes_ago=60)
        imports.account_import_commit(
            import_id=account_import.pk, by=lena, on_progress=sweep_midway
        )
        account_import.refresh_from_db()
        assert found_by_sweep == [[]]
        assert (account_import.status, account_import.attempts) == (ImportStatus.DONE, 1)
        assert Account.objects.count() == 1


def test_it_sends_again_an_import_queued_so_long_its_task_was_lost(in_alpha, alpha, lena):
    lost = queued(ONE_ROW, workspace=alpha, by=lena, minutes_ago=11)
    waiting = queued("external_id,name\nN-2,Two\n", workspace=alpha, by=lena, minutes_ago=2)

    assert [item.pk for item in sweeps.import_job_recover()] == [lost.pk]
    # Sent again now, so the next sweep waits as long again before resending it.
    assert sweeps.import_job_recover() == []
    waiting.refresh_from_db()
    assert waiting.status == ImportStatus.QUEUED


def test_it_checks_again_a_file_whose_check_task_was_lost(in_alpha, alpha, lena):
    lost = imports.account_import_create(
        workspace=alpha, by=lena, filename="lost.csv", content=ONE_ROW
    )
    fresh = imports.account_import_create(
        workspace=alpha, by=lena, filename="fresh.csv", content=ONE_ROW
    )
    ImportJob.objects.filter(pk=lost.pk).update(
        queued_at=timezone.now() - sweeps.RESUME_AFTER - timedelta(minutes=1)
    )

    tasks.import_job_recover_task.delay(alpha.pk)

    assert ImportJob.objects.get(pk=lost.pk).status == ImportStatus.READY
    assert ImportJob.objects.get(pk=fresh.pk).status == ImportStatus.CHECKING


def test_it_fails_an_import_that_stopped_too_often_instead_of_trying_again(in_alpha, alpha, lena):
    account_import = queued(ONE_ROW, workspace=alpha, by=lena)
    claimed_by_a_worker_that_died(account_import, attempts=sweeps.MAX_ATTEMPTS)

    assert sweeps.import_job_recover() == []

    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.FAILED
    assert account_import.errors == [sweeps.WORKER_LOST]
    assert account_import.finished_at is not None
    assert not Account.objects.exists()


def test_it_never_recovers_another_workspace_s_import(in_alpha, alpha, beta, lena, charlie):
    with workspace_scope(beta):
        foreign = queued(ONE_ROW, workspace=beta, by=charlie)
        claimed_by_a_worker_that_died(foreign)

    assert sweeps.import_job_recover() == []
    assert ImportJob.dangerously_unscoped.get(pk=foreign.pk).status == ImportStatus.RUNNING


def test_it_sweeps_only_the_workspaces_with_an_import_under_way(alpha, beta, lena, charlie):
    for workspace, status in (
        (alpha, ImportStatus.RUNNING),
        (alpha, ImportStatus.QUEUED),
        (beta, ImportStatus.DONE),
    ):
        ImportJob.dangerously_unscoped.create(
            kind="accounts", workspace=workspace, filename="a.csv", status=status
        )

    with mock.patch.object(tasks.import_job_recover_task, "delay") as delay:
        tasks.import_job_recover_all_task()

    delay.assert_called_once_with(alpha.pk)
