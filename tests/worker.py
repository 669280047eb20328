"""A real Celery worker for tests marked ``worker``: a subprocess on Redis and the test database.

Use the ``celery_worker`` fixture from a test (import it into the test module), or
``celery_queue`` with ``running_worker`` to start and kill workers yourself. The test's data is
committed (``transactional_db``) so that the worker, another process, can read it; the worker
consumes a queue of its own so that it never takes tasks of a concurrent test run.

For Redis outages: ``redis_server`` is a redis-server of the test's own that it may stop and
start (``running_worker(..., redis_url=redis_server.url)`` puts a worker on it), and
``redis_down`` points the cache, sessions and broker at a port where nothing listens. Neither
touches the shared Redis at REDIS_URL.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from csos.celery import app as celery_app
from tests.conftest import redis_available

READY_TIMEOUT = 180  # seconds for the worker to answer a ping: a loaded machine starts slowly


def worker_database_url() -> str:
    """DATABASE_URL pointing at the test database this session created, not the real one."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def _wait_until_ready(worker: subprocess.Popen, hostname: str, log: Path, app: Celery) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the Celery worker exited ({worker.returncode}):\n{log.read_text()}")
        if app.control.ping(destination=[hostname], timeout=1):
            return
    pytest.fail(f"the Celery worker did not answer in {READY_TIMEOUT}s:\n{log.read_text()}")


@contextlib.contextmanager
def broker_client(redis_url: str) -> Iterator[Celery]:
    """A Celery client of the broker at ``redis_url``, to ping workers and send them tasks."""
    client = Celery("csos-test-client", broker=redis_url)
    try:
        yield client
    finally:
        client.close()


@contextlib.contextmanager
def running_worker(
    queue: str, *, pool: str = "solo", redis_url: str | None = None
) -> Iterator[subprocess.Popen]:
    """A worker process consuming ``queue``, stopped on exit unless the test killed it.

    The ``solo`` pool runs tasks in the worker process itself; ``prefork`` runs them in one
    child process (``pool_children``) that the test can kill while the worker survives. The
    worker's ``log_path`` holds its log until the context exits. ``redis_url`` points the
    worker's broker and cache at another Redis than REDIS_URL (see ``RedisServer``)."""
    hostname = f"{queue}-{uuid.uuid4().hex[:6]}@localhost"
    celery = Path(sys.executable).parent / "celery"
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "CELERY_QUEUE": queue}
    if redis_url:
        env["REDIS_URL"] = redis_url
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
            if redis_url:
                with broker_client(redis_url) as client:
                    _wait_until_ready(worker, hostname, log, client)
            else:
                _wait_until_ready(worker, hostname, log, celery_app)
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


def free_port() -> int:
    """A TCP port nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A throwaway redis-server of this test alone, on a free port, that the test may stop and
    start again; never the shared Redis at REDIS_URL, which other test runs use."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, *options: str) -> None:
        """Start redis-server with the given extra command-line ``options``."""
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", *options),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=1).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def redis_server():
    """A redis-server of this test's own, killed when the test ends."""
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server on the PATH")
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_down(settings):
    """The cache, the sessions in it and the Celery broker at a port where no Redis listens,
    with tasks queued (not run eagerly): Redis in an outage."""
    if "LOCATION" not in settings.CACHES["default"]:
        pytest.skip("needs REDIS_URL (the Redis cache)")
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = dead
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": dead}}
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = dead, False
    # Celery's own reset of its cached connection and producer pools, so they use the new URL.
    celery_app._after_fork()
    try:
        yield dead
    finally:
        conf.broker_url, conf.task_always_eager = saved
        celery_app._after_fork()
