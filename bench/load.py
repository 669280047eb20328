"""Benchmark of the pages signed-in users open while an integration posts usage batches.

Run from the project root against PostgreSQL (see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csos_bench python bench/load.py [--quick]

It serves the workspace ``bench`` (built as ``portfolio.py`` builds it) with gunicorn in the
production profile on 127.0.0.1, times each page alone (idle), then sends a bounded load: USERS
threads of signed-in CSMs and leaders cycling through the portfolio, account pages, coverage
and retention while one integration posts batches of usage records. It reports per page the
throughput and p50/p95 under load beside p50/p95 idle, and the usage rows sent against the rows
stored. The last line of output is one JSON object; everything before goes to stderr.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from harness import (
    ROOT,
    SEED,
    analyze,
    bench_workspace,
    database_prepare,
    log,
    percentiles,
)
from ingest import bench_token, free_port, peak_mb, request, server_start

# isort: split
# harness has configured Django: the project's modules can be imported now.
import orjson
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.demo import DemoOptions, demo_email
from accounts.models import Account
from csos.models import Workspace
from value.models import UsageMetric, UsageRecord

SLUG = "bench"
CSMS = 10
METRIC = "load-events"
BATCH = 1_000
BATCH_PAUSE_S = 0.5  # an integration syncing continuously, not flooding
PAGES = ("portfolio", "account", "coverage", "retention")


@dataclass(frozen=True)
class Size:
    accounts: int
    users: int
    seconds: float
    requests_per_user: int
    idle_requests: int


FULL = Size(accounts=20_000, users=15, seconds=60, requests_per_user=400, idle_requests=20)
QUICK = Size(accounts=2_000, users=6, seconds=20, requests_per_user=100, idle_requests=8)


def session_cookie(user) -> str:
    """A session signed in as ``user``, in the store the server reads."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@dataclass(frozen=True)
class Visitor:
    """A signed-in user and the pages they open, in turn."""

    cookie: str
    paths: dict[str, list[str]]

    def visits(self):
        """(page, path) forever: each page in turn, each time the next of its paths."""
        cycles = {page: itertools.cycle(paths) for page, paths in self.paths.items()}
        for page in itertools.cycle(self.paths):
            yield page, next(cycles[page])


def visitors(*, workspace: Workspace, options: DemoOptions, count: int) -> list[Visitor]:
    """``count`` users: CSMs opening their portfolio and their accounts' pages, and every
    third one the leader opening coverage and retention as well."""
    User = get_user_model()
    leader = User.objects.get(email=demo_email(options=options, local="leader"))
    result = []
    for n in range(count):
        csm = User.objects.get(email=demo_email(options=options, local=f"csm{1 + n % CSMS}"))
        accounts = Account.dangerously_unscoped.filter(workspace=workspace, owner=csm)
        account_paths = [
            reverse("account_detail", args=[pk])
            for pk in accounts.order_by("pk").values_list("pk", flat=True)[:50]
        ]
        if n % 3 == 2:
            result.append(
                Visitor(
                    cookie=session_cookie(leader),
                    paths={
                        "coverage": [reverse("value_coverage")],
                        "retention": [reverse("retention")],
                        "account": account_paths,
                    },
                )
            )
        else:
            result.append(
                Visitor(
                    cookie=session_cookie(csm),
                    paths={"portfolio": [reverse("portfolio")], "account": account_paths},
                )
            )
    return result


class Timings:
    """Seconds per page, and errors, collected from several threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seconds = defaultdict(list)
        self.errors = defaultdict(int)

    def add(self, page: str, seconds: float, status: int) -> None:
        with self.lock:
            if status == 200:
                self.seconds[page].append(seconds)
            else:
                self.errors[page] += 1


def get(port: int, path: str, cookie: str) -> tuple[float, int]:
    started = time.perf_counter()
    status, _ = request(port, "GET", path, b"", {"Cookie": cookie})
    return time.perf_counter() - started, status


def idle_run(*, port: int, visitors: list[Visitor], requests: int) -> Timings:
    """Each page alone, one request at a time, nothing else running."""
    timings = Timings()
    for page in PAGES:
        visitor = next(v for v in visitors if page in v.paths)
        paths = itertools.cycle(visitor.paths[page])
        get(port, next(paths), visitor.cookie)  # warm-up
        for _ in range(requests):
            timings.add(page, *get(port, next(paths), visitor.cookie))
    return timings


def browse(*, port: int, visitor: Visitor, timings: Timings, deadline: float, most: int) -> None:
    for page, path in itertools.islice(visitor.visits(), most):
        if time.monotonic() > deadline:
            return
        timings.add(page, *get(port, path, visitor.cookie))


def integrate(
    *, port: int, token: str, external_ids: list[str], stop: threading.Event, sent: list
) -> None:
    """Post usage batches until ``stop``: each record a new (account, day) of the metric; the
    records of batches answered 200 are counted in ``sent``."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    yesterday = timezone.localdate() - timedelta(days=1)
    for batch in itertools.count():
        if stop.is_set():
            return
        records = [
            {
                "account_external_id": external_ids[n % len(external_ids)],
                "metric": METRIC,
                "day": (yesterday - timedelta(days=n // len(external_ids))).isoformat(),
                "value": n % 97,
            }
            for n in range(batch * BATCH, (batch + 1) * BATCH)
        ]
        status, answer = request(
            port, "POST", "/api/v1/usage-records/bulk/", orjson.dumps({"records": records}), headers
        )
        if status == 200:
            sent.append(len(records))
        else:
            log(f"usage batch {batch} answered {status}: {answer[:200]!r}")
        stop.wait(BATCH_PAUSE_S)


def load_run(
    *, port: int, visitors: list[Visitor], size: Size, token: str, external_ids: list[str]
) -> tuple[Timings, float, int]:
    """Every visitor browsing at once while the integration posts; the timings, the seconds
    the load lasted and the usage rows the server accepted."""
    timings, sent, stop = Timings(), [], threading.Event()
    deadline = time.monotonic() + size.seconds
    integration = threading.Thread(
        target=integrate,
        kwargs={
            "port": port,
            "token": token,
            "external_ids": external_ids,
            "stop": stop,
            "sent": sent,
        },
    )
    users = [
        threading.Thread(
            target=browse,
            kwargs={
                "port": port,
                "visitor": visitor,
                "timings": timings,
                "deadline": deadline,
                "most": size.requests_per_user,
            },
        )
        for visitor in visitors
    ]
    started = time.perf_counter()
    integration.start()
    for user in users:
        user.start()
    for user in users:
        user.join()
    elapsed = time.perf_counter() - started
    stop.set()
    integration.join()
    return timings, elapsed, sum(sent)


def usage_metric_fresh(workspace: Workspace) -> UsageMetric:
    """The metric the integration posts, without the rows of an earlier run."""
    UsageRecord.dangerously_unscoped.filter(workspace=workspace, metric__key=METRIC).delete()
    metric, _ = UsageMetric.dangerously_unscoped.get_or_create(
        workspace=workspace, key=METRIC, defaults={"name": "Load events"}
    )
    return metric


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 accounts, 6 users, 20 s")
    size = QUICK if parser.parse_args().quick else FULL
    database_prepare()
    options = DemoOptions(
        today=timezone.localdate(),
        seed=SEED,
        accounts=size.accounts,
        csms=CSMS,
        slug=SLUG,
        name="Bench",
    )
    workspace, build_s = bench_workspace(options=options)
    metric = usage_metric_fresh(workspace)
    analyze()
    people = visitors(workspace=workspace, options=options, count=size.users)
    external_ids = list(
        Account.dangerously_unscoped.filter(workspace=workspace).values_list(
            "external_id", flat=True
        )
    )
    token = bench_token(workspace)
    log("Collecting static files for the production profile")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, check=True
    )
    port = free_port()
    server = server_start(port, workers=2, threads=4)
    try:
        log(f"Idle: {size.idle_requests} requests of each page, one at a time")
        idle = idle_run(port=port, visitors=people, requests=size.idle_requests)
        log(f"Load: {size.users} users for up to {size.seconds:.0f} s while usage is posted")
        loaded, elapsed, sent = load_run(
            port=port, visitors=people, size=size, token=token, external_ids=external_ids
        )
        memory = peak_mb(server)
    finally:
        server.terminate()
        server.wait(timeout=30)
    stored = UsageRecord.dangerously_unscoped.filter(workspace=workspace, metric=metric).count()
    pages = {}
    for page in PAGES:
        idle_p50, idle_p95 = percentiles(idle.seconds[page])
        load_p50, load_p95 = percentiles(loaded.seconds[page])
        pages[page] = {
            "idle_p50": idle_p50,
            "idle_p95": idle_p95,
            "load_p50": load_p50,
            "load_p95": load_p95,
            "load_requests": len(loaded.seconds[page]),
            "load_rps": round(len(loaded.seconds[page]) / elapsed, 2),
            "errors": idle.errors[page] + loaded.errors[page],
        }
        log(f"{page}: {pages[page]}")
    account = pages["account"]
    print(
        json.dumps(
            {
                "bench": "load",
                "unit": "ms",
                "ours": account["load_p95"],
                "anchor": account["idle_p95"],
                "ratio": round(account["load_p95"] / account["idle_p95"], 2),
                "peak_mb": memory,
                "size": size.accounts,
                "users": size.users,
                "seconds": round(elapsed, 1),
                "rps": round(sum(len(s) for s in loaded.seconds.values()) / elapsed, 2),
                "pages": pages,
                "usage_rows_sent": sent,
                "usage_rows_stored": stored,
                "demo_build_s": None if build_s is None else round(build_s, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
