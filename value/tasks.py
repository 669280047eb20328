"""Background jobs of the value ladder: re-deriving levels as usage arrives and as days pass."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from csos.models import Workspace
from csos.outbox import outbox_enqueue
from csos.tenancy import workspace_task
from value import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def ladder_refresh_task(workspace_id: int, account_ids: list[int] | None = None) -> None:
    """Recompute the stored levels of some accounts of the workspace (None: all of them)."""
    services.ladder_refresh(account_ids=account_ids)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def evidence_expiries_announce_task(workspace_id: int) -> None:
    """Announce the proven claims whose proof stopped counting as the days passed."""
    services.evidence_expiries_announce(
        workspace=Workspace.objects.get(pk=workspace_id), today=timezone.localdate()
    )


@shared_task
def ladder_refresh_all_task() -> None:
    """The daily refresh, one task per workspace: trailing usage windows move as days pass, and
    proofs grow stale."""
    for workspace_id in Workspace.objects.values_list("pk", flat=True):
        ladder_refresh_task.delay(workspace_id)
        evidence_expiries_announce_task.delay(workspace_id)


def ladder_refresh_on_commit(*, workspace_id: int, account_ids: list[int]) -> None:
    """Re-derive these accounts' levels once the transaction writing their usage commits; a
    batch rolled back queues nothing, and a broker down at the commit delays the refresh through
    the outbox. Until then their pages say the ladder is recomputing."""
    services.ladder_refresh_pending_mark(account_ids=account_ids)
    outbox_enqueue(
        workspace_id=workspace_id, task=ladder_refresh_task.name, args=[workspace_id, account_ids]
    )
