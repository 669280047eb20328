"""Background jobs of the core: purging the API's expired idempotency keys, the worker heartbeat,
the outbox sweep, and the delivery of events to webhooks and chat channels."""

from celery import shared_task
from django.db import IntegrityError, OperationalError

from csos.api.idempotency import idempotency_key_purge
from csos.models import DomainEvent, Workspace
from csos.outbox import outbox_sweep
from csos.readiness import worker_heartbeat_record
from csos.tenancy import workspace_task
from csos.webhooks import delivery


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def idempotency_key_purge_task(workspace_id: int) -> None:
    idempotency_key_purge()


@shared_task
def idempotency_key_purge_all_task() -> None:
    """The hourly purge, fanned out to one task per workspace."""
    for workspace_id in Workspace.objects.values_list("pk", flat=True):
        idempotency_key_purge_task.delay(workspace_id)


@shared_task(ignore_result=True)
def worker_heartbeat_task() -> None:
    """Queued by beat every WORKER_HEARTBEAT_SECONDS; /readyz reads the time it ran."""
    worker_heartbeat_record()


@shared_task(ignore_result=True)
def outbox_sweep_task() -> None:
    """Queued by beat: send the work the relay could not hand to the broker at its commit."""
    outbox_sweep()


@shared_task(autoretry_for=(OperationalError, IntegrityError), retry_backoff=True, max_retries=3)
@workspace_task
def event_dispatch_task(workspace_id: int, event_ids: list[int]) -> None:
    """Fan events out to their endpoints. A concurrent run of the same events may insert a
    delivery first (IntegrityError): the retry finds it and adds only the rest."""
    events = DomainEvent.objects.filter(pk__in=event_ids).select_related("workspace")
    delivery.events_dispatch(events=list(events))


@shared_task(acks_late=True, reject_on_worker_lost=True)
@workspace_task
def endpoint_deliver_task(workspace_id: int, endpoint_id: int) -> None:
    """One batch of the endpoint's due deliveries; failures are rescheduled on their rows, and
    the sweep queues them when due."""
    delivery.endpoint_deliver(endpoint_id=endpoint_id)


@shared_task(ignore_result=True)
def webhook_deliveries_sweep_task() -> None:
    """Queued by beat: the retries that are due, and deliveries a killed worker left pending."""
    for workspace_id, endpoint_id in delivery.endpoints_due():
        endpoint_deliver_task.delay(workspace_id, endpoint_id)
