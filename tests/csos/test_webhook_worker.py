"""Webhook deliveries on a real Celery worker on Redis: the worker process killed (SIGKILL) in
the middle of a batch loses no event; the sweep sends each again with its own webhook-id."""

import collections
import os
import signal
import time

import pytest
from django.db import transaction

from csos.events import publish_many
from csos.models import DeliveryStatus, WebhookDelivery
from csos.tasks import webhook_deliveries_sweep_task
from csos.tenancy import workspace_scope
from csos.webhooks.services import endpoint_create
from tests.csos.receiver import loopback_receiver
from tests.worker import celery_queue, pool_children, running_worker  # noqa: F401  (fixture)

pytestmark = pytest.mark.worker

EVENTS = 12
TIMEOUT = 60  # seconds


def account_body(n: int) -> dict:
    return {
        "account": {
            "id": n,
            "name": f"Account {n}",
            "external_id": f"CRM-{n}",
            "segment": "scale",
            "owner_id": None,
            "owner_email": None,
            "band": None,
            "url": f"https://csos.example.com/accounts/{n}/",
        }
    }


def wait_until(condition, failure) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, failure()
        time.sleep(0.1)


def test_it_delivers_every_event_after_the_worker_is_killed_mid_batch(
    celery_queue,  # noqa: F811
    alpha,
    alice,
    settings,
    monkeypatch,
):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")  # for the worker
    with loopback_receiver() as receiver, running_worker(celery_queue, pool="prefork") as worker:
        receiver.delay = 0.2  # posts are in flight when the worker dies
        with workspace_scope(alpha), transaction.atomic():
            endpoint_create(
                workspace=alpha, by=alice, kind="webhook", name="CRM", url=receiver.url,
                event_types=["account.created"],
            )  # fmt: skip
            publish_many(
                workspace=alpha,
                event_type="account.created",
                bodies=[account_body(n) for n in range(1, EVENTS + 1)],
            )
        log = worker.log_path.read_text
        wait_until(lambda: len(receiver.received) >= 3, log)
        (child,) = pool_children(worker)
        os.kill(child, signal.SIGKILL)

        # The batch's outcomes died with it: every delivery is still pending.
        deliveries = WebhookDelivery.dangerously_unscoped.filter(workspace=alpha)
        assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
        receiver.delay = 0

        def swept_and_delivered() -> bool:
            webhook_deliveries_sweep_task()
            time.sleep(0.5)
            return not deliveries.exclude(status=DeliveryStatus.SUCCEEDED).exists()

        wait_until(swept_and_delivered, log)

    expected = {
        f"msg_{event_id.hex}" for event_id in deliveries.values_list("event__event_id", flat=True)
    }
    sent = collections.Counter(headers["webhook-id"] for headers, _ in receiver.received)
    assert set(sent) == expected and len(expected) == EVENTS
    assert max(sent.values()) == 2  # the posts of the killed batch went again, same webhook-id
