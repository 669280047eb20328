"""Background jobs of customer accounts: checking and committing CSV imports. Recovering and
purging them is the core's, as for every kind of import (``csos.tasks``)."""

from celery import shared_task
from django.contrib.auth import get_user_model

from accounts import imports
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
