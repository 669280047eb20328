"""Import jobs of every kind as work a worker may lose: their progress, the recovery of jobs
whose worker died or whose task was lost, and the purge of old files."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from csos.models import ImportJob, ImportStatus

FILE_RETENTION = timedelta(days=30)
RESUME_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3
PROGRESS_TTL = 60 * 60  # seconds; outlives any write, then tidies itself away
WORKER_LOST = {
    "row": None,
    "field": None,
    "message": (
        f"The import stopped {MAX_ATTEMPTS} times before it finished, so nothing was written. "
        "Try a smaller file, or ask your administrator to check the workers."
    ),
}
FILE_PURGED = {
    "row": None,
    "field": None,
    "message": "The file was deleted after 30 days without being committed; upload it again.",
}
UNDER_WAY = (ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.RUNNING)


def import_job_progress_record(*, job_id: int, done: int) -> None:
    """Publish how many rows the running check has read, or the write has done, for the web."""
    cache.set(_progress_key(job_id), done, PROGRESS_TTL)


def import_job_progress_done(*, job_id: int) -> int:
    """The rows the worker last said it has read or written."""
    return cache.get(_progress_key(job_id), 0)


@dataclass(frozen=True)
class ImportProgress:
    done: int
    total: int


def import_job_progress(*, job: ImportJob) -> ImportProgress:
    """How far the check or write has got: the worker's count while it runs, then the result."""
    if job.status == ImportStatus.DONE:
        read = job.created_count + job.updated_count + job.unchanged_count
        return ImportProgress(done=read, total=read)
    done = import_job_progress_done(job_id=job.pk)
    return ImportProgress(done=min(done, job.row_count), total=job.row_count)


@transaction.atomic
def import_job_recover(*, now: datetime | None = None) -> list[ImportJob]:
    """The scope's jobs to send to be committed again: their worker died, or their task was lost.

    A running job whose row lock is free has no live writer, so its write rolled back: it goes
    back to the queue, unless it has stopped MAX_ATTEMPTS times already, when it fails rather
    than take a worker down again. A job queued for longer than RESUME_AFTER most likely lost
    its task (a broker restarted without persistence); sending it twice is harmless, since
    only one delivery can claim it.
    """
    now = now or timezone.now()
    queued = ImportJob.objects.filter(status=ImportStatus.QUEUED, queued_at__lt=now - RESUME_AFTER)
    resend = {job.pk for job in queued.only("pk")}
    orphans = list(
        ImportJob.objects.select_for_update(skip_locked=True)
        .filter(status=ImportStatus.RUNNING)
        .only("pk", "attempts")
    )
    exhausted = [orphan.pk for orphan in orphans if orphan.attempts >= MAX_ATTEMPTS]
    ImportJob.objects.filter(pk__in=exhausted).update(
        status=ImportStatus.FAILED, errors=[WORKER_LOST], finished_at=now
    )
    resend |= {orphan.pk for orphan in orphans if orphan.pk not in exhausted}
    ImportJob.objects.filter(pk__in=resend).update(status=ImportStatus.QUEUED, queued_at=now)
    for job_id in resend:
        import_job_progress_record(job_id=job_id, done=0)
    return list(ImportJob.objects.filter(pk__in=resend).only("pk", "kind", "queued_by_id"))


def import_job_lost_checks(*, now: datetime | None = None) -> list[ImportJob]:
    """The scope's jobs sent to be checked more than RESUME_AFTER ago and still unchecked.

    Their worker died or their task was lost (a broker restarted without persistence).
    Checking one twice is harmless: only the first check to finish records its outcome.
    """
    now = now or timezone.now()
    lost = ImportJob.objects.filter(status=ImportStatus.CHECKING, queued_at__lt=now - RESUME_AFTER)
    return list(lost.only("pk", "kind"))


@transaction.atomic
def import_job_purge(*, older_than: timedelta = FILE_RETENTION) -> int:
    """Empty the stored files of the scope's jobs older than ``older_than``; returns how many.

    Queued and running jobs still need their file. A ready job that was never committed
    becomes invalid, since it no longer has rows to commit.
    """
    old = ImportJob.objects.filter(created_at__lt=timezone.now() - older_than).exclude(content="")
    expired = old.filter(status=ImportStatus.READY).update(
        content="", status=ImportStatus.INVALID, errors=[FILE_PURGED]
    )
    finished = old.exclude(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]).update(
        content=""
    )
    return expired + finished


def import_job_claim(*, job_id: int) -> bool:
    """Claim a queued job for one writer (QUEUED -> RUNNING, one more attempt); False when
    another delivery of its task claimed it first."""
    return bool(
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
            status=ImportStatus.RUNNING, attempts=F("attempts") + 1
        )
    )


def import_job_lock_claimed(*, job_id: int) -> ImportJob | None:
    """The claimed job, its row locked until the caller's transaction ends: a free lock on a
    running job tells import_job_recover its writer died. None when the job was recovered and
    queued again meanwhile."""
    return (
        ImportJob.objects.select_for_update()
        .select_related("workspace")
        .filter(pk=job_id, status=ImportStatus.RUNNING)
        .first()
    )


def _progress_key(job_id: int) -> str:
    return f"import-job-progress:{job_id}"
