"""The transactional outbox: Celery work that must follow a commit and must not be lost.

``outbox_enqueue`` writes the task as a row in the caller's transaction; after the commit the
relay sends it to the broker and marks it sent. When the broker is unreachable at that moment
the row stays pending, and the beat sweep (``outbox_sweep``) sends it once the broker is back.
So a broker outage delays the work and never loses it, and the request that wrote the data can
answer that it was stored. Delivery is at least once: tasks sent this way are idempotent.
"""

import datetime as dt
import logging
from functools import partial

import kombu.exceptions
import redis.exceptions
from django.db import transaction
from django.utils import timezone

from csos.celery import app
from csos.models import OutboxMessage

logger = logging.getLogger(__name__)

# The relay sends a row just after its commit; the sweep leaves rows this young to it, so the
# two rarely send the same row twice.
SWEEP_MIN_AGE = dt.timedelta(seconds=30)
SWEEP_BATCH = 500
# Sent rows are kept this long, to read what was sent when.
SENT_RETENTION = dt.timedelta(days=7)
BROKER_ERRORS = (
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def outbox_enqueue(*, workspace_id: int, task: str, args: list) -> OutboxMessage:
    """Queue the Celery task named ``task`` with JSON-safe ``args`` once this transaction
    commits."""
    message = OutboxMessage.dangerously_unscoped.create(
        workspace_id=workspace_id, task=task, args=args
    )
    transaction.on_commit(partial(outbox_relay, message_ids=[message.pk]))
    return message


def outbox_relay(*, message_ids: list[int]) -> int:
    """Send these pending rows to the broker; return how many it took. A row the broker would
    not take stays pending for the sweep."""
    sent = 0
    pending = OutboxMessage.dangerously_unscoped.filter(pk__in=message_ids, sent_at__isnull=True)
    for message in pending:
        sent += _send(message)
    return sent


def outbox_sweep(*, now: dt.datetime | None = None) -> int:
    """Send the rows the relay could not, oldest first; forget rows sent long ago. Rows locked
    by a concurrent sweep are skipped, not sent twice."""
    now = now or timezone.now()
    OutboxMessage.dangerously_unscoped.filter(sent_at__lt=now - SENT_RETENTION).delete()
    sent = 0
    with transaction.atomic():
        due = OutboxMessage.dangerously_unscoped.select_for_update(skip_locked=True).filter(
            sent_at__isnull=True, created_at__lte=now - SWEEP_MIN_AGE
        )[:SWEEP_BATCH]
        for message in due:
            sent += _send(message)
    return sent


def task_named(name: str):
    """The Celery task registered under ``name``."""
    if name not in app.tasks:
        # Outside a worker the apps' tasks modules are found lazily: load them all once.
        app.loader.import_default_modules()
    return app.tasks[name]


def _send(message: OutboxMessage) -> int:
    try:
        task_named(message.task).apply_async(args=message.args)
    except BROKER_ERRORS as error:
        logger.warning("Outbox row %s stays pending: the broker refused it: %s", message.pk, error)
        OutboxMessage.dangerously_unscoped.filter(pk=message.pk).update(
            attempts=message.attempts + 1, last_error=str(error)[:500]
        )
        return 0
    OutboxMessage.dangerously_unscoped.filter(pk=message.pk).update(
        sent_at=timezone.now(), attempts=message.attempts + 1, last_error=""
    )
    return 1
