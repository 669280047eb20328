"""CSV imports of support tickets and survey responses, checked by the API's own rules.

An upload is read within fixed limits; its columns are matched to fields (guessed, remembered
from an earlier file with the same header row, or confirmed by hand); each row becomes the
record the API would take and goes through the same checks. The preview lists every error by
spreadsheet row; committing writes the whole file through the API's upsert, or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from csos.api.bulk import UpsertCounts
from csos.api.problems import ProblemException
from csos.imports.forms import UploadedCsv
from csos.imports.reading import (
    FileRefused,
    Limits,
    apply_mapping,
    column_samples,
    read_table,
)
from csos.imports.services import import_mapping_find, import_mapping_remember
from csos.imports.spec import (
    ColumnMapping,
    FieldSpec,
    ImportSpec,
    guess_columns,
    is_own_format,
)
from csos.models import Workspace
from health.ingest import (
    Checked,
    support_ticket_bulk_upsert,
    support_ticket_check,
    survey_response_bulk_upsert,
    survey_response_check,
)
from health.models import (
    ImportKind,
    ImportState,
    RecordImport,
    SurveyKind,
    TicketPriority,
    TicketStatus,
)

PREVIEW_ROWS = 10
# As long as an accounts import keeps its file.
FILE_RETENTION = timedelta(days=30)
MAX_COLUMNS = 100
_WHOLE_NUMBER = re.compile(r"[+-]?\d+")

TICKET_SPEC = ImportSpec(
    kind="support_tickets",
    fields=(
        FieldSpec(
            "external_id",
            "Ticket ID",
            required=True,
            synonyms=("ticket id", "id", "ticket", "ticket number", "key", "issue key"),
            example="ZD-88121",
        ),
        FieldSpec(
            "account_external_id",
            "Account external ID",
            required=True,
            synonyms=("account id", "organization id", "organization external id", "company id"),
            example="CRM-1001",
        ),
        FieldSpec("subject", "Subject", synonyms=("title", "summary"), example="SSO login fails"),
        FieldSpec(
            "priority",
            "Priority",
            required=True,
            synonyms=("severity", "urgency", "ticket priority"),
            maps_values=True,
            example="p1",
        ),
        FieldSpec(
            "status",
            "Status",
            required=True,
            synonyms=("state", "ticket status"),
            maps_values=True,
            example="open",
        ),
        FieldSpec(
            "opened_on",
            "Opened on",
            required=True,
            synonyms=("created", "created at", "created date", "opened", "date opened"),
            example="2026-11-24",
        ),
        FieldSpec(
            "closed_on",
            "Closed on",
            synonyms=("closed", "closed at", "solved at", "resolved at", "date closed"),
        ),
    ),
)

SURVEY_SPEC = ImportSpec(
    kind="survey_responses",
    fields=(
        FieldSpec(
            "external_id",
            "Response ID",
            required=True,
            synonyms=("response id", "id", "survey response id", "answer id"),
            example="NPS-2026-11-0042",
        ),
        FieldSpec(
            "account_external_id",
            "Account external ID",
            required=True,
            synonyms=("account id", "organization id", "company id", "customer id"),
            example="CRM-1001",
        ),
        FieldSpec(
            "kind",
            "Survey kind",
            required=True,
            synonyms=("survey type", "survey", "type"),
            maps_values=True,
            example="nps",
        ),
        FieldSpec(
            "score", "Score", required=True, synonyms=("rating", "answer", "nps score"), example="9"
        ),
        FieldSpec(
            "comment",
            "Comment",
            synonyms=("comments", "feedback", "verbatim", "reason"),
            example="Great support",
        ),
        FieldSpec(
            "respondent_email",
            "Respondent e-mail",
            synonyms=("email", "respondent", "email address"),
            example="dana@acme.example",
        ),
        FieldSpec("respondent_name", "Respondent name", synonyms=("name", "respondent full name")),
        FieldSpec(
            "answered_on",
            "Answered on",
            required=True,
            synonyms=("date", "submitted at", "answered at", "response date", "submitted"),
            example="2026-11-21",
        ),
    ),
)


@dataclass(frozen=True)
class ImportConfig:
    """What differs between the two imports: fields, value choices, checks and the write."""

    spec: ImportSpec
    choices: dict[str, list[tuple[str, str]]]
    check: Callable[..., Checked]
    write: Callable[..., UpsertCounts]
    whole_numbers: tuple[str, ...] = ()


CONFIGS = {
    ImportKind.TICKETS: ImportConfig(
        spec=TICKET_SPEC,
        choices={"priority": TicketPriority.choices, "status": TicketStatus.choices},
        check=support_ticket_check,
        write=support_ticket_bulk_upsert,
    ),
    ImportKind.SURVEYS: ImportConfig(
        spec=SURVEY_SPEC,
        choices={"kind": SurveyKind.choices},
        check=survey_response_check,
        write=survey_response_bulk_upsert,
        whole_numbers=("score",),
    ),
}


def import_limits() -> Limits:
    """A file holds at most one API batch of rows."""
    return Limits(
        max_columns=MAX_COLUMNS,
        max_rows=settings.API_BATCH_MAX_RECORDS,
        max_listed_errors=100,
    )


def record_import_list(*, kind: str) -> QuerySet[RecordImport]:
    return RecordImport.objects.filter(kind=kind).select_related("created_by")


def record_import_create(
    *, workspace: Workspace, by: AbstractBaseUser, kind: str, upload: UploadedCsv
) -> RecordImport:
    """Store an upload and check it at once when its columns are known, else ask for them.

    Known columns are those a person confirmed for the same header row before, or headers that
    each name a field exactly. A file beyond the limits is refused (ValidationError).
    """
    config = CONFIGS[kind]
    try:
        table = read_table(upload.content, import_limits())
    except FileRefused as refused:
        raise ValidationError(str(refused)) from None
    guesses = guess_columns(table.headers, config.spec)
    record_import = RecordImport(
        workspace=workspace,
        kind=kind,
        created_by=by,
        filename=upload.name[: RecordImport._meta.get_field("filename").max_length],
        content=upload.content,
        status=ImportState.MAPPING,
        headers=table.headers,
        columns=[guess.key for guess in guesses],
        samples=column_samples(table),
        row_count=len(table.frame) - 1,
    )
    mapping = import_mapping_find(kind=config.spec.kind, headers=table.headers)
    if mapping is None and is_own_format(guesses):
        mapping = ColumnMapping(columns=tuple(guess.key for guess in guesses))
    if mapping is not None:
        _check(record_import, mapping)
    record_import.save()
    return record_import


def record_import_map(
    *, record_import: RecordImport, mapping: ColumnMapping, by: AbstractBaseUser
) -> RecordImport:
    """Remember the confirmed mapping for files with this header row, then check the file."""
    config = CONFIGS[record_import.kind]
    import_mapping_remember(
        workspace=record_import.workspace,
        kind=config.spec.kind,
        headers=record_import.headers,
        mapping=mapping,
        by=by,
    )
    _check(record_import, mapping)
    record_import.save()
    return record_import


def _records(record_import: RecordImport, mapping: ColumnMapping) -> tuple[list[dict], list[int]]:
    """The file's rows as API records (blank cells left out), with their spreadsheet rows."""
    config = CONFIGS[record_import.kind]
    table = read_table(record_import.content, import_limits())
    frame = apply_mapping(
        table, columns=mapping.columns, values=mapping.values, choices=config.choices
    )
    keys = list(frame.iloc[0])
    records, rows = [], []
    for index, cells in zip(frame.index[1:], frame.iloc[1:].itertuples(index=False), strict=True):
        record: dict[str, Any] = {}
        for key, cell in zip(keys, cells, strict=True):
            value = cell.strip()
            if not value:
                continue
            if key in config.whole_numbers and _WHOLE_NUMBER.fullmatch(value):
                record[key] = int(value)
            else:
                record[key] = value
        if record:
            records.append(record)
            rows.append(int(index) + 1)
    return records, rows


def _row_errors(errors, rows: list[int]) -> list[dict]:
    return [
        {
            "row": None if error.index is None else rows[error.index],
            "field": error.field,
            "message": error.message,
        }
        for error in errors
    ]


def _check(record_import: RecordImport, mapping: ColumnMapping) -> None:
    config = CONFIGS[record_import.kind]
    record_import.columns = list(mapping.columns)
    record_import.value_map = {key: dict(values) for key, values in mapping.values.items()}
    records, rows = _records(record_import, mapping)
    checked = config.check(records=records)
    errors = _row_errors(checked.batch.errors, rows)
    if not records:
        errors.append({"row": None, "field": None, "message": "The file has no data rows."})
    record_import.status = ImportState.READY
    record_import.row_count = len(records)
    record_import.error_count = len(errors)
    record_import.errors = errors[: import_limits().max_listed_errors]
    record_import.preview = [
        {"row": row, **{key: str(value) for key, value in record.items()}}
        for row, record in zip(rows[:PREVIEW_ROWS], records, strict=False)
    ]


def record_import_mapping(record_import: RecordImport) -> ColumnMapping:
    return ColumnMapping(columns=tuple(record_import.columns), values=record_import.value_map)


@transaction.atomic
def record_import_commit(*, import_id: int) -> RecordImport | None:
    """Write a checked file without errors through the API's upsert, all rows or none.

    The file is checked again as it is written: data changed since the preview (an account
    deleted) fails the commit with the new errors, and nothing is written. Returns None when
    the import is not ready to commit.
    """
    record_import = (
        RecordImport.objects.select_for_update()
        .filter(pk=import_id, status=ImportState.READY, error_count=0)
        .first()
    )
    if record_import is None:
        return None
    records, rows = _records(record_import, record_import_mapping(record_import))
    try:
        with transaction.atomic():
            counts = CONFIGS[record_import.kind].write(records=records)
    except ProblemException as problem:
        errors = _row_errors(problem.errors, rows)
        record_import.errors = errors[: import_limits().max_listed_errors]
        record_import.error_count = len(errors)
        record_import.save(update_fields=["errors", "error_count"])
        return record_import
    record_import.status = ImportState.DONE
    record_import.created_count = counts.created
    record_import.updated_count = counts.updated
    record_import.unchanged_count = counts.unchanged
    record_import.finished_at = timezone.now()
    record_import.save()
    return record_import


def record_import_purge(*, older_than: timedelta = FILE_RETENTION) -> int:
    """Drop the stored files of the scope's imports older than ``older_than``; returns how many.

    An imported file's record stays, its content emptied; a file never imported is deleted
    with its check, since it could no longer be committed.
    """
    old = RecordImport.objects.filter(created_at__lt=timezone.now() - older_than)
    emptied = old.filter(status=ImportState.DONE).exclude(content="").update(content="")
    deleted, _ = old.exclude(status=ImportState.DONE).delete()
    return emptied + deleted
