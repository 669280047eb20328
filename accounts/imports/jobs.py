"""An accounts import as a job: its limits, progress and how it ends. Recovering jobs whose
worker died, and purging old files, is the same for every kind (``csos.imports.sweeps``)."""

from collections.abc import Callable, Iterator, Sequence

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts import csv_import as csv
from csos.imports.reading import Limits
from csos.models import ImportJob, ImportStatus

WRITE_FAILED = {
    "row": None,
    "field": None,
    "message": "The database refused the write, so nothing was imported. Try again later.",
}
ProgressCallback = Callable[[int, int], None]


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


class RowRefused(Exception):
    """A commit refused one row (the ledger, a parent link, two rows for one account); ``error``
    names the row, as a check's errors do."""

    def __init__(self, error: dict):
        super().__init__(error["message"])
        self.error = error
