"""Delivering events to endpoints: fan-out, attempts with backoff over about a day, disabling an
endpoint that keeps failing, and manual redelivery.

The delivery row is the truth. A worker delivers an endpoint's due deliveries in batches: it
locks a batch of rows (``FOR UPDATE SKIP LOCKED``), posts them over a few kept-alive connections
and writes their outcomes when the batch ends, in the same transaction. A worker
killed mid-batch leaves its rows pending (their locks die with its connection) and the sweep
queues them again; rows another worker holds are skipped, so a task run twice posts once. Every
attempt of a delivery carries the same ``webhook-id``.
"""

import datetime as dt
import http.client
import itertools
import json
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from csos.event_types import TASK_EVENTS
from csos.events import event_envelope
from csos.models import (
    DeliveryStatus,
    DomainEvent,
    EndpointKind,
    Membership,
    Role,
    WebhookDelivery,
    WebhookEndpoint,
)
from csos.outbox import outbox_enqueue
from csos.services import audit_record
from csos.webhooks import messages, signing, transport

DELIVER_TASK = "csos.tasks.endpoint_deliver_task"
ATTEMPTS = 10
FIRST_RETRY = dt.timedelta(seconds=30)
BACKOFF_FACTOR = 3
MAX_RETRY_DELAY = dt.timedelta(hours=8)
JITTER = 0.2
SWEEP_BATCH = 1000
# A batch holds its rows' locks until it ends: bounded in rows and in seconds of posting.
BATCH_SIZE = 200
BATCH_SECONDS = 20
# A batch posts over a few kept-alive connections at once: the receiver's latency overlaps,
# and a receiver is not flooded by one batch.
POST_CONNECTIONS = 4


def retry_delay(failures: int, *, rng: random.Random | None = None) -> dt.timedelta:
    """The wait after ``failures`` failed attempts: 30 s tripling up to 8 h, ±20 % jitter so that
    endpoints failing together do not retry together. Nine waits add up to about a day."""
    base = min(FIRST_RETRY * BACKOFF_FACTOR ** (failures - 1), MAX_RETRY_DELAY)
    return base * (rng or random).uniform(1 - JITTER, 1 + JITTER)


def endpoint_receives(endpoint: WebhookEndpoint, event: DomainEvent) -> bool:
    """Whether the endpoint's event types and filters (segment, CSM, band) take the event; a
    personal channel takes only the task events of its owner's tasks."""
    if event.event_type not in endpoint.event_types:
        return False
    data = event.body
    account = data.get("account") or {}
    if endpoint.owner_id is not None:
        assignee = (data.get("task") or {}).get("assignee_id")
        return event.event_type in TASK_EVENTS and assignee == endpoint.owner_id
    return (
        (not endpoint.segments or account.get("segment") in endpoint.segments)
        and (not endpoint.owner_ids or account.get("owner_id") in endpoint.owner_ids)
        and (not endpoint.bands or account.get("band") in endpoint.bands)
    )


@transaction.atomic
def events_dispatch(*, events: Sequence[DomainEvent]) -> list[WebhookDelivery]:
    """One delivery per event and enabled endpoint that takes it, in one insert, and one batch
    task queued on commit per endpoint that got deliveries. Run twice, it creates and queues
    nothing more."""
    if not events:
        return []
    types = {event.event_type for event in events}
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(enabled=True)
        if types.intersection(endpoint.event_types)
    ]
    existing = set(
        WebhookDelivery.objects.filter(event__in=events).values_list("endpoint_id", "event_id")
    )
    created = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(workspace=event.workspace, endpoint=endpoint, event=event)
        for event in events
        for endpoint in endpoints
        if (endpoint.pk, event.pk) not in existing and endpoint_receives(endpoint, event)
    )
    for endpoint_id in dict.fromkeys(delivery.endpoint_id for delivery in created):
        _queue(workspace_id=events[0].workspace_id, endpoint_id=endpoint_id)
    return created


def _queue(*, workspace_id: int, endpoint_id: int) -> None:
    outbox_enqueue(workspace_id=workspace_id, task=DELIVER_TASK, args=[workspace_id, endpoint_id])


def secrets_in_use(endpoint: WebhookEndpoint, *, now: dt.datetime) -> list[str]:
    """The current secret, and the previous one until its overlap ends."""
    keep_previous = endpoint.previous_secret and endpoint.previous_secret_until > now
    return [endpoint.secret, *([endpoint.previous_secret] if keep_previous else [])]


def delivery_request(delivery: WebhookDelivery, *, now: dt.datetime) -> tuple[bytes, dict]:
    """The body and headers of an attempt: a signed event, or a chat message."""
    envelope = event_envelope(delivery.event)
    endpoint = delivery.endpoint
    if endpoint.kind == EndpointKind.SLACK:
        return _json(messages.slack_message(envelope)), {"content-type": "application/json"}
    if endpoint.kind == EndpointKind.TEAMS:
        return _json(messages.teams_message(envelope)), {"content-type": "application/json"}
    body = _json(envelope)
    return body, signing.signed_headers(
        webhook_id=delivery.webhook_id,
        timestamp=now,
        body=body,
        secrets_in_use=secrets_in_use(endpoint, now=now),
    )


def _json(value: dict) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def endpoint_deliver(
    *, endpoint_id: int, now: dt.datetime | None = None, delivery_ids: Sequence[int] = ()
) -> list[WebhookDelivery]:
    """Attempt the endpoint's due deliveries (or only ``delivery_ids``), oldest first, one batch
    of them over a few kept-alive connections; the deliveries attempted. A full batch queues the
    next one."""
    now = now or timezone.now()
    with transaction.atomic():
        endpoint = (
            WebhookEndpoint.objects.select_related("workspace")
            .filter(pk=endpoint_id, enabled=True)
            .first()
        )
        if endpoint is None:
            return []
        due = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event")
            .filter(endpoint=endpoint, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
        )
        if delivery_ids:
            due = due.filter(pk__in=delivery_ids)
        batch = list(due[:BATCH_SIZE])
        attempted = _batch_post(endpoint, batch, now=now)
        _outcomes_write(workspace_id=endpoint.workspace_id, deliveries=attempted)
        if len(batch) == BATCH_SIZE and endpoint.enabled:
            _queue(workspace_id=endpoint.workspace_id, endpoint_id=endpoint.pk)
    return attempted


def _batch_post(
    endpoint: WebhookEndpoint, batch: list[WebhookDelivery], *, now: dt.datetime
) -> list[WebhookDelivery]:
    """Post the batch until it ends, its time is up, or a post disables the endpoint or cannot
    reach the receiver; the attempted deliveries, their outcomes set in batch order. The rest of
    the batch then waits as long as the first delivery that could not reach the receiver."""
    for delivery in batch:
        # The batch's events are the endpoint's workspace's: one workspace object, not a copy
        # built per row.
        delivery.endpoint, delivery.event.workspace = endpoint, endpoint.workspace
    requests = [delivery_request(delivery, now=now) for delivery in batch]
    answers = _posts(endpoint.url, requests, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES)
    attempted = batch[: len(answers)]
    unreached = None
    for delivery, answer in zip(attempted, answers, strict=True):
        if not _outcome_set(delivery, answer, now=now) and unreached is None:
            unreached = delivery
    if unreached is not None:
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in batch[len(attempted) :]]).update(
            next_attempt_at=unreached.next_attempt_at
        )
    return attempted


def _posts(
    url: str, requests: list[tuple[bytes, dict]], *, allow_private: bool
) -> list[transport.PostResult | Exception]:
    """Post the requests in order over up to POST_CONNECTIONS kept-alive connections, each
    taking the next request when its previous answer is in; the answers of the requests posted,
    which are always the first ones. The first post goes alone, so a receiver that cannot be
    reached costs one attempt, not one per connection. A post that disables the endpoint or
    cannot reach the receiver, or the batch's time running out, stops the taking of new
    requests. The threads touch no database: the caller writes the outcomes in its transaction."""
    answers: list[transport.PostResult | Exception | None] = [None] * len(requests)
    taken = itertools.count()
    take = threading.Lock()
    answered, stop = threading.Event(), threading.Event()
    started = time.monotonic()

    def post_in_turn() -> None:
        with transport.Poster(url, allow_private=allow_private) as poster:
            try:
                while not stop.is_set() and time.monotonic() - started <= BATCH_SECONDS:
                    with take:
                        index = next(taken)
                    if index >= len(requests):
                        return
                    answers[index] = answer = _post(poster, *requests[index])
                    if isinstance(answer, Exception) or answer.status == 410:
                        stop.set()
                    answered.set()
            finally:
                answered.set()

    connections = min(POST_CONNECTIONS, len(requests))
    if connections:
        with ThreadPoolExecutor(max_workers=connections) as pool:
            running = [pool.submit(post_in_turn)]
            answered.wait()
            if not stop.is_set():
                running += [pool.submit(post_in_turn) for _ in range(connections - 1)]
            for thread in running:
                thread.result()
    return list(itertools.takewhile(lambda answer: answer is not None, answers))


def _outcomes_write(*, workspace_id: int, deliveries: list[WebhookDelivery]) -> None:
    """The batch's outcomes in one UPDATE from arrays: Django's ``bulk_update`` builds a CASE
    per field and row, which costs more than the posts themselves."""
    if not deliveries:
        return
    columns = {
        "id": ("bigint", [d.pk for d in deliveries]),
        "status": ("varchar", [d.status for d in deliveries]),
        "attempts": ("smallint", [d.attempts for d in deliveries]),
        "next_attempt_at": ("timestamptz", [d.next_attempt_at for d in deliveries]),
        "last_attempt_at": ("timestamptz", [d.last_attempt_at for d in deliveries]),
        "response_status": ("smallint", [d.response_status for d in deliveries]),
        "latency_ms": ("integer", [d.latency_ms for d in deliveries]),
        "response_excerpt": ("varchar", [d.response_excerpt for d in deliveries]),
        "error": ("varchar", [d.error for d in deliveries]),
    }
    arrays = ", ".join(f"%s::{kind}[]" for kind, _values in columns.values())
    assignments = ", ".join(f"{name} = outcome.{name}" for name in columns if name != "id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {WebhookDelivery._meta.db_table} AS delivery SET {assignments} "
            f"FROM unnest({arrays}) AS outcome({', '.join(columns)}) "
            "WHERE delivery.id = outcome.id AND delivery.workspace_id = %s",
            [*(values for _kind, values in columns.values()), workspace_id],
        )


def _post(poster: transport.Poster, body: bytes, headers: dict) -> transport.PostResult | Exception:
    """The receiver's answer, or why there was none."""
    try:
        return poster.post(body=body, headers=headers)
    except (transport.UnsafeDestination, OSError, http.client.HTTPException) as error:
        return error


def _outcome_set(
    delivery: WebhookDelivery, answer: transport.PostResult | Exception, *, now: dt.datetime
) -> bool:
    """One attempt's outcome set on the row (not saved); False when the receiver could not be
    reached."""
    delivery.attempts += 1
    delivery.last_attempt_at = now
    if isinstance(answer, transport.UnsafeDestination):
        _finish(delivery, status=None, error=str(answer), latency_ms=None, excerpt="")
        _failed(delivery, now=now, disable_now=f"Refused: {answer}")
    elif isinstance(answer, Exception):
        _finish(delivery, status=None, error=_describe(answer), latency_ms=None, excerpt="")
        _failed(delivery, now=now)
        return False
    else:
        excerpt = answer.body[:500].decode(errors="replace")
        _finish(
            delivery, status=answer.status, error="", latency_ms=answer.latency_ms, excerpt=excerpt
        )
        if 200 <= answer.status < 300:
            delivery.status = DeliveryStatus.SUCCEEDED
        elif answer.status == 410:
            # 410 Gone is how Slack and webhook receivers say the endpoint was removed.
            _failed(delivery, now=now, disable_now="The receiver answered 410 Gone.")
        else:
            _failed(delivery, now=now)
    return True


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:300] if str(error) else type(error).__name__


def _finish(delivery, *, status, error, latency_ms, excerpt) -> None:
    delivery.response_status = status
    delivery.error = error[:300]
    delivery.latency_ms = latency_ms
    delivery.response_excerpt = excerpt[:500]


def _failed(delivery: WebhookDelivery, *, now: dt.datetime, disable_now: str = "") -> None:
    if disable_now or delivery.attempts >= ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        reason = disable_now or f"{delivery.attempts} attempts over about a day failed."
        if delivery.endpoint.enabled:  # posts in flight together may fail together: once
            endpoint_disable(endpoint=delivery.endpoint, reason=reason)
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)


def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop sending to an endpoint that keeps failing, and tell the workspace's admins: the
    audit log, the notice on the endpoints page, and an e-mail when mail is configured."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:300]
    endpoint.save(update_fields=["enabled", "disabled_reason"])
    audit_record(
        workspace=endpoint.workspace,
        actor=None,
        action="webhook_endpoint.disabled",
        obj=endpoint,
        after={"reason": endpoint.disabled_reason},
    )
    admins = list(Membership.objects.filter(role=Role.ADMIN).values_list("user__email", flat=True))
    if admins and "dummy" not in settings.EMAIL_BACKEND:
        message = f"CSOS stopped sending events to {endpoint.name}: {endpoint.disabled_reason}"
        transaction.on_commit(
            lambda: send_mail(
                subject=f"Webhook endpoint {endpoint.name} disabled",
                message=f"{message}\nFix the receiver, then enable the endpoint again.",
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=admins,
                fail_silently=True,
            )
        )


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery, by: AbstractBaseUser) -> WebhookDelivery:
    """Send a delivery again now, with a fresh schedule of attempts and the same webhook-id."""
    if not delivery.endpoint.enabled:
        raise ValidationError("Enable the endpoint before redelivering to it.")
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit_record(
        workspace=delivery.workspace, actor=by, action="webhook_delivery.redelivered", obj=delivery
    )
    _queue(workspace_id=delivery.workspace_id, endpoint_id=delivery.endpoint_id)
    return delivery


def endpoints_due(*, now: dt.datetime | None = None) -> list[tuple[int, int]]:
    """(workspace id, endpoint id) of the enabled endpoints with a pending delivery due, of
    every workspace: the sweep queues a batch for each."""
    return list(
        WebhookDelivery.dangerously_unscoped.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now or timezone.now(),
            endpoint__enabled=True,
        )
        .values_list("workspace_id", "endpoint_id")
        .order_by()
        .distinct()[:SWEEP_BATCH]
    )
