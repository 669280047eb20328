"""Benchmark of the weekly health recompute, through Celery, against bare SQL plus pandas.

Run from the project root against PostgreSQL and Redis (see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csos_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 python bench/health.py [--quick]

The last line of output is one JSON object; everything before it goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

os.environ.setdefault("CELERY_QUEUE", f"bench-health-{uuid.uuid4().hex[:8]}")

from harness import (
    ROOT,
    SEED,
    analyze,
    database_prepare,
    log,
    peak_mb,
)

# isort: split
# harness has configured Django: the project's modules can be imported now.
import datetime as dt
import random

import pandas as pd
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.demo import DEMO_STEPS, EXTERNAL_ID_PREFIX, DemoOptions, demo_workspace_build
from accounts.models import Account
from csos.celery import app as celery_app
from csos.models import Workspace
from health import scoring
from health.loader import ACTIVE_USERS_METRIC, USAGE_WINDOW_DAYS
from health.models import HealthRecompute, SupportTicket
from health.services import iso_week
from health.tasks import health_recompute_task

METRICS = 10
DAYS = 90
CSMS = 10
FULL = (5_000, 20_000)
QUICK = (1_000, 2_500)
DONE_TIMEOUT = 60 * 30


def usage_loaded(*, workspace: Workspace, today: dt.date) -> int | None:
    """The usage rows an earlier run loaded for the same day and accounts, None when it did not:
    the first and last day each hold a row per account and metric."""
    record_model = apps.get_model("value.UsageRecord")
    records = record_model.dangerously_unscoped.filter(workspace=workspace)
    expected = METRICS * Account.dangerously_unscoped.filter(workspace=workspace).count()
    for day in (today - dt.timedelta(days=DAYS), today - dt.timedelta(days=1)):
        if records.filter(day=day).count() != expected:
            return None
    if records.filter(day__lt=today - dt.timedelta(days=DAYS)).exists():
        return None
    return expected * DAYS


def usage_load(*, workspace: Workspace, today: dt.date) -> int:
    """METRICS metrics x DAYS days of usage per account, generated in SQL, replacing what an
    earlier run loaded unless it loaded the same (18M rows take minutes to write). Returns the
    usage rows."""
    loaded = usage_loaded(workspace=workspace, today=today)
    if loaded is not None:
        log(f"Reusing {loaded:,} usage rows loaded for {today}")
        return loaded
    metric_model = apps.get_model("value.UsageMetric")
    record_model = apps.get_model("value.UsageRecord")
    record_model.dangerously_unscoped.filter(workspace=workspace).delete()
    metric_model.dangerously_unscoped.filter(workspace=workspace).delete()
    keys = [ACTIVE_USERS_METRIC, *(f"metric_{n}" for n in range(1, METRICS))]
    metric_model.dangerously_unscoped.bulk_create(
        metric_model(workspace=workspace, key=key, name=key, aggregation="max") for key in keys
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {record_model._meta.db_table}
                (workspace_id, account_id, metric_id, day, value)
            SELECT a.workspace_id, a.id, m.id, d::date,
                   greatest(0, round(a.licensed_seats * (0.2 + 0.8 * ((a.id * 7919) %% 100) / 100.0)
                                     * (0.9 + 0.2 * random())))
            FROM accounts_account a
            JOIN value_usagemetric m ON m.workspace_id = a.workspace_id
            CROSS JOIN generate_series(%s::date - %s, %s::date - 1, interval '1 day') d
            WHERE a.workspace_id = %s
            """,
            [today, DAYS, today, workspace.pk],
        )
        return cursor.rowcount


def signals_load(*, workspace: Workspace, today: dt.date) -> int:
    """Usage (``usage_load``), stakeholders, tickets and evidence, replacing what an earlier run
    loaded. Returns the usage rows."""
    usage_rows = usage_load(workspace=workspace, today=today)
    rng = random.Random(SEED)
    accounts = list(
        Account.dangerously_unscoped.filter(workspace=workspace).values_list("pk", flat=True)
    )
    stakeholder = apps.get_model("stakeholders.Stakeholder")
    stakeholder.dangerously_unscoped.filter(workspace=workspace).delete()
    roles = ("owner", "champion", "producer", "enabler")
    stakeholder.dangerously_unscoped.bulk_create(
        [
            stakeholder(
                workspace=workspace,
                account_id=account_id,
                name=f"Person {account_id}-{n}",
                role=roles[n],
                sentiment=rng.choice(("positive", "neutral", "negative")),
                status="left" if left else "active",
                left_on=today - dt.timedelta(days=rng.randrange(120)) if left else None,
                added_on=today - dt.timedelta(days=400),
            )
            for account_id in accounts
            for n in range(3)
            for left in [rng.random() < 0.1]
        ],
        batch_size=5_000,
    )
    SupportTicket.dangerously_unscoped.filter(workspace=workspace).delete()
    SupportTicket.dangerously_unscoped.bulk_create(
        [
            SupportTicket(
                workspace=workspace,
                account_id=account_id,
                external_id=f"B-{account_id}-{n}",
                subject="Bench ticket",
                priority=rng.choice(("p1", "p2", "p3", "p4")),
                status=rng.choice(("open", "closed", "closed")),
                opened_on=today - dt.timedelta(days=rng.randrange(90)),
            )
            for account_id in accounts
            for n in range(rng.randrange(4))
        ],
        batch_size=5_000,
    )
    use_case_model = apps.get_model("value.UseCase")
    evidence_model = apps.get_model("value.Evidence")
    evidence_model.dangerously_unscoped.filter(workspace=workspace).delete()
    use_case, _ = use_case_model.dangerously_unscoped.get_or_create(
        workspace=workspace, name="Bench use case", defaults={"outcome": "Faster triage"}
    )
    evidence_model.dangerously_unscoped.bulk_create(
        [
            evidence_model(
                workspace=workspace,
                account_id=account_id,
                use_case=use_case,
                level=3,
                claim="Triage time halved",
                source="usage",
                status=rng.choice(("proven", "unproven")),
                confirmed_on=today - dt.timedelta(days=rng.randrange(300)),
            )
            for account_id in accounts
            for _ in range(rng.randrange(3))
        ],
        batch_size=5_000,
    )
    return usage_rows


ANCHOR_SQL = """
SELECT r.account_id,
       max(r.value) FILTER (WHERE m.key = %(active)s AND r.day > %(window)s) AS active_users,
       max(r.value) FILTER (WHERE m.key = %(active)s AND r.day <= %(window)s) AS active_users_prior,
       count(DISTINCT r.metric_id) AS metrics,
       sum(r.value) AS volume
FROM value_usagerecord r JOIN value_usagemetric m ON m.id = r.metric_id
WHERE r.workspace_id = %(workspace)s AND r.day > %(start)s AND r.day <= %(today)s
GROUP BY r.account_id
"""


def anchor_run(*, workspace: Workspace, today: dt.date) -> tuple[float, int]:
    """The bare floor: trailing usage aggregated in SQL, then the default model in pandas."""
    started = time.perf_counter()
    window = today - dt.timedelta(days=USAGE_WINDOW_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            ANCHOR_SQL,
            {
                "active": ACTIVE_USERS_METRIC,
                "window": window,
                "start": today - dt.timedelta(days=DAYS),
                "today": today,
                "workspace": workspace.pk,
            },
        )
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT id, licensed_seats FROM accounts_account WHERE workspace_id = %s",
            [workspace.pk],
        )
        seats = dict(cursor.fetchall())
    frame = pd.DataFrame(
        rows, columns=["account_id", "active_users", "active_users_prior", "metrics", "volume"]
    ).set_index("account_id")
    for column in scoring.INPUT_COLUMNS:
        if column not in frame:
            frame[column] = 0.0
    frame[scoring.LICENSED_SEATS] = pd.Series(seats)
    frame = frame.astype(float)
    scoring.score(frame, scoring.DEFAULT_MODEL)
    return time.perf_counter() - started, len(frame)


def workers_start(count: int) -> list[subprocess.Popen]:
    celery = Path(sys.executable).parent / "celery"
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    return [
        subprocess.Popen(
            [
                str(celery),
                "-A",
                "csos",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "-n",
                f"bench{n}-{queue}@localhost",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=os.environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(count)
    ]


def worker_peak_mb(worker: subprocess.Popen) -> float:
    status = Path(f"/proc/{worker.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def ours_run(*, workspace: Workspace, workers: list[subprocess.Popen]) -> float:
    """From sending the recompute to the last chunk written, through the Celery workers."""
    started = time.perf_counter()
    before = HealthRecompute.dangerously_unscoped.filter(workspace=workspace).count()
    health_recompute_task.delay(workspace.pk)
    deadline = time.monotonic() + DONE_TIMEOUT
    while True:
        recomputes = HealthRecompute.dangerously_unscoped.filter(workspace=workspace)
        latest = recomputes.order_by("-pk").first()
        if recomputes.count() > before and latest.is_finished:
            return time.perf_counter() - started
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            sys.exit("the recompute did not finish")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 2,500 accounts")
    sizes = QUICK if parser.parse_args().quick else FULL
    if celery_app.conf.task_always_eager:
        sys.exit("bench/health.py measures Celery workers: set REDIS_URL.")
    database_prepare()
    today = timezone.localdate()
    cores = os.cpu_count() or 1
    workers = workers_start(cores)
    results = {}
    try:
        for size in sizes:
            options = DemoOptions(
                today=today,
                seed=SEED,
                accounts=size,
                csms=CSMS,
                slug=f"bench-health-{size}",
                name=f"Bench Health {size}",
            )
            workspace, build_s = bench_workspace_accounts_only(options)
            log(f"Loading {METRICS} metrics x {DAYS} days of usage for {size:,} accounts")
            usage_rows = signals_load(workspace=workspace, today=today)
            analyze()
            anchor_s, scored = anchor_run(workspace=workspace, today=today)
            log(f"Recomputing {size:,} accounts on {cores} workers")
            ours_s = ours_run(workspace=workspace, workers=workers)
            results[size] = {
                "ours_s": round(ours_s, 2),
                "anchor_s": round(anchor_s, 2),
                "ratio": round(ours_s / anchor_s, 2),
                "usage_rows": usage_rows,
                "accounts_scored": scored,
                "week": str(iso_week(today)),
                "demo_build_s": None if build_s is None else round(build_s, 1),
                # Peaks only grow: after the larger size, this is the larger size's peak.
                "peak_mb_so_far": round(peak_mb() + sum(worker_peak_mb(w) for w in workers), 1),
            }
            log(f"{size:,}: {results[size]}")
        worker_mb = sum(worker_peak_mb(w) for w in workers)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait()
    small, large = sizes
    print(
        json.dumps(
            {
                "bench": "health",
                "unit": "s",
                "ours": results[large]["ours_s"],
                "anchor": results[large]["anchor_s"],
                "ratio": results[large]["ratio"],
                "peak_mb": round(peak_mb() + worker_mb, 1),
                "size": large,
                "sizes": results,
                "growth": round(results[large]["ours_s"] / results[small]["ours_s"], 2),
                "size_ratio": large / small,
                "workers": cores,
            }
        )
    )


def bench_workspace_accounts_only(options: DemoOptions):
    """The accounts of the workspace only: the other apps' demo steps would add their own
    usage and stakeholders on top of what this bench loads."""
    workspace = Workspace.objects.filter(slug=options.slug).first()
    if workspace is not None and (
        Account.dangerously_unscoped.filter(
            workspace=workspace, external_id__startswith=EXTERNAL_ID_PREFIX
        ).count()
        == options.accounts
    ):
        return workspace, None
    started = time.perf_counter()
    result = demo_workspace_build(options=options, steps=DEMO_STEPS)
    return result.workspace, time.perf_counter() - started


if __name__ == "__main__":
    main()
