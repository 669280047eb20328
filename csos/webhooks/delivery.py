"""Delivering events to endpoints: fan-out, attempts with backoff over about a day, disabling an
endpoint that keeps failing, and manual redelivery.

The delivery row is the truth. An attempt locks its row for the length of the post, so a worker
killed mid-delivery leaves the row pending (its lock dies with its connection) and the sweep
queues it again; an attempt that finds its row locked, finished or not yet due does nothing, so a
task run twice posts once. Every attempt of a delivery carries the same ``webhook-id``.
"""

import datetime as dt
import http.client
import json
import random

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
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

DELIVER_TASK = "csos.tasks.webhook_deliver_task"
ATTEMPTS = 10
FIRST_RETRY = dt.timedelta(seconds=30)
BACKOFF_FACTOR = 3
MAX_RETRY_DELAY = dt.timedelta(hours=8)
JITTER = 0.2
SWEEP_BATCH = 1000


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
def event_dispatch(*, event: DomainEvent) -> list[WebhookDelivery]:
    """One delivery per enabled endpoint that takes the event, each queued on commit. Run twice,
    it creates and queues nothing more."""
    endpoints = WebhookEndpoint.objects.filter(
        enabled=True, event_types__contains=[event.event_type]
    )
    created = []
    for endpoint in endpoints:
        if not endpoint_receives(endpoint, event):
            continue
        delivery, is_new = WebhookDelivery.objects.get_or_create(
            workspace=event.workspace, endpoint=endpoint, event=event
        )
        if is_new:
            _queue(delivery)
            created.append(delivery)
    return created


def _queue(delivery: WebhookDelivery) -> None:
    outbox_enqueue(
        workspace_id=delivery.workspace_id,
        task=DELIVER_TASK,
        args=[delivery.workspace_id, delivery.pk],
    )


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


def delivery_attempt(*, delivery_id: int, now: dt.datetime | None = None) -> WebhookDelivery | None:
    """Make the next attempt of a due delivery; None when there is nothing to do (finished, not
    due, its endpoint disabled, or another worker holds it)."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event", "event__workspace")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None or not delivery.endpoint.enabled:
            return None
        body, headers = delivery_request(delivery, now=now)
        delivery.attempts += 1
        delivery.last_attempt_at = now
        try:
            result = transport.post(
                delivery.endpoint.url,
                body=body,
                headers=headers,
                allow_private=settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES,
            )
        except transport.UnsafeDestination as error:
            _finish(delivery, status=None, error=str(error), latency_ms=None, excerpt="")
            _failed(delivery, now=now, disable_now=f"Refused: {error}")
        except (OSError, http.client.HTTPException) as error:
            _finish(delivery, status=None, error=_describe(error), latency_ms=None, excerpt="")
            _failed(delivery, now=now)
        else:
            excerpt = result.body[:500].decode(errors="replace")
            _finish(
                delivery,
                status=result.status,
                error="",
                latency_ms=result.latency_ms,
                excerpt=excerpt,
            )
            if 200 <= result.status < 300:
                delivery.status = DeliveryStatus.SUCCEEDED
            elif result.status == 410:
                # 410 Gone is how Slack and webhook receivers say the endpoint was removed.
                _failed(delivery, now=now, disable_now="The receiver answered 410 Gone.")
            else:
                _failed(delivery, now=now)
        delivery.save()
    return delivery


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
    _queue(delivery)
    return delivery


def deliveries_due(*, now: dt.datetime | None = None) -> list[tuple[int, int]]:
    """(workspace id, delivery id) of the pending deliveries whose next attempt is due, of every
    workspace: the sweep queues them."""
    return list(
        WebhookDelivery.dangerously_unscoped.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now or timezone.now(),
            endpoint__enabled=True,
        )
        .order_by("next_attempt_at")
        .values_list("workspace_id", "pk")[:SWEEP_BATCH]
    )
