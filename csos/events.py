"""Domain events: what the apps announce to the outside world, one place for all of them.

An app calls ``publish`` at its write point, inside the transaction of the change. The event row
and the outbox row that dispatches it commit with that change or not at all, so an event exists
exactly when what it describes happened. Bodies are checked against the catalogue
(``csos.event_types``); a body that does not match its schema is a bug and raises.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

import jsonschema
from django.utils import timezone

from csos.event_types import EVENT_TYPES
from csos.models import DomainEvent, WebhookEndpoint, Workspace
from csos.outbox import outbox_enqueue

DISPATCH_TASK = "csos.tasks.event_dispatch_task"
# Events fanned out by one dispatch task: one look-up of endpoints and one insert for them all.
DISPATCH_CHUNK = 500


def publish(
    *,
    workspace: Workspace,
    event_type: str,
    body: dict[str, Any],
    occurred_at: dt.datetime | None = None,
) -> DomainEvent:
    """Record an event of ``event_type`` and dispatch it to the endpoints that subscribe to it
    once the caller's transaction commits."""
    [event] = publish_many(
        workspace=workspace, event_type=event_type, bodies=[body], occurred_at=occurred_at
    )
    return event


def publish_many(
    *,
    workspace: Workspace,
    event_type: str,
    bodies: Sequence[dict[str, Any]],
    occurred_at: dt.datetime | None = None,
) -> list[DomainEvent]:
    """``publish`` for many events of one type (a batch of accounts created): one insert, and
    one look-up of who subscribes."""
    version, _description, schema = EVENT_TYPES[event_type]
    for body in bodies:
        jsonschema.validate(body, schema, format_checker=jsonschema.FormatChecker())
    occurred_at = occurred_at or timezone.now()
    events = DomainEvent.dangerously_unscoped.bulk_create(
        DomainEvent(
            workspace=workspace,
            event_type=event_type,
            schema_version=version,
            occurred_at=occurred_at,
            account_id=(body.get("account") or {}).get("id"),
            body=body,
        )
        for body in bodies
    )
    if events and _has_subscribers(workspace=workspace, event_type=event_type):
        for start in range(0, len(events), DISPATCH_CHUNK):
            chunk = [event.pk for event in events[start : start + DISPATCH_CHUNK]]
            outbox_enqueue(
                workspace_id=workspace.pk, task=DISPATCH_TASK, args=[workspace.pk, chunk]
            )
    return events


def _has_subscribers(*, workspace: Workspace, event_type: str) -> bool:
    # Most workspaces subscribe to few types; an event nobody receives queues no work.
    return WebhookEndpoint.dangerously_unscoped.filter(
        workspace=workspace, enabled=True, event_types__contains=[event_type]
    ).exists()


def event_envelope(event: DomainEvent) -> dict[str, Any]:
    """The event as delivered: the envelope every type shares around its versioned body."""
    return {
        "id": str(event.event_id),
        "type": event.event_type,
        "version": event.schema_version,
        "workspace": event.workspace.slug,
        "occurred_at": event.occurred_at.isoformat(),
        "data": event.body,
    }
