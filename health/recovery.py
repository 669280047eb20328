"""Recovery of health recomputes whose worker died.

Every chunk of a recompute has a row recording its account range, the day it scores them on and
its last sign of life (sent or claimed by a worker). A worker killed outright (its main process,
not only a pool child) leaves its chunks unacknowledged in Redis until the broker's visibility
timeout, an hour away; the sweep does not wait for it. A chunk whose row lock is free (no
transaction is writing it), not done and silent for longer than HEALTH_CHUNK_STALE_SECONDS is
sent again; one claimed MAX_ATTEMPTS times without finishing fails its recompute rather than
take more workers down. A chunk sent twice writes the same rows once: its write holds the row
lock and skips a chunk already done.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from health.models import HealthRecompute, HealthRecomputeChunk, RecomputeStatus

MAX_ATTEMPTS = 3


def recompute_chunks_record(
    *, recompute: HealthRecompute, bounds: list[tuple[int, int]], as_of: dt.date
) -> list[HealthRecomputeChunk]:
    """The chunk rows of a recompute just started, one per account-id range."""
    now = timezone.now()
    return HealthRecomputeChunk.objects.bulk_create(
        HealthRecomputeChunk(
            workspace_id=recompute.workspace_id,
            recompute=recompute,
            number=number,
            first_account_id=first_id,
            last_account_id=last_id,
            as_of=as_of,
            heartbeat_at=now,
        )
        for number, (first_id, last_id) in enumerate(bounds)
    )


def recompute_chunk_claim(*, recompute_id: int, chunk: int) -> None:
    """A worker starts the chunk: its sign of life, committed before the write begins so that
    it survives the write's rollback when the worker dies. A delivery of a chunk done already
    claims nothing, so duplicates do not count as attempts."""
    HealthRecomputeChunk.objects.filter(recompute_id=recompute_id, number=chunk).exclude(
        recompute__chunks_done__contains=[chunk]
    ).update(heartbeat_at=timezone.now(), attempts=F("attempts") + 1)


def recompute_chunk_hold(*, recompute_id: int, chunk: int) -> bool:
    """Lock the chunk's row for the caller's transaction; False when the chunk is done already
    (another delivery wrote it while this one waited for the lock)."""
    locked = HealthRecomputeChunk.objects.select_for_update().filter(
        recompute_id=recompute_id, number=chunk
    )
    list(locked.values_list("pk", flat=True))
    done = HealthRecompute.objects.filter(pk=recompute_id).values_list("chunks_done", flat=True)
    return chunk not in (done.first() or [])


@transaction.atomic
def health_recompute_recover(*, now: dt.datetime | None = None) -> list[HealthRecomputeChunk]:
    """The scope's chunks to send to the workers again (see the module's docstring)."""
    now = now or timezone.now()
    running = {
        recompute.pk: recompute
        for recompute in HealthRecompute.objects.filter(status=RecomputeStatus.RUNNING)
    }
    silent = HealthRecomputeChunk.objects.select_for_update(skip_locked=True).filter(
        recompute_id__in=running,
        heartbeat_at__lt=now - dt.timedelta(seconds=settings.HEALTH_CHUNK_STALE_SECONDS),
    )
    lost = [
        chunk for chunk in silent if chunk.number not in running[chunk.recompute_id].chunks_done
    ]
    failed = {chunk.recompute_id for chunk in lost if chunk.attempts >= MAX_ATTEMPTS}
    HealthRecompute.objects.filter(pk__in=failed).update(
        status=RecomputeStatus.FAILED, finished_at=now
    )
    resend = [chunk for chunk in lost if chunk.recompute_id not in failed]
    HealthRecomputeChunk.objects.filter(pk__in=[chunk.pk for chunk in resend]).update(
        heartbeat_at=now
    )
    return resend
