"""Product events in Segment's shape, stored once each and rolled up into daily usage.

A body is one ``track`` call or a ``{"batch": [...]}`` of them. Each event names its account
(by ``external_id``) in ``context.groupId``, or else in ``properties.account_id`` or
``properties.groupId``. Events are validated all at once, written with one COPY and one
``INSERT ... ON CONFLICT DO NOTHING`` on (workspace, messageId), then every (account, metric,
day) they touch through an event mapping is recomputed in SQL from the stored events: sending an
event again, in a later batch or twice in one (Segment delivers at least once), changes nothing,
and a distinct-user count stays exact across batches. Days are the workspace's calendar days.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from django.db import transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from accounts.ingest import fail_unknown_account
from accounts.selectors.external_ids import account_ids_by_external_id
from csos.api import fields as f
from csos.api.bulk import (
    Batch,
    RecordSpec,
    UpsertCounts,
    UpsertTarget,
    check_record_count,
    copy_upsert,
    load_json,
    validate_records,
)
from csos.api.problems import FieldError, invalid_input
from csos.models import Workspace
from value.models import ProductEvent
from value.rollup import usage_rollup
from value.tasks import ladder_refresh_on_commit

# Devices' clocks run a little ahead; an event further ahead than this is refused.
CLOCK_SKEW = timedelta(minutes=5)
# Fields Segment's libraries send beside an event that say nothing about usage.
SEGMENT_ENVELOPE = (
    "sentAt",
    "receivedAt",
    "originalTimestamp",
    "integrations",
    "channel",
    "version",
    "writeKey",
    "_metadata",
)
# Where an event may name its account, in the order they are read.
ACCOUNT_SOURCES = (
    ("context", "groupId"),
    ("properties", "account_id"),
    ("properties", "groupId"),
)
_MAX_TEXT = ProductEvent._meta.get_field("message_id").max_length


def _timestamp(value: Any):
    moment = f.timestamp()(value)
    if moment > timezone.now() + CLOCK_SKEW:
        raise f.Invalid("in-future", "The timestamp lies in the future.")
    return moment


def _object(value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise f.Invalid("wrong-type", "Expected a JSON object.")
    # PostgreSQL's jsonb cannot hold the NUL character.
    if b"\\u0000" in orjson.dumps(value):
        raise f.Invalid("invalid", "NUL characters are not allowed.")
    return value


EVENT_RECORD = RecordSpec(
    fields={
        "type": f.text(max_length=20, choices=["track"]),
        "messageId": f.text(max_length=_MAX_TEXT),
        "userId": f.nullable(f.text(max_length=_MAX_TEXT)),
        "anonymousId": f.nullable(f.text(max_length=_MAX_TEXT)),
        "event": f.text_of(ProductEvent, "event"),
        "timestamp": _timestamp,
        "properties": _object,
        "context": _object,
        **{name: (lambda value: value) for name in SEGMENT_ENVELOPE},
    },
    required=frozenset({"messageId", "event", "timestamp"}),
    key=("messageId",),
    # Segment delivers at least once, so one batch may hold an event twice.
    at_least_once=True,
)
EVENT_INSERT = UpsertTarget(
    model=ProductEvent, key=("message_id",), created_column="received_at", insert_only=True
)
_BATCH_FIELDS = {"batch", "context", *SEGMENT_ENVELOPE}


def parse_events(body: bytes) -> Batch:
    """The events of a ``track`` body or a ``{"batch": [...]}`` body.

    A batch's own ``context`` is the default context of its events; ``options["context"]``
    holds it.
    """
    document = load_json(body)
    if not isinstance(document, dict):
        raise invalid_input(
            [FieldError(field=None, code="wrong-type", message="Send a JSON object.")],
            detail='The body must be one track event or {"batch": [...]}.',
        )
    if "batch" not in document:
        return Batch(records=[document], options={"context": {}}, body=body)
    errors = [
        FieldError(field=name, code="unknown-field", message="Unknown field.")
        for name in document
        if name not in _BATCH_FIELDS
    ]
    events = document["batch"]
    if not isinstance(events, list):
        errors.append(FieldError(field="batch", code="wrong-type", message="Expected a list."))
    elif not events:
        errors.append(FieldError(field="batch", code="empty", message="The batch is empty."))
    else:
        check_record_count(events)
    context = document.get("context")
    if context is not None and not isinstance(context, dict):
        errors.append(FieldError(field="context", code="wrong-type", message="Expected an object."))
    if errors:
        raise invalid_input(errors, detail="The batch is malformed; nothing was written.")
    return Batch(records=events, options={"context": context or {}}, body=body)


def _account_reference(row: dict, default_context: dict) -> tuple[str, Any] | None:
    for part, name in ACCOUNT_SOURCES:
        value = row.get(part, {}).get(name)
        if value is not None:
            return f"{part}.{name}", value
    value = default_context.get("groupId")
    return None if value is None else ("context.groupId", value)


@transaction.atomic
def product_event_ingest(
    *, workspace: Workspace, records: list[Any], context: dict | None = None
) -> tuple[UpsertCounts, UpsertCounts]:
    """Validate every event, store the new ones, and recompute the usage days they touch.

    Returns the counts of events (an event already stored under its messageId, or repeated in
    the batch, is unchanged)
    and of the daily usage records recomputed. Any invalid event raises a 400 problem listing
    all of them; nothing is written.
    """
    batch = validate_records(records, EVENT_RECORD)
    references: list[tuple[str, str] | None] = []
    for index, row in zip(batch.indexes, batch.rows, strict=True):
        reference = _account_reference(row, context or {})
        if reference is None:
            batch.fail(
                index,
                "context.groupId",
                "required",
                "Name the account by its external_id in context.groupId or properties.account_id.",
            )
        elif not isinstance(reference[1], str) or not reference[1].strip():
            batch.fail(index, reference[0], "wrong-type", "Expected the account's external_id.")
            reference = None
        if not (row.get("userId") or row.get("anonymousId")):
            batch.fail(index, "userId", "required", "Send userId or anonymousId.")
        references.append(reference)
    account_ids = account_ids_by_external_id(ref[1] for ref in references if ref is not None)
    for index, reference in zip(batch.indexes, references, strict=True):
        if reference is not None and reference[1] not in account_ids:
            fail_unknown_account(batch, index, reference[1], field=reference[0])
    batch.raise_if_invalid()
    events = copy_upsert(
        target=EVENT_INSERT,
        columns=["message_id", "account", "user_id", "event", "timestamp", "properties"],
        rows=(
            (
                row["messageId"],
                account_ids[reference[1]],
                row.get("userId") or row["anonymousId"],
                row["event"],
                row["timestamp"],
                Jsonb(row.get("properties", {})),
            )
            for row, reference in zip(batch.rows, references, strict=True)
        ),
    )
    # An event repeated within the batch is stored once, like one sent again in a later batch.
    events.unchanged += batch.repeated
    usage = usage_rollup(workspace=workspace, message_ids=[row["messageId"] for row in batch.rows])
    touched = sorted({account_ids[reference[1]] for reference in references})
    ladder_refresh_on_commit(workspace_id=workspace.pk, account_ids=touched)
    return events, usage
