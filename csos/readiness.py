"""Readiness: whether this instance can serve everything, part by part.

Liveness (``/healthz``) only says the process answers. Readiness (``/readyz``) asks the
database, Redis, and whether a Celery worker ran the heartbeat task recently: beat queues it
every WORKER_HEARTBEAT_SECONDS and a worker stores the time in the cache, so a fresh heartbeat
proves beat, the broker and a worker all work.
"""

import logging
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "worker-heartbeat"
# A heartbeat this many intervals old means no worker ran the last ones.
HEARTBEAT_MISSED_INTERVALS = 3
PROBE_TIMEOUT_SECONDS = 2


@dataclass(frozen=True, kw_only=True)
class PartState:
    ok: bool
    detail: str


def _unreachable(part: str, error: Exception) -> PartState:
    # The error names hosts and users: it goes to the log, not to whoever asks /readyz.
    logger.warning("Readiness: %s is unreachable: %s", part, error)
    return PartState(ok=False, detail="unreachable (see the log)")


def worker_heartbeat_record() -> None:
    """Store the time a worker ran the heartbeat task (seconds since the epoch)."""
    cache.set(HEARTBEAT_KEY, int(time.time()), timeout=None)


def _database() -> PartState:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return _unreachable("the database", error)
    return PartState(ok=True, detail="answers")


def _redis() -> PartState:
    if not settings.REDIS_URL:
        return PartState(ok=True, detail="not used (REDIS_URL is blank)")
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except redis.RedisError as error:
        return _unreachable("Redis", error)
    finally:
        client.close()
    return PartState(ok=True, detail="answers")


def _worker(*, now: float) -> PartState:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return PartState(ok=True, detail="not used (tasks run in the web process)")
    beat = settings.WORKER_HEARTBEAT_SECONDS
    last = cache.get(HEARTBEAT_KEY)
    if last is None:
        return PartState(ok=False, detail="no heartbeat recorded: is a worker (and beat) running?")
    age = int(now - last)
    if age > beat * HEARTBEAT_MISSED_INTERVALS:
        return PartState(
            ok=False, detail=f"last heartbeat {age}s ago; one is expected every {beat}s"
        )
    return PartState(ok=True, detail=f"last heartbeat {age}s ago")


def readiness_report() -> dict[str, PartState]:
    """Each part CSOS needs, and whether it works now."""
    return {"database": _database(), "redis": _redis(), "worker": _worker(now=time.time())}
