"""CSV files written through a bulk ingestion function: a file is checked as an API batch is.

An app whose records arrive in bulk through the API (usage records, stakeholders, support
tickets, survey responses) offers the
same records as a CSV upload by describing it once as a ``CsvBatchImport``: the file's mapped
rows become the records of one batch, checked and written by the very function the bulk
endpoint calls. The preview runs that function and rolls it back, so it shows exactly what a
commit would write or refuse, each error at its spreadsheet row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from csos.api.bulk import UpsertCounts
from csos.api.problems import ProblemException
from csos.events import publish
from csos.imports.reading import ErrorSummary, Limits, summarize_errors
from csos.imports.spec import FieldSpec, ImportSpec
from csos.models import ImportJob


@dataclass(frozen=True)
class CsvBatchImport:
    """One kind of CSV upload: its fields, the bulk function that writes its records, and the
    fields whose cells a JSON batch would send as numbers."""

    spec: ImportSpec
    title: str
    upsert: Callable[..., UpsertCounts]
    url_name: str
    noun: str
    back_url_name: str
    numbers: frozenset[str] = frozenset()
    choices: Callable[[], Mapping[str, Sequence[tuple[str, str]]]] = dict
    help_text: str = ""


PREVIEW_ROWS = 10


@dataclass(frozen=True)
class BatchPreview:
    """What committing the file would do: its counts and first rows, or its errors (then
    nothing is written)."""

    records: int
    counts: UpsertCounts | None
    errors: ErrorSummary
    fields: tuple[FieldSpec, ...] = ()
    sample: tuple[tuple[int, tuple[str, ...]], ...] = ()


def batch_limits() -> Limits:
    """A file holds at most the records of one API batch."""
    return Limits(max_columns=100, max_rows=settings.API_BATCH_MAX_RECORDS, max_listed_errors=100)


def frame_records(frame: pd.DataFrame, *, numbers: frozenset[str]) -> tuple[list[dict], list[int]]:
    """The records of a mapped file (header row first) and the spreadsheet row of each.

    A blank cell is a field not sent, so the stored value stays; a blank line is no record.
    Cells of ``numbers`` fields become numbers when they read as one; other text is passed on
    for the field's parser to refuse with its own message.
    """
    keys = list(frame.iloc[0])
    records, rows = [], []
    for index, cells in zip(
        frame.index[1:], frame.iloc[1:].itertuples(index=False, name=None), strict=True
    ):
        record = {
            key: _number(cell.strip()) if key in numbers else cell.strip()
            for key, cell in zip(keys, cells, strict=True)
            if cell.strip()
        }
        if record:
            records.append(record)
            rows.append(int(index) + 1)
    return records, rows


def _number(text: str) -> int | float | str:
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def _summary(problem: ProblemException, rows: list[int]) -> ErrorSummary:
    errors = pd.DataFrame(
        [
            (None if error.index is None else rows[error.index], error.field, error.message)
            for error in problem.errors or []
        ],
        columns=["row", "field", "message"],
    )
    return summarize_errors(errors, batch_limits())


def batch_run(
    importer: CsvBatchImport, *, job: ImportJob, frame: pd.DataFrame, commit: bool
) -> BatchPreview:
    """Run the import's bulk function on the job's mapped file, all or nothing. Without
    ``commit`` it is rolled back: the preview shows what a commit would write or refuse, and
    writes nothing. A commit announces import.finished with its counts, in the write's
    transaction."""
    records, rows = frame_records(frame, numbers=importer.numbers)
    try:
        with transaction.atomic():
            counts = importer.upsert(workspace=job.workspace, records=records)
            if commit:
                publish(
                    workspace=job.workspace,
                    event_type="import.finished",
                    body={
                        "kind": importer.spec.kind,
                        "id": job.pk,
                        "filename": job.filename,
                        **counts.as_dict(),
                        "skipped": 0,
                        "url": settings.SITE_URL + reverse(importer.back_url_name),
                    },
                )
            else:
                transaction.set_rollback(True)
    except ProblemException as problem:
        return BatchPreview(records=len(records), counts=None, errors=_summary(problem, rows))
    fields = tuple(spec for spec in importer.spec.fields if spec.key in set(frame.iloc[0]))
    sample = tuple(
        (row, tuple(str(record.get(spec.key, "")) for spec in fields))
        for row, record in zip(rows[:PREVIEW_ROWS], records, strict=False)
    )
    return BatchPreview(
        records=len(records),
        counts=counts,
        errors=ErrorSummary([], [], 0),
        fields=fields,
        sample=sample,
    )
