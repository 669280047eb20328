"""Background jobs of customer accounts: checking and committing CSV imports, recovering and
purging them."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import OperationalError

from accounts import imports
from csos.models import ImportJob, ImportStatus, Workspace
from csos.outbox import outbox_enqueue
from csos.tenancy import workspace_task

User = get_user_model()


@shared_task
@workspace_task
def account_import_check_task(workspace_id: int, import_id: int) -> None:
    imports.account_import_check(import_id=import_id)


@shared_task
@workspace_task
def account_import_commit_task(workspace_id: int, import_id: int, user_id: int | None) -> None:
    # No retry: a failed write marks the import FAILED, and a retry would find it claimed.
    imports.account_import_commit(import_id=import_id, by=User.objects.filter(pk=user_id).first())


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def account_import_recover_task(workspace_id: int) -> None:
    for import_id in imports.account_import_lost_checks():
        account_import_check_task.delay(workspace_id, import_id)
    for account_import in imports.account_import_recover():
        account_import_commit_task.delay(
            workspace_id, account_import.pk, account_import.queued_by_id
        )


@shared_task
def account_import_recover_all_task() -> None:
    """The frequent sweep, sent only to the workspaces with an import under way."""
    under_way = ImportJob.dangerously_unscoped.filter(
        status__in=[ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.RUNNING]
    )
    for workspace_id in under_way.order_by().values_list("workspace_id", flat=True).distinct():
        account_import_recover_task.delay(workspace_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def account_import_purge_task(workspace_id: int) -> None:
    imports.account_import_purge()


@shared_task
def account_import_purge_all_task() -> None:
    """The daily purge, fanned out to one task per workspace."""
    for workspace_id in Workspace.objects.values_list("pk", flat=True):
        account_import_purge_task.delay(workspace_id)


def account_import_check_enqueue(*, account_import: ImportJob) -> None:
    """Queue the check of an uploaded or re-mapped import once its transaction commits."""
    outbox_enqueue(
        workspace_id=account_import.workspace_id,
        task=account_import_check_task.name,
        args=[account_import.workspace_id, account_import.pk],
    )


def account_import_commit_enqueue(*, account_import: ImportJob, user_id: int | None) -> None:
    """Queue the commit of a previewed import once its transaction commits."""
    outbox_enqueue(
        workspace_id=account_import.workspace_id,
        task=account_import_commit_task.name,
        args=[account_import.workspace_id, account_import.pk, user_id],
    )
