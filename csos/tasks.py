"""Background jobs of the core: purging the API's expired idempotency keys, the worker heartbeat,
the outbox sweep, the delivery of events to webhooks and chat channels, and checking and
committing batch CSV imports."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError

from csos.api.idempotency import idempotency_key_purge
from csos.imports import jobs, sweeps
from csos.imports.registry import registered_import
from csos.models import DomainEvent, ImportJob, Workspace
from csos.outbox import outbox_enqueue, outbox_sweep, task_named
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


@shared_task
@workspace_task
def batch_job_check_task(workspace_id: int, job_id: int) -> None:
    jobs.batch_job_check(job_id=job_id)


@shared_task
@workspace_task
def batch_job_commit_task(workspace_id: int, job_id: int, user_id: int | None) -> None:
    # No retry: a failed write marks the job FAILED, and a retry would find it claimed.
    user = get_user_model().objects.filter(pk=user_id).first()
    jobs.batch_job_commit(job_id=job_id, by=user)


def import_job_check_enqueue(*, job: ImportJob) -> None:
    """Queue the check of an uploaded or re-mapped job, by its kind's task, once its
    transaction commits."""
    outbox_enqueue(
        workspace_id=job.workspace_id,
        task=registered_import(job.kind).check_task,
        args=[job.workspace_id, job.pk],
    )


def import_job_commit_enqueue(*, job: ImportJob, user_id: int | None) -> None:
    """Queue the commit of a previewed job, by its kind's task, once its transaction commits."""
    outbox_enqueue(
        workspace_id=job.workspace_id,
        task=registered_import(job.kind).commit_task,
        args=[job.workspace_id, job.pk, user_id],
    )


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def import_job_recover_task(workspace_id: int) -> None:
    """Send again the checks and commits of the workspace's jobs whose worker or task was lost,
    each to its kind's own task."""
    for job in sweeps.import_job_lost_checks():
        task_named(registered_import(job.kind).check_task).delay(workspace_id, job.pk)
    for job in sweeps.import_job_recover():
        commit = task_named(registered_import(job.kind).commit_task)
        commit.delay(workspace_id, job.pk, job.queued_by_id)


@shared_task
def import_job_recover_all_task() -> None:
    """The frequent sweep, sent only to the workspaces with an import under way."""
    under_way = ImportJob.dangerously_unscoped.filter(status__in=sweeps.UNDER_WAY)
    for workspace_id in under_way.order_by().values_list("workspace_id", flat=True).distinct():
        import_job_recover_task.delay(workspace_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def import_job_purge_task(workspace_id: int) -> None:
    sweeps.import_job_purge()


@shared_task
def import_job_purge_all_task() -> None:
    """The daily purge, fanned out to one task per workspace."""
    for workspace_id in Workspace.objects.values_list("pk", flat=True):
        import_job_purge_task.delay(workspace_id)
