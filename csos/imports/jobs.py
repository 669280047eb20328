"""A batch import's file as an import job: stored on upload, checked, committed, listed.

The job holds the file, its mapping and the check's outcome, so a commit writes the very file
that was previewed, and the import's history (who, when, which file, what it did) stays.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from csos.api.bulk import UpsertCounts
from csos.imports import batch
from csos.imports.reading import ErrorSummary, apply_mapping, read_table
from csos.imports.services import import_mapping_find, import_mapping_remember
from csos.imports.spec import ColumnMapping, guess_columns
from csos.models import ImportJob, ImportStatus, Workspace

HISTORY_ROWS = 10


def import_job_list(*, kind: str) -> QuerySet[ImportJob]:
    """The scope's imports of one kind, newest first, without their (possibly large) files."""
    return (
        ImportJob.objects.filter(kind=kind).select_related("created_by").defer("content", "samples")
    )


def batch_job_is_open(job: ImportJob) -> bool:
    """Whether the job's mapping may still change: it is checked, not committed."""
    return job.finished_at is None and job.status in {
        ImportStatus.MAPPING,
        ImportStatus.READY,
        ImportStatus.INVALID,
    }


def job_mapping(job: ImportJob) -> ColumnMapping:
    return ColumnMapping(columns=tuple(job.columns), values=job.value_map)


def batch_job_create(
    importer: batch.CsvBatchImport,
    *,
    workspace: Workspace,
    by: AbstractBaseUser,
    filename: str,
    content: str,
) -> ImportJob:
    """Store an uploaded file with its mapping (remembered for its header row, else guessed)
    and check it; FileRefused, storing nothing, for a file past the batch limits."""
    headers = read_table(content, batch.batch_limits()).headers
    mapping = import_mapping_find(kind=importer.spec.kind, headers=headers)
    if mapping is None:
        guesses = guess_columns(headers, importer.spec)
        mapping = ColumnMapping(columns=tuple(guess.key for guess in guesses))
    job = ImportJob.objects.create(
        workspace=workspace,
        kind=importer.spec.kind,
        created_by=by,
        filename=filename[: ImportJob._meta.get_field("filename").max_length],
        content=content,
        status=ImportStatus.CHECKING,
        headers=list(headers),
    )
    return batch_job_map(importer, job=job, mapping=mapping)


def batch_job_map(
    importer: batch.CsvBatchImport, *, job: ImportJob, mapping: ColumnMapping
) -> ImportJob:
    """Check the job's file with ``mapping``: READY with its preview, or INVALID with its
    errors. A required field no column fills leaves it MAPPING, unchecked."""
    job.columns = list(mapping.columns)
    job.value_map = {key: dict(values) for key, values in mapping.values.items()}
    missing = [spec.key for spec in importer.spec.required_fields if spec.key not in job.columns]
    if missing:
        job.status, job.preview = ImportStatus.MAPPING, {}
        _store_errors(job, ErrorSummary([], [], 0))
    else:
        outcome = batch.batch_run(importer, job=job, frame=_frame(importer, job), commit=False)
        _store_outcome(job, outcome)
    job.save()
    return job


@transaction.atomic
def batch_job_commit(
    importer: batch.CsvBatchImport, *, job: ImportJob, by: AbstractBaseUser
) -> ImportJob:
    """Write a ready job's file, all or nothing, and remember its mapping: DONE with its
    counts, or INVALID with the errors of what changed since its check. A job that is not
    ready (already committed, or another request is committing it) is left as it is."""
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
        status=ImportStatus.RUNNING, queued_by=by, queued_at=timezone.now(), attempts=1
    )
    job.refresh_from_db()
    if not claimed:
        return job
    outcome = batch.batch_run(importer, job=job, frame=_frame(importer, job), commit=True)
    _store_outcome(job, outcome)
    job.finished_at = timezone.now()
    if outcome.counts is not None:
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
    """What the job's check found, as the page shows it; None before a check."""
    if job.status in {ImportStatus.CHECKING, ImportStatus.MAPPING}:
        return None
    errors = ErrorSummary(job.errors, job.error_kinds, job.error_count)
    if job.error_count:
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
