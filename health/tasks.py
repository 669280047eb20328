"""Background jobs of the health engine: the weekly recompute, split into parallel chunks, and
the backtest of every model, computed after each recompute and on publish.

Each chunk task is idempotent (it upserts the week's snapshots of its account range and records
its number in the recompute), acknowledged late and requeued when its worker dies, so a re-run
after a crash completes without duplicating anything. The last chunk to finish marks the
recompute done; no chord callback is needed, so no result backend either. A worker killed
outright leaves its chunks in Redis until the visibility timeout; the frequent sweep sends them
again long before (``health.recovery``).
"""

import datetime as dt

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone

from csos.models import Workspace
from csos.outbox import outbox_enqueue
from csos.tenancy import workspace_task
from health import backtests, recovery, services, surveys
from health.models import HealthRecompute, HealthRecomputeChunk, RecomputeStatus

CHUNK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 3,
}


@shared_task(**CHUNK_OPTIONS)
@workspace_task
def health_recompute_chunk_task(
    workspace_id: int, recompute_id: int, chunk: int, first_id: int, last_id: int, as_of: str
) -> None:
    recompute = HealthRecompute.objects.get(pk=recompute_id)
    services.health_recompute_chunk(
        recompute=recompute,
        chunk=chunk,
        first_id=first_id,
        last_id=last_id,
        as_of=dt.date.fromisoformat(as_of),
    )


def health_recompute_enqueue(*, chunks: list[HealthRecomputeChunk]) -> None:
    """Queue ``chunks`` for the workers, in parallel, through the outbox: they are sent when
    the transaction that recorded them commits, or by the outbox sweep if the broker is down."""
    for chunk in chunks:
        outbox_enqueue(
            workspace_id=chunk.workspace_id,
            task=health_recompute_chunk_task.name,
            args=[
                chunk.workspace_id,
                chunk.recompute_id,
                chunk.number,
                chunk.first_account_id,
                chunk.last_account_id,
                chunk.as_of.isoformat(),
            ],
        )


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def health_recompute_task(workspace_id: int, week: str | None = None) -> None:
    """Recompute a workspace's week (this week unless given), fanned out in chunks."""
    day = dt.date.fromisoformat(week) if week else timezone.localdate()
    with transaction.atomic():
        _recompute, chunks = services.health_recompute_start(
            workspace=Workspace.objects.get(pk=workspace_id), week=day, by=None
        )
        health_recompute_enqueue(chunks=chunks)


@shared_task
def health_recompute_all_task() -> None:
    """The weekly recompute, one task per workspace."""
    for workspace_id in Workspace.objects.values_list("pk", flat=True):
        health_recompute_task.delay(workspace_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def health_recompute_recover_task(workspace_id: int) -> None:
    health_recompute_enqueue(chunks=recovery.health_recompute_recover())


@shared_task
def health_recompute_recover_all_task() -> None:
    """The frequent sweep, sent only to the workspaces with a recompute running."""
    running = HealthRecompute.dangerously_unscoped.filter(status=RecomputeStatus.RUNNING)
    for workspace_id in running.order_by().values_list("workspace_id", flat=True).distinct():
        health_recompute_recover_task.delay(workspace_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def backtest_compute_task(workspace_id: int, today: str) -> None:
    """Compute and store the backtests of the week ``today`` falls in; idempotent."""
    backtests.backtest_compute(
        workspace=Workspace.objects.get(pk=workspace_id), today=dt.date.fromisoformat(today)
    )


@transaction.atomic
def backtest_enqueue(*, workspace: Workspace, today: dt.date) -> None:
    """Record the request of this week's backtests and send their computation on commit."""
    backtests.backtest_request(workspace=workspace, today=today)
    outbox_enqueue(
        workspace_id=workspace.pk,
        task=backtest_compute_task.name,
        args=[workspace.pk, today.isoformat()],
    )


def on_snapshots_recomputed(sender, *, workspace, week, **kwargs) -> None:
    """Subscribed to ``snapshots_recomputed``: the scores behind past renewals may have
    moved, so this week's backtests are computed again."""
    backtest_compute_task.delay(workspace.pk, timezone.localdate().isoformat())


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
@workspace_task
def survey_reminders_send_task(workspace_id: int) -> None:
    """Remind, once, the stakeholders who have not answered a survey; idempotent."""
    surveys.survey_reminders_send()


@shared_task
def survey_reminders_send_all_task() -> None:
    """The daily survey reminders, one task per workspace."""
    for workspace_id in Workspace.objects.values_list("pk", flat=True):
        survey_reminders_send_task.delay(workspace_id)
