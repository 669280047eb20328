"""A real Celery worker outlives Redis restarts: it reconnects and runs the tasks sent after.

The Redis is the test's own (``redis_server``), never the shared one at REDIS_URL.
"""

import time

import pytest
import redis

from tests.worker import (  # noqa: F401  (fixtures)
    broker_client,
    celery_queue,
    free_port,
    redis_server,
    running_worker,
)

pytestmark = pytest.mark.worker

RESTARTS = 5
DOWNTIME_SECONDS = 1
READ_ONLY_SECONDS = 5
TIMEOUT = 60  # seconds for the worker to run a task sent after a restart


def heartbeat_keys(server) -> list[bytes]:
    return redis.Redis.from_url(server.url).keys("*worker-heartbeat")


def run_heartbeat(server, worker, queue: str) -> None:
    """Send the heartbeat task to ``queue`` and wait until the worker has stored its time."""
    for key in heartbeat_keys(server):
        redis.Redis.from_url(server.url).delete(key)
    with broker_client(server.url) as client:
        client.send_task("csos.tasks.worker_heartbeat_task", queue=queue)
    deadline = time.monotonic() + TIMEOUT
    while not heartbeat_keys(server):
        assert worker.poll() is None, f"the worker exited:\n{worker.log_path.read_text()}"
        assert time.monotonic() < deadline, (
            f"the worker ran no task in {TIMEOUT}s:\n{worker.log_path.read_text()}"
        )
        time.sleep(0.2)


def test_it_resumes_work_after_each_of_several_redis_restarts(celery_queue, redis_server):  # noqa: F811
    """One restart comes back read-only for a while, as a node does that restarts as a replica
    during a failover: the worker's writes get READONLY errors, which it must retry, not die of."""
    with running_worker(celery_queue, redis_url=redis_server.url) as worker:
        run_heartbeat(redis_server, worker, celery_queue)
        for restart in range(RESTARTS):
            redis_server.stop()
            time.sleep(DOWNTIME_SECONDS)
            if restart == RESTARTS // 2:
                redis_server.start("--replicaof", "127.0.0.1", str(free_port()))
                time.sleep(READ_ONLY_SECONDS)
                redis_server.stop()
            redis_server.start()
            run_heartbeat(redis_server, worker, celery_queue)
        assert worker.poll() is None
