"""Benchmark of webhook fan-out: CSOS's delivery code against bare signed HTTP posts.

Run from the project root against PostgreSQL (see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csos_bench python bench/webhooks.py [--quick]

10,000 events (1,000 with --quick) go to 3 signed-webhook endpoints on a loopback receiver.
Ours dispatches every event (one delivery row per endpoint) and delivers them in batches through
``csos.webhooks.delivery``; the anchor signs the same envelopes with ``standardwebhooks`` and
posts them with ``http.client`` over one kept-alive connection per process. Both run in the
same number of processes, in the same run, against the same receiver. The last line of output
is one JSON object; the rest goes to stderr.
"""

from __future__ import annotations

import os
import uuid

# The receiver listens on loopback, which CSOS refuses unless the operator allows it.
os.environ["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = "true"
# The outbox hands each delivery's task to the broker, as in production; no worker takes them
# here (the bench makes the attempts itself), so they go to a queue of their own, purged after.
os.environ.setdefault("CELERY_QUEUE", f"bench-webhooks-{uuid.uuid4().hex[:8]}")

from harness import database_prepare, log, peak_mb

# isort: split
# harness has configured Django: the project's modules can be imported now.
import argparse
import http.client
import json
import multiprocessing
import resource
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from celery import current_app
from django.db import connections
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from csos.events import DISPATCH_CHUNK, event_envelope, publish_many
from csos.models import (
    DeliveryStatus,
    DomainEvent,
    EndpointKind,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
)
from csos.tenancy import workspace_scope
from csos.webhooks import delivery, signing

EVENTS, QUICK_EVENTS = 10_000, 1_000
ENDPOINTS = 3
PROCESSES = 2
SLUG = "bench-webhooks"


def receive(port: multiprocessing.Value, received: multiprocessing.Value) -> None:
    """The loopback receiver: reads each post, counts it, answers 204."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps connections alive, as real receivers do

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            with received.get_lock():
                received.value += 1
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    port.value = server.server_address[1]
    server.serve_forever()


def workspace_reset() -> Workspace:
    workspace, _ = Workspace.objects.get_or_create(slug=SLUG, defaults={"name": "Webhooks bench"})
    WebhookEndpoint.dangerously_unscoped.filter(workspace=workspace).delete()
    DomainEvent.dangerously_unscoped.filter(workspace=workspace).delete()
    return workspace


def events_publish(workspace: Workspace, count: int) -> list[int]:
    bodies = [
        {
            "account": {
                "id": n,
                "name": f"Account {n}",
                "external_id": f"BENCH-{n}",
                "segment": "enterprise",
                "owner_id": None,
                "owner_email": None,
                "band": None,
                "url": f"https://csos.example/accounts/{n}/",
            }
        }
        for n in range(1, count + 1)
    ]
    with workspace_scope(workspace):
        events = publish_many(workspace=workspace, event_type="account.created", bodies=bodies)
    return [event.pk for event in events]


def _shares(items: list, parts: int) -> list[list]:
    return [items[n::parts] for n in range(parts)]


def _in_processes(target, shares: list[list]) -> float:
    """Run ``target(share)`` in one process per share; seconds until the last finishes."""
    connections.close_all()  # a forked child opens its own connection
    started = time.perf_counter()
    children = [multiprocessing.Process(target=target, args=(share,)) for share in shares]
    for child in children:
        child.start()
    for child in children:
        child.join()
        assert child.exitcode == 0, f"a bench process failed ({child.exitcode})"
    return time.perf_counter() - started


def ours_dispatch(event_ids: list[int]) -> None:
    """What dispatch tasks do: fan out the events, a task's chunk at a time."""
    for start in range(0, len(event_ids), DISPATCH_CHUNK):
        chunk = event_ids[start : start + DISPATCH_CHUNK]
        events = DomainEvent.objects.filter(pk__in=chunk).select_related("workspace")
        delivery.events_dispatch(events=list(events))


def ours_deliver() -> None:
    """What delivery tasks do: batches of each endpoint's due deliveries, until none is left
    that another process does not hold."""
    endpoint_ids = list(WebhookEndpoint.objects.values_list("pk", flat=True))
    while any([delivery.endpoint_deliver(endpoint_id=pk) for pk in endpoint_ids]):
        pass


def ours(event_ids: list[int]) -> None:
    """What workers do for their events: fan each out, then deliver the batches."""
    workspace = Workspace.objects.get(slug=SLUG)
    with workspace_scope(workspace):
        ours_dispatch(event_ids)
        ours_deliver()


def anchor(posts: list[tuple[str, str, str, dict]]) -> None:
    """Sign each envelope with the endpoint's secret and post it over one kept-alive
    connection: the fastest a bare poster goes."""
    parts = urlsplit(posts[0][0])
    client = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        for _url, secret, webhook_id, envelope in posts:
            body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
            now = timezone.now()
            headers = {
                "webhook-id": webhook_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": Webhook(secret).sign(
                    msg_id=webhook_id, timestamp=now, data=body
                ),
                "content-type": "application/json",
            }
            client.request("POST", parts.path, body=body, headers=headers)
            response = client.getresponse()
            response.read()
            assert 200 <= response.status < 300, response.status
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 events: a smoke run")
    args = parser.parse_args()
    count = QUICK_EVENTS if args.quick else EVENTS
    database_prepare()

    port, received = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0)
    receiver = multiprocessing.Process(target=receive, args=(port, received), daemon=True)
    receiver.start()
    while not port.value:
        time.sleep(0.01)
    url = f"http://127.0.0.1:{port.value}/hook"

    workspace = workspace_reset()
    endpoints = [
        WebhookEndpoint.dangerously_unscoped.create(
            workspace=workspace,
            kind=EndpointKind.WEBHOOK,
            name=f"Receiver {n}",
            url=url,
            event_types=["account.created"],
            secret=signing.secret_new(),
        )
        for n in range(ENDPOINTS)
    ]
    event_ids = events_publish(workspace, count)
    deliveries = count * ENDPOINTS
    log(f"{count:,} events to {ENDPOINTS} endpoints: {deliveries:,} deliveries each way")

    events = DomainEvent.dangerously_unscoped.filter(pk__in=event_ids).select_related("workspace")
    posts = [
        (endpoint.url, endpoint.secret, f"msg_{event.event_id.hex}", event_envelope(event))
        for event in events
        for endpoint in endpoints
    ]
    anchor_s = _in_processes(anchor, _shares(posts, PROCESSES))
    del posts
    log(f"anchor: {deliveries / anchor_s:,.0f} posts/s")
    ours_s = _in_processes(ours, _shares(event_ids, PROCESSES))
    log(f"ours: {deliveries / ours_s:,.0f} deliveries/s")

    succeeded = WebhookDelivery.dangerously_unscoped.filter(
        workspace=workspace, status=DeliveryStatus.SUCCEEDED
    ).count()
    assert succeeded == deliveries, (succeeded, deliveries)
    assert received.value == 2 * deliveries, (received.value, 2 * deliveries)
    receiver.terminate()
    workspace_reset()
    current_app.control.purge()

    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ours_rate, anchor_rate = deliveries / ours_s, deliveries / anchor_s
    print(
        json.dumps(
            {
                "bench": "webhooks",
                "unit": "deliveries/s",
                "ours": round(ours_rate, 1),
                "anchor": round(anchor_rate, 1),
                "ratio": round(ours_rate / anchor_rate, 3),
                "peak_mb": max(peak_mb(), round(children_mb, 1)),
                "size": count,
                "endpoints": ENDPOINTS,
                "processes": PROCESSES,
                "deliveries": deliveries,
            }
        )
    )


if __name__ == "__main__":
    main()
