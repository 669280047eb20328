"""A batch import's file as an import job: stored on upload, checked and committed by a worker.

The job holds the file, its mapping and the check's outcome, so a commit writes the very file
that was previewed, and the import's history (who, when, which file, what it did) stays. The
check and the commit run on a worker (``csos.tasks``), each claiming the job by its status, so
a task delivered twice does its work once.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from csos.api.bulk import UpsertCounts
from csos.imports import batch
from csos.imports.reading import ErrorSummary, apply_mapping, read_table
from csos.imports.registry import registered_batch_import
from csos.imports.services import import_mapping_find, import_mapping_remember
from csos.imports.spec import ColumnMapping, guess_columns
from csos.imports.sweeps import import_job_claim, import_job_lock_claimed
from csos.models import ImportJob, ImportStatus, Workspace

HISTORY_ROWS = 10
OPEN = (ImportStatus.MAPPING, ImportStatus.READY, ImportStatus.INVALID)


def import_job_list(*, kind: str) -> QuerySet[ImportJob]:
    """The scope's imports of one kind, newest first, without their (possibly large) files."""
    return (
        ImportJob.objects.filter(kind=kind).select_related("created_by").defer("content", "samples")
    )


def batch_job_is_open(job: ImportJob) -> bool:
    """Whether the job's mapping may still change: it is checked, not committed."""
    return job.finished_at is None and job.status in OPEN


def job_mapping(job: ImportJob) -> ColumnMapping:
    return ColumnMapping(columns=tuple(job.columns), values=job.value_map)


def import_job_create(
    *,
    workspace: Workspace,
    kind: str,
    by: AbstractBaseUser | None,
    filename: str,
    content: str,
    **fields,
) -> ImportJob:
    """Store an uploaded file as a job of ``kind`` waiting for its check; ``fields`` are what
    the kind knows of it before the check (its headers, its mapping, its row count)."""
    return ImportJob.objects.create(
        workspace=workspace,
        kind=kind,
        created_by=by,
        filename=filename[: ImportJob._meta.get_field("filename").max_length],
        content=content,
        status=ImportStatus.CHECKING,
        queued_at=timezone.now(),
        **fields,
    )


def batch_job_create(
    importer: batch.CsvBatchImport,
    *,
    workspace: Workspace,
    by: AbstractBaseUser,
    filename: str,
    content: str,
) -> ImportJob:
    """Store an uploaded file, to be checked by a worker (batch_job_check), with its mapping:
    the one remembered for its header row, else the guessed one. FileRefused, storing nothing,
    for a file past the batch limits."""
    table = read_table(content, batch.batch_limits())
    mapping = import_mapping_find(kind=importer.spec.kind, headers=table.headers)
    if mapping is None:
        guesses = guess_columns(table.headers, importer.spec)
        mapping = ColumnMapping(columns=tuple(guess.key for guess in guesses))
    return import_job_create(
        workspace=workspace,
        kind=importer.spec.kind,
        by=by,
        filename=filename,
        content=content,
        headers=list(table.headers),
        columns=list(mapping.columns),
        value_map={key: dict(values) for key, values in mapping.values.items()},
        row_count=len(table.frame) - 1,
    )


def batch_job_map(*, job: ImportJob, mapping: ColumnMapping) -> bool:
    """Send an open job to be checked again with ``mapping``; False when it is not open."""
    return bool(
        ImportJob.objects.filter(pk=job.pk, status__in=OPEN, finished_at=None).update(
            status=ImportStatus.CHECKING,
            columns=list(mapping.columns),
            value_map={key: dict(values) for key, values in mapping.values.items()},
            queued_at=timezone.now(),
        )
    )


def batch_job_check(*, job_id: int) -> ImportJob | None:
    """Check a job's file with its mapping by running its bulk function rolled back: READY
    with its preview, or INVALID with its errors; MAPPING, unchecked, while a required field
    fills no column. None when the job is not waiting for a check."""
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.CHECKING).first()
    if job is None:
        return None
    importer = registered_batch_import(job.kind)
    missing = [spec.key for spec in importer.spec.required_fields if spec.key not in job.columns]
    if missing:
        job.status, job.preview = ImportStatus.MAPPING, {}
        _store_errors(job, ErrorSummary([], [], 0))
    else:
        outcome = batch.batch_run(importer, job=job, frame=_frame(importer, job), commit=False)
        _store_outcome(job, outcome)
    # Only the first check to finish records its outcome: a re-mapped job is checked again.
    saved = ImportJob.objects.filter(
        pk=job_id, status=ImportStatus.CHECKING, columns=job.columns, value_map=job.value_map
    ).update(
        status=job.status,
        preview=job.preview,
        row_count=job.row_count,
        errors=job.errors,
        error_kinds=job.error_kinds,
        error_count=job.error_count,
    )
    return job if saved else None


def batch_job_queue(*, job: ImportJob, by: AbstractBaseUser | None) -> bool:
    """Send a ready job to be committed by a worker; False when it was not ready."""
    return bool(
        ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
            status=ImportStatus.QUEUED, queued_by=by, queued_at=timezone.now()
        )
    )


def batch_job_commit(*, job_id: int, by: AbstractBaseUser | None) -> ImportJob | None:
    """Write a queued job's file, all or nothing, and remember its mapping: DONE with its
    counts, or FAILED with the errors of what changed since its check.

    The job is claimed first (QUEUED -> RUNNING), so a second delivery finds nothing to do and
    returns None; the write holds the job's row lock until it ends, which tells the recovery
    sweep a live writer from a dead one.
    """
    if not import_job_claim(job_id=job_id):
        return None
    with transaction.atomic():
        job = import_job_lock_claimed(job_id=job_id)
        if job is None:
            return None
        importer = registered_batch_import(job.kind)
        outcome = batch.batch_run(importer, job=job, frame=_frame(importer, job), commit=True)
        _store_outcome(job, outcome)
        job.finished_at = timezone.now()
        if outcome.counts is None:
            job.status = ImportStatus.FAILED
        else:
            job.status = ImportStatus.DONE
            job.created_count = outcome.counts.created
            job.updated_count = outcome.counts.updated
            job.unchanged_count = outcome.counts.unchanged
            import_mapping_remember(
                workspace=job.workspace,
                kind=job.kind,
                headers=job.headers,
                mapping=job_mapping(job),
                by=by,
            )
        job.save()
    return job


def batch_job_outcome(
    importer: batch.CsvBatchImport, *, job: ImportJob
) -> batch.BatchPreview | None:
    """What the job's check (or its commit) found, as the page shows it; None before."""
    if job.status in {ImportStatus.CHECKING, ImportStatus.MAPPING}:
        return None
    errors = ErrorSummary(job.errors, job.error_kinds, job.error_count)
    if job.error_count or not job.preview:
        return batch.BatchPreview(records=job.row_count, counts=None, errors=errors)
    return batch.BatchPreview(
        records=job.row_count,
        counts=UpsertCounts(**job.preview["counts"]),
        errors=errors,
        fields=tuple(spec for spec in importer.spec.fields if spec.key in job.preview["fields"]),
        sample=tuple((row, tuple(cells)) for row, cells in job.preview["sample"]),
    )


def _frame(importer: batch.CsvBatchImport, job: ImportJob):
    table = read_table(job.content, batch.batch_limits())
    return apply_mapping(
        table, columns=job.columns, values=job.value_map, choices=importer.choices()
    )


def _store_outcome(job: ImportJob, outcome: batch.BatchPreview) -> None:
    job.row_count = outcome.records
    _store_errors(job, outcome.errors)
    if outcome.counts is None:
        job.status, job.preview = ImportStatus.INVALID, {}
        return
    job.status = ImportStatus.READY
    job.preview = {
        "counts": outcome.counts.as_dict(),
        "fields": [spec.key for spec in outcome.fields],
        "sample": [[row, list(cells)] for row, cells in outcome.sample],
    }


def _store_errors(job: ImportJob, errors: ErrorSummary) -> None:
    job.errors, job.error_kinds, job.error_count = errors.errors, errors.kinds, errors.total
