"""Background jobs of playbooks: band triggers after each recompute, the others daily, and the
escalation of overdue tasks."""

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from csos.models import Workspace
from csos.tenancy import workspace_task
from playbooks import digests, services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def playbook_band_triggers_task(workspace_id: int, week: str) -> None:
    services.band_triggers_run(
        workspace=Workspace.objects.get(pk=workspace_id),
        week=dt.date.fromisoformat(week),
        today=timezone.localdate(),
    )


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def playbook_daily_triggers_task(workspace_id: int) -> None:
    services.daily_triggers_run(
        workspace=Workspace.objects.get(pk=workspace_id), today=timezone.localdate()
    )


@shared_task
def playbook_triggers_run_all_task() -> None:
    """The daily trigger run, one task per workspace."""
    for workspace_id in Workspace.objects.values_list("pk", flat=True):
        playbook_daily_triggers_task.delay(workspace_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def overdue_tasks_escalate_task(workspace_id: int) -> None:
    services.overdue_tasks_escalate(
        workspace=Workspace.objects.get(pk=workspace_id), today=timezone.localdate()
    )


@shared_task
def overdue_tasks_escalate_all_task() -> None:
    """The daily escalation of overdue tasks, one task per workspace."""
    for workspace_id in Workspace.objects.values_list("pk", flat=True):
        overdue_tasks_escalate_task.delay(workspace_id)


def on_snapshots_recomputed(sender, *, workspace, week, **kwargs) -> None:
    """Subscribed to health's ``snapshots_recomputed``: run the band triggers of that week."""
    playbook_band_triggers_task.delay(workspace.pk, week.isoformat())


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def digests_send_task(workspace_id: int) -> None:
    """The week's digests of one workspace; a re-run sends none twice."""
    digests.digests_send(
        workspace=Workspace.objects.get(pk=workspace_id), today=timezone.localdate()
    )


@shared_task
def digests_send_all_task() -> None:
    """Hourly: the weekly digests of each workspace where they are due in its own time zone,
    one task per workspace; a workspace already sent this week sends none again."""
    now = timezone.now()
    for workspace_id, time_zone in Workspace.objects.values_list("pk", "time_zone"):
        if digests.digest_due(time_zone=time_zone, now=now):
            digests_send_task.delay(workspace_id)
