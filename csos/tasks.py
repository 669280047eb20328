"""Background jobs of the core: purging the API's expired idempotency keys, the worker heartbeat."""

from celery import shared_task
from django.db import OperationalError

from csos.api.idempotency import idempotency_key_purge
from csos.models import Workspace
from csos.readiness import worker_heartbeat_record
from csos.tenancy import workspace_task


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
