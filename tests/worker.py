"""A real Celery worker for tests marked ``worker``: a subprocess on Redis and the test database.

Use the ``celery_worker`` fixture from a test (import it into the test module), or
``celery_queue`` with ``running_worker`` to start and kill workers yourself. The test's data is
committed (``transactional_db``) so that the worker, another process, can read it; the worker
consumes a queue of its own so that it never takes tasks of a concurrent test run.
"""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from csos.celery import app as celery_app
from tests.conftest import redis_available

READY_TIMEOUT = 90  # seconds for the worker to answer a ping; a loaded CI machine is slow to fork


def worker_database_url() -> str:
    """DATABASE_URL pointing at the test database this session created, not the real one."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def _wait_until_ready(worker: subprocess.Popen, hostname: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the Celery worker exited ({worker.returncode}):\n{log.read_text()}")
        if celery_app.control.ping(destination=[hostname], timeout=1):
            return
    pytest.fail(f"the Celery worker did not answer in {READY_TIMEOUT}s:\n{log.read_text()}")


@contextlib.contextmanager
def running_worker(queue: str, *, pool: str = "solo") -> Iterator[subprocess.Popen]:
    """A worker process consuming ``queue``, stopped on exit unless the test killed it.

    The ``solo`` pool runs tasks in the worker process itself; ``prefork`` runs them in one
    child process (``pool_children``) that the test can kill while the worker survives. The
    worker's ``log_path`` holds its log until the context exits."""
    hostname = f"{queue}-{uuid.uuid4().hex[:6]}@localhost"
    celery = Path(sys.executable).parent / "celery"
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "CELERY_QUEUE": queue}
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "worker.log"
        with log.open("w") as output:
            worker = subprocess.Popen(
                [
                    str(celery),
                    "-A",
                    "csos",
                    "worker",
                    f"--pool={pool}",
                    "--concurrency=1",
                    "-Q",
                    queue,
                    "-n",
                    hostname,
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=INFO",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        worker.log_path = log
        try:
            _wait_until_ready(worker, hostname, log)
            yield worker
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def pool_children(worker: subprocess.Popen) -> list[int]:
    """Process ids of a prefork worker's pool children."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    return [int(pid) for pid in children.read_text().split()]


@pytest.fixture
def celery_queue(transactional_db):
    """A queue of this test's own, where its tasks go instead of running eagerly."""
    if not redis_available():
        pytest.skip("needs Redis at REDIS_URL")
    queue = f"csos-test-{uuid.uuid4().hex[:12]}"
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_default_queue
    conf.task_always_eager, conf.task_default_queue = False, queue
    try:
        yield queue
    finally:
        conf.task_always_eager, conf.task_default_queue = saved


@pytest.fixture
def celery_worker(celery_queue):
    """Start a worker on a queue of its own and send this test's tasks there, not eagerly."""
    with running_worker(celery_queue) as worker:
        yield worker
