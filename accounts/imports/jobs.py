"""An accounts import as a job: its limits, progress, recovery, purge and how it ends."""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts import csv_import as csv
from csos.imports.reading import Limits
from csos.models import ImportJob, ImportStatus

FILE_RETENTION = timedelta(days=30)
RESUME_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3
PROGRESS_TTL = 60 * 60  # seconds; outlives any write, then tidies itself away
WRITE_FAILED = {
    "row": None,
    "field": None,
    "message": "The database refused the write, so nothing was imported. Try again later.",
}
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

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportProgress:
    done: int
    total: int


def account_import_list() -> QuerySet[ImportJob]:
    """The scope's accounts imports, newest first, without their (possibly large) files and
    samples."""
    return (
        ImportJob.objects.filter(kind=csv.ACCOUNT_SPEC.kind)
        .select_related("created_by")
        .defer("content", "samples")
    )


def import_limits() -> Limits:
    """What one accounts file may hold; the settings say, the README states them."""
    return Limits(
        max_columns=settings.ACCOUNT_IMPORT_MAX_COLUMNS,
        max_rows=settings.ACCOUNT_IMPORT_MAX_ROWS,
        max_listed_errors=csv.DEFAULT_LIMITS.max_listed_errors,
    )


def account_import_progress_record(*, import_id: int, done: int) -> None:
    """Publish how many rows the running check has read, or the write has done, for the web."""
    cache.set(_progress_key(import_id), done, PROGRESS_TTL)


def account_import_progress(*, account_import: ImportJob) -> ImportProgress:
    """How far the check or write has got: the worker's count while it runs, then the result."""
    if account_import.status == ImportStatus.DONE:
        read = (
            account_import.created_count
            + account_import.updated_count
            + account_import.unchanged_count
        )
        return ImportProgress(done=read, total=read)
    done = cache.get(_progress_key(account_import.pk), 0)
    return ImportProgress(done=min(done, account_import.row_count), total=account_import.row_count)


@transaction.atomic
def account_import_recover(*, now: datetime | None = None) -> list[ImportJob]:
    """The scope's imports to send to the workers again: their worker died, or their task was lost.

    A running import whose row lock is free has no live writer, so its write rolled back: it
    goes back to the queue, unless it has stopped MAX_ATTEMPTS times already, when it fails
    rather than take a worker down again. An import queued for longer than RESUME_AFTER most
    likely lost its task (a broker restarted without persistence); sending it twice is harmless,
    since only one delivery can claim it.
    """
    now = now or timezone.now()
    queued = ImportJob.objects.filter(status=ImportStatus.QUEUED, queued_at__lt=now - RESUME_AFTER)
    resend = {account_import.pk for account_import in queued.only("pk")}
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
    for import_id in resend:
        account_import_progress_record(import_id=import_id, done=0)
    return list(ImportJob.objects.filter(pk__in=resend).only("pk", "queued_by_id"))


def account_import_lost_checks(*, now: datetime | None = None) -> list[int]:
    """The scope's imports sent to be checked more than RESUME_AFTER ago and still unchecked.

    Their task was most likely lost (a broker restarted without persistence). Checking one
    twice is harmless: only the first check to finish records its outcome.
    """
    now = now or timezone.now()
    lost = ImportJob.objects.filter(status=ImportStatus.CHECKING, queued_at__lt=now - RESUME_AFTER)
    return list(lost.values_list("pk", flat=True))


@transaction.atomic
def account_import_purge(*, older_than: timedelta = FILE_RETENTION) -> int:
    """Empty the stored files of the scope's imports older than ``older_than``; returns how many.

    Queued and running imports still need their file. A ready import that was never committed
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


def in_chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def finish_import(
    import_id: int,
    *,
    status: ImportStatus,
    errors: list[dict] | None = None,
    error_kinds: list[dict] | None = None,
    error_count: int | None = None,
    created: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    skipped: int = 0,
    linked: int = 0,
    finished: bool = True,
) -> ImportJob:
    """Record how an import ended; ``finished`` is False for a file refused by its check."""
    errors = errors or []
    ImportJob.objects.filter(pk=import_id).update(
        status=status,
        errors=errors,
        error_kinds=error_kinds
        if error_kinds is not None
        else [{"field": e["field"], "example": e["message"], "count": 1} for e in errors],
        error_count=len(errors) if error_count is None else error_count,
        created_count=created,
        updated_count=updated,
        unchanged_count=unchanged,
        skipped_count=skipped,
        linked_count=linked,
        finished_at=timezone.now() if finished else None,
    )
    return ImportJob.objects.get(pk=import_id)


def _progress_key(import_id: int) -> str:
    return f"account-import-progress:{import_id}"


class RowRefused(Exception):
    """A commit refused one row (the ledger, a parent link, two rows for one account); ``error``
    names the row, as a check's errors do."""

    def __init__(self, error: dict):
        super().__init__(error["message"])
        self.error = error
