"""Background jobs of segmentation: a queued re-segmentation, the nightly fan-out, and the
placement of newly created accounts."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from csos.models import Workspace
from csos.tenancy import workspace_scope, workspace_task
from playbooks.segments import services
from playbooks.segments.models import RunTrigger, SegmentationRun


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def segmentation_run_task(workspace_id: int, run_id: int) -> None:
    services.run_execute(run=SegmentationRun.objects.get(pk=run_id), today=timezone.localdate())


@shared_task
def segmentation_run_all_task() -> None:
    """The nightly re-segmentation, one run per workspace."""
    for workspace in Workspace.objects.all():
        with workspace_scope(workspace):
            run = services.run_start(workspace=workspace, by=None, trigger=RunTrigger.NIGHTLY)
        segmentation_run_task.delay(workspace.pk, run.pk)


def on_accounts_created(sender, *, workspace, account_ids, **kwargs) -> None:
    """Subscribed to accounts' ``accounts_created``: place the new accounts in the transaction
    that created them, so no account is left without a motion until the night."""
    with workspace_scope(workspace):
        services.segmentation_apply(
            workspace=workspace, today=timezone.localdate(), account_ids=list(account_ids)
        )
