"""Domain events: what the apps announce to the outside world, one place for all of them.

An app calls ``publish`` at its write point, inside the transaction of the change. The event row
and the outbox row that dispatches it commit with that change or not at all, so an event exists
exactly when what it describes happened. Bodies are checked against the catalogue
(``csos.event_types``); a body that does not match its schema is a bug and raises.
"""

import datetime as dt
from typing import Any

import jsonschema
from django.utils import timezone

from csos.event_types import EVENT_TYPES
from csos.models import DomainEvent, WebhookEndpoint, Workspace
from csos.outbox import outbox_enqueue

DISPATCH_TASK = "csos.tasks.event_dispatch_task"


def publish(
    *,
    workspace: Workspace,
    event_type: str,
    body: dict[str, Any],
    occurred_at: dt.datetime | None = None,
) -> DomainEvent:
    """Record an event of ``event_type`` and dispatch it to the endpoints that subscribe to it
    once the caller's transaction commits."""
    version, _description, schema = EVENT_TYPES[event_type]
    jsonschema.validate(body, schema, format_checker=jsonschema.FormatChecker())
    account = body.get("account") or {}
    event = DomainEvent.dangerously_unscoped.create(
        workspace=workspace,
        event_type=event_type,
        schema_version=version,
        occurred_at=occurred_at or timezone.now(),
        account_id=account.get("id"),
        body=body,
    )
    if _has_subscribers(workspace=workspace, event_type=event_type):
        outbox_enqueue(workspace_id=workspace.pk, task=DISPATCH_TASK, args=[workspace.pk, event.pk])
    return event


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
