"""The outbox with real parts: a usage batch committed while the broker is down answers that it
was stored, and its ladder refresh runs on a real worker once the broker is back."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from csos.celery import app as celery_app
from csos.models import OutboxMessage
from csos.outbox import outbox_sweep
from tests.api.test_bulk_usage import URL, month_of, triage_pursuit  # noqa: F401  (fixture)
from tests.worker import (  # noqa: F401  (fixtures)
    celery_queue,
    redis_server,
    running_worker,
)

# Last in the run: kombu may keep a connection to this test's own Redis, stopped afterwards.
pytestmark = [pytest.mark.worker, pytest.mark.broker_swap]

TIMEOUT = 60  # seconds for the worker to refresh the ladder


@pytest.fixture
def broker_on(redis_server):  # noqa: F811
    """The app's broker on the test's own redis-server, which the test stops and starts."""
    conf = celery_app.conf
    saved = conf.broker_url
    conf.broker_url = redis_server.url
    celery_app._after_fork()
    try:
        yield redis_server
    finally:
        conf.broker_url = saved
        celery_app._after_fork()


def test_it_refreshes_the_ladder_of_a_batch_committed_while_the_broker_was_down(
    celery_queue,  # noqa: F811
    broker_on,
    api,
    triage_pursuit,  # noqa: F811
):
    broker_on.stop()
    response = api.post(URL, {"records": month_of("active_users", 12)})
    assert response.status_code == 200, response.content
    pending = OutboxMessage.dangerously_unscoped.get()
    assert (pending.sent_at, pending.attempts) == (None, 1)
    assert "ladder_refresh_task" in pending.task

    broker_on.start()
    with running_worker(celery_queue, redis_url=broker_on.url) as worker:
        assert outbox_sweep(now=timezone.now() + dt.timedelta(minutes=1)) == 1
        deadline = time.monotonic() + TIMEOUT
        triage_pursuit.refresh_from_db()
        while triage_pursuit.level != 1:
            assert time.monotonic() < deadline, worker.log_path.read_text()
            time.sleep(0.3)
            triage_pursuit.refresh_from_db()
    assert OutboxMessage.dangerously_unscoped.get().sent_at is not None
