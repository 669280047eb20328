"""Bulk ingestion: read a batch once, validate every record, write it with COPY and one upsert.

The path never builds a model instance or a serializer per record: the body is decompressed
and parsed once (orjson), each record is checked by plain field parsers into a tuple, the
tuples are streamed into a temporary staging table with COPY, and one
``INSERT ... ON CONFLICT DO UPDATE`` merges them, counting what it created and updated. It all
runs in the caller's transaction, so a batch is written whole or not at all.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.dispatch import Signal
from rest_framework import status

from csos.api.fields import Invalid, Parser
from csos.api.parsers import load_json
from csos.api.problems import FieldError, ProblemException, invalid_input
from csos.tenancy import current_workspace

# Sent inside the batch's transaction after COPY has filled the staging table and before the
# upsert: the one point where a lost connection must leave nothing written (tests kill the
# connection here).
staging_loaded = Signal()

JSON_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class Batch:
    """A parsed request body: its records and the options sent beside them."""

    records: list[Any]
    options: dict[str, Any]
    body: bytes


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _problem(status_code: int, code: str, title: str, detail: str) -> ProblemException:
    return ProblemException(status_code=status_code, code=code, title=title, detail=detail)


def read_body(request) -> bytes:
    """The request's JSON bytes, gunzipped when sent with ``Content-Encoding: gzip``.

    Refuses other content types (415), bodies over API_BATCH_MAX_BYTES before or after
    decompression (413), and other encodings (415).
    """
    limit = settings.API_BATCH_MAX_BYTES
    content_type = request.content_type.split(";")[0].strip().lower()
    if content_type != JSON_CONTENT_TYPE:
        raise _problem(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            f"Send the batch as {JSON_CONTENT_TYPE}, not {content_type or 'no content type'}.",
        )
    too_large = _problem(
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        "too-large",
        "The batch is too large",
        f"A batch is at most {limit:,} bytes of JSON and "
        f"{settings.API_BATCH_MAX_RECORDS:,} records; split it into smaller requests.",
    )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large
    raw = request._request.read(limit + 1)
    if len(raw) > limit:
        raise too_large
    encoding = request.META.get("HTTP_CONTENT_ENCODING", "identity").strip().lower()
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, limit + 1)
        except zlib.error:
            raise _problem(
                status.HTTP_400_BAD_REQUEST,
                "malformed-request",
                "The request body could not be parsed",
                "The body is not valid gzip.",
            ) from None
        if len(raw) > limit or inflater.unconsumed_tail:
            raise too_large
    elif encoding not in {"identity", ""}:
        raise _problem(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported content encoding",
            f"Send the body plain or gzip-compressed, not {encoding}.",
        )
    return raw


def check_record_count(records: list[Any]) -> None:
    """Refuse a batch over API_BATCH_MAX_RECORDS records (413)."""
    if len(records) > settings.API_BATCH_MAX_RECORDS:
        raise _problem(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            "too-large",
            "The batch is too large",
            f"A batch is at most {settings.API_BATCH_MAX_RECORDS:,} records; "
            f"this one has {len(records):,}.",
        )


def parse_batch(body: bytes, *, options: dict[str, Parser]) -> Batch:
    """Parse ``{"records": [...], <option>: ...}``; malformed JSON or shape answers 400."""
    document = load_json(body)
    if not isinstance(document, dict) or not isinstance(document.get("records"), list):
        raise invalid_input(
            [FieldError(field="records", code="required", message='Send {"records": [...]}.')],
            detail="The body must be an object with a `records` list.",
        )
    errors = [
        FieldError(field=name, code="unknown-field", message="Unknown option.")
        for name in document
        if name != "records" and name not in options
    ]
    parsed_options = {}
    for name, parse in options.items():
        try:
            parsed_options[name] = parse(document.get(name))
        except Invalid as error:
            errors.append(FieldError(field=name, code=error.code, message=error.message))
    records = document["records"]
    if not records:
        errors.append(FieldError(field="records", code="empty", message="The batch is empty."))
    check_record_count(records)
    if errors:
        raise invalid_input(errors, detail="The batch's options are invalid; nothing was written.")
    return Batch(records=records, options=parsed_options, body=body)


@dataclass(frozen=True)
class RecordSpec:
    """The fields a record may carry; ``key`` fields identify it and must be unique in a batch.

    A sender that delivers ``at_least_once`` (Segment) may repeat a record within a batch: a
    record whose key came earlier is then checked like any other and dropped, not refused.
    """

    fields: dict[str, Parser]
    required: frozenset[str]
    key: tuple[str, ...]
    at_least_once: bool = False


@dataclass
class ValidatedBatch:
    """The valid records as dicts of parsed values with their batch indexes, every problem, and
    how many valid records repeated an earlier one's key (dropped, when the spec allows it)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    repeated: int = 0

    def fail(self, index: int, field_name: str | None, code: str, message: str) -> None:
        self.errors.append(FieldError(index=index, field=field_name, code=code, message=message))

    def raise_if_invalid(self) -> None:
        if self.errors:
            raise invalid_input(self.errors)


def validate_records(records: list[Any], spec: RecordSpec) -> ValidatedBatch:
    """Check every record against ``spec``; duplicates of a key within the batch are errors,
    or dropped and counted as ``repeated`` when the spec delivers ``at_least_once``."""
    result = ValidatedBatch()
    seen: dict[tuple, int] = {}
    fields = spec.fields
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            result.fail(index, None, "wrong-type", "Each record must be a JSON object.")
            continue
        row: dict[str, Any] = {}
        valid = True
        for name, value in record.items():
            parse = fields.get(name)
            if parse is None:
                result.fail(index, name, "unknown-field", "Unknown field.")
                valid = False
                continue
            try:
                row[name] = parse(value)
            except Invalid as error:
                result.fail(index, name, error.code, error.message)
                valid = False
        for name in spec.required - record.keys():
            result.fail(index, name, "required", "This field is required.")
            valid = False
        if not all(name in row for name in spec.key):
            continue
        key = tuple(row[name] for name in spec.key)
        if key in seen and spec.at_least_once:
            if valid:
                result.repeated += 1
            continue
        if key in seen:
            result.fail(
                index,
                spec.key[-1],
                "duplicate-key",
                f"Record {seen[key]} of this batch has the same key {_show(key)}.",
            )
            continue
        seen[key] = index
        if not valid:
            continue
        result.rows.append(row)
        result.indexes.append(index)
    return result


def _show(key: tuple) -> str:
    return ", ".join(str(part) for part in key)


def workspace_lock(name: str) -> None:
    """Wait for the workspace's transaction lock called ``name`` and hold it until commit.

    Writers that take it run one at a time per workspace, each seeing what the one before it
    committed.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s), %s)", [name, current_workspace().pk]
        )


@dataclass(frozen=True)
class UpsertTarget:
    """Where rows go: a tenant model, its natural key columns and how new rows are completed.

    ``insert_defaults`` fill columns a batch does not carry when a row is created; on update
    those columns keep their stored values. ``created_column``/``updated_column`` get now().
    ``key_sql`` is the ``ON CONFLICT`` target when the key's unique index is not on the plain
    key columns (an index on an expression, or a partial one: its columns and predicate).
    ``insert_only`` rows are never updated: a row whose key is stored counts as unchanged.
    """

    model: type[models.Model]
    key: tuple[str, ...]
    insert_defaults: dict[str, Any] = field(default_factory=dict)
    created_column: str | None = None
    updated_column: str | None = None
    key_sql: str | None = None
    insert_only: bool = False


def copy_upsert(
    *, target: UpsertTarget, columns: Sequence[str], rows: Iterable[tuple]
) -> UpsertCounts:
    """COPY ``rows`` (tuples in ``columns`` order) into a staging table and upsert them at once.

    ``columns`` and the target's key are model field names (a foreign key by its field name,
    its value the related id).
    A row whose stored values already equal the sent ones is left alone and counted unchanged.
    Rows go into the workspace in scope. Must run inside a transaction: the staging table
    lives until its end.
    """
    workspace_id = current_workspace().pk
    meta = target.model._meta
    table = connection.ops.quote_name(meta.db_table)
    q = connection.ops.quote_name
    db_fields = {meta.get_field(name).column: meta.get_field(name) for name in columns}
    columns = list(db_fields)
    key = [meta.get_field(name).column for name in target.key]
    stage = "csos_bulk_stage"
    updates = [name for name in columns if name not in key]
    defaults = {
        meta.get_field(name).column: value
        for name, value in target.insert_defaults.items()
        if meta.get_field(name).column not in db_fields
    }
    insert_columns = ["workspace_id", *columns, *defaults]
    select = ["%s", *(f"s.{q(name)}" for name in columns), *("%s" for _ in defaults)]
    params: list[Any] = [workspace_id, *defaults.values()]
    for stamp in {target.created_column, target.updated_column} - {None}:
        insert_columns.append(stamp)
        select.append("now()")
    conflict = _on_conflict(target=target, key=key, updates=updates)
    with connection.cursor() as cursor:
        column_types = ", ".join(
            f"{q(name)} {field.db_type(connection)}" for name, field in db_fields.items()
        )
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        cursor.execute(f"CREATE TEMPORARY TABLE {stage} ({column_types}) ON COMMIT DROP")
        column_list = ", ".join(q(name) for name in columns)
        total = 0
        with cursor.copy(f"COPY {stage} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                total += 1
        staging_loaded.send(sender=target.model, connection=connection)
        cursor.execute(
            f"WITH written AS ("
            f"INSERT INTO {table} AS t ({', '.join(q(c) for c in insert_columns)}) "
            f"SELECT {', '.join(select)} FROM {stage} s "
            f"ON CONFLICT {conflict} "
            f"RETURNING (xmax = 0) AS inserted) "
            f"SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
            f"FROM written",
            params,
        )
        created, updated = cursor.fetchone()
        cursor.execute(f"DROP TABLE {stage}")
    return UpsertCounts(created=created, updated=updated, unchanged=total - created - updated)


def _on_conflict(*, target: UpsertTarget, key: list[str], updates: list[str]) -> str:
    """The upsert's conflict target and action: update the sent columns of a row whose stored
    values differ (stamping ``updated_column``), or leave it alone."""
    q = connection.ops.quote_name
    conflict_target = target.key_sql or f"({', '.join(q(c) for c in ('workspace_id', *key))})"
    if not updates or target.insert_only:
        return f"{conflict_target} DO NOTHING"
    assignments = [f"{q(name)} = EXCLUDED.{q(name)}" for name in updates]
    if target.updated_column:
        assignments.append(f"{q(target.updated_column)} = now()")
    stored = ", ".join(f"t.{q(name)}" for name in updates)
    sent = ", ".join(f"EXCLUDED.{q(name)}" for name in updates)
    return (
        f"{conflict_target} DO UPDATE SET {', '.join(assignments)} "
        f"WHERE ROW({stored}) IS DISTINCT FROM ROW({sent})"
    )


def copy_upsert_rows(*, target: UpsertTarget, rows: Iterable[dict[str, Any]]) -> UpsertCounts:
    """Upsert rows given as dicts of model field names; rows sending other fields go apart.

    A field a row leaves out keeps its stored value (or the insert default), so rows are
    grouped by the fields they send and each group is one COPY and one upsert.
    """
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    counts = UpsertCounts()
    for names, grouped in groups.items():
        counts.add(
            copy_upsert(
                target=target,
                columns=names,
                rows=(tuple(row[name] for name in names) for row in grouped),
            )
        )
    return counts
