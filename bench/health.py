"""Benchmark of the weekly health recompute, through Celery, against bare SQL plus pandas.

Run from the project root against PostgreSQL and Redis (see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csos_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 python bench/health.py [--quick]

Ours and the anchor run at the same parallelism: one Celery worker against one process, then
one worker per core against as many processes. The last line of output is one JSON object;
everything before it goes to stderr.
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
import functools
import multiprocessing
import random
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import psycopg
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.demo import DEMO_STEPS, EXTERNAL_ID_PREFIX, DemoOptions, demo_workspace_build
from accounts.models import Account
from csos.celery import app as celery_app
from csos.models import Workspace
from health import loader, weighting
from health.loader import (
    ACTIVE_USERS_METRIC,
    DEPARTURE_WINDOW_DAYS,
    SURVEY_WINDOW_DAYS,
    USAGE_WINDOW_DAYS,
)
from health.models import (
    SURVEY_RANGE,
    HealthRecompute,
    HealthSnapshot,
    RecomputeStatus,
    SupportTicket,
)
from health.services import iso_week
from health.tasks import health_recompute_task

METRICS = 10
DAYS = 90
USE_CASES = 5
CSMS = 10
FULL = (5_000, 20_000)
QUICK = (1_000, 2_500)
DONE_TIMEOUT = 60 * 30
WORKER_BOOT_TIMEOUT = 120


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


def _replace(model_label: str, workspace: Workspace, rows: list) -> int:
    model = apps.get_model(model_label)
    model.dangerously_unscoped.filter(workspace=workspace).delete()
    model.dangerously_unscoped.bulk_create(rows, batch_size=5_000)
    return len(rows)


def signals_load(*, workspace: Workspace, today: dt.date) -> dict[str, int]:
    """Every source the score reads, replacing what an earlier run loaded: usage
    (``usage_load``), pursued use cases and their ladder levels, evidence, stakeholders with
    departures, support tickets, survey answers and interactions, at the volumes of a working
    book. Returns the rows of each source."""
    counts = {"usage": usage_load(workspace=workspace, today=today)}
    rng = random.Random(SEED)
    accounts = list(
        Account.dangerously_unscoped.filter(workspace=workspace).values_list("pk", flat=True)
    )
    day = functools.partial(_days_ago, today, rng)
    use_case_model = apps.get_model("framework.UseCase")
    use_cases = [
        use_case_model.dangerously_unscoped.get_or_create(
            workspace=workspace, name=f"Bench use case {n}", defaults={"outcome": "Faster triage"}
        )[0]
        for n in range(USE_CASES)
    ]
    pursuit = apps.get_model("value.AccountUseCase")
    counts["pursuits"] = _replace(
        "value.AccountUseCase",
        workspace,
        [
            pursuit(
                workspace=workspace,
                account_id=account_id,
                use_case=use_case,
                level=rng.choice((0, 1, 1, 2, 2, 3, 4)),
            )
            for account_id in accounts
            for use_case in rng.sample(use_cases, 2)
        ],
    )
    evidence = apps.get_model("value.Evidence")
    counts["evidence"] = _replace(
        "value.Evidence",
        workspace,
        [
            evidence(
                workspace=workspace,
                account_id=account_id,
                use_case=rng.choice(use_cases),
                level=rng.choice((3, 4)),
                claim="Triage time halved",
                source="usage",
                status=rng.choice(("proven", "proven", "unproven", "disputed")),
                confirmed_on=day(400),
            )
            for account_id in accounts
            for _ in range(rng.randrange(4))
        ],
    )
    stakeholder = apps.get_model("stakeholders.Stakeholder")
    roles = ("owner", "champion", "producer", "enabler", "producer", "producer")
    counts["stakeholders"] = _replace(
        "stakeholders.Stakeholder",
        workspace,
        [
            stakeholder(
                workspace=workspace,
                account_id=account_id,
                name=f"Person {account_id}-{n}",
                role=roles[n],
                sentiment=rng.choice(("positive", "neutral", "negative", "")),
                status="left" if left else "active",
                left_on=day(180) if left else None,
                added_on=today - dt.timedelta(days=400),
            )
            for account_id in accounts
            for n in range(rng.randint(3, len(roles)))
            for left in [rng.random() < 0.15]
        ],
    )
    counts["tickets"] = _replace(
        "health.SupportTicket",
        workspace,
        [
            SupportTicket(
                workspace=workspace,
                account_id=account_id,
                external_id=f"B-{account_id}-{n}",
                subject="Bench ticket",
                priority=rng.choice(("p1", "p2", "p3", "p3", "p4", "p4")),
                status=rng.choice(("open", "pending", "solved", "closed", "closed")),
                opened_on=day(180),
            )
            for account_id in accounts
            for n in range(rng.randrange(12))
        ],
    )
    survey = apps.get_model("health.SurveyResponse")
    counts["surveys"] = _replace(
        "health.SurveyResponse",
        workspace,
        [
            survey(
                workspace=workspace,
                account_id=account_id,
                kind=kind,
                score=rng.randint(*SURVEY_RANGE[kind]),
                answered_on=day(365),
                external_id=f"S-{account_id}-{n}",
            )
            for account_id in accounts
            for n in range(rng.randrange(6))
            for kind in [rng.choice(list(SURVEY_RANGE))]
        ],
    )
    interaction = apps.get_model("stakeholders.Interaction")
    counts["interactions"] = _replace(
        "stakeholders.Interaction",
        workspace,
        [
            interaction(
                workspace=workspace,
                account_id=account_id,
                kind=rng.choice(("meeting", "call", "email", "business_review", "note")),
                occurred_on=day(365),
                title="Bench check-in",
            )
            for account_id in accounts
            for _ in range(rng.randrange(16))
        ],
    )
    return counts


def _days_ago(today: dt.date, rng: random.Random, most: int) -> dt.date:
    return today - dt.timedelta(days=rng.randrange(most))


# The floor: each source the score reads aggregated per account by one bare SQL query over a
# range of account ids, as the recompute's chunks read them, then joined and scored in pandas.
ANCHOR_SOURCES = {
    "accounts": """
        SELECT id, licensed_seats FROM accounts_account
        WHERE workspace_id = %(workspace)s AND id BETWEEN %(first)s AND %(last)s
          AND status = 'active'""",
    "usage": """
        SELECT r.account_id,
               max(r.value) FILTER (WHERE r.day > %(window)s) AS active_users,
               max(r.value) FILTER (WHERE r.day <= %(window)s) AS active_users_prior
        FROM value_usagerecord r JOIN value_usagemetric m ON m.id = r.metric_id
        WHERE r.workspace_id = %(workspace)s AND r.account_id BETWEEN %(first)s AND %(last)s
          AND m.key = %(active)s AND r.day > %(prior)s AND r.day <= %(today)s
        GROUP BY r.account_id""",
    "ladder": """
        SELECT account_id, max(level) AS ladder_level FROM value_accountusecase
        WHERE workspace_id = %(workspace)s AND account_id BETWEEN %(first)s AND %(last)s
        GROUP BY account_id""",
    "evidence": """
        SELECT account_id, count(*) AS proven_evidence,
               %(today)s - max(confirmed_on) AS days_since_proof
        FROM value_evidence
        WHERE workspace_id = %(workspace)s AND account_id BETWEEN %(first)s AND %(last)s
          AND status = 'proven' AND (confirmed_on IS NULL OR confirmed_on <= %(today)s)
        GROUP BY account_id""",
    "stakeholders": """
        SELECT account_id,
               count(*) FILTER (WHERE status = 'active' AND added_on <= %(today)s
                                AND role = 'owner') AS owners_active,
               count(*) FILTER (WHERE status = 'active' AND added_on <= %(today)s
                                AND role = 'champion') AS champions_active,
               count(*) FILTER (WHERE role IN ('owner', 'champion') AND left_on > %(departed)s
                                AND left_on <= %(today)s) AS key_departures,
               avg(CASE sentiment WHEN 'positive' THEN 10.0 WHEN 'neutral' THEN 5.0
                                  WHEN 'negative' THEN 0.0 END)
                   FILTER (WHERE status = 'active' AND added_on <= %(today)s)
                   AS stakeholder_sentiment
        FROM stakeholders_stakeholder
        WHERE workspace_id = %(workspace)s AND account_id BETWEEN %(first)s AND %(last)s
        GROUP BY account_id""",
    "tickets": """
        SELECT account_id,
               count(*) FILTER (WHERE priority = 'p1') AS open_p1,
               count(*) FILTER (WHERE priority = 'p2') AS open_p2,
               count(*) FILTER (WHERE priority = 'p3') AS open_p3,
               count(*) FILTER (WHERE priority = 'p4') AS open_p4
        FROM health_supportticket
        WHERE workspace_id = %(workspace)s AND account_id BETWEEN %(first)s AND %(last)s
          AND status IN ('open', 'pending') AND opened_on <= %(today)s
        GROUP BY account_id""",
    "surveys": """
        SELECT account_id,
               avg(CASE kind WHEN 'nps' THEN (score - %(nps_low)s) * 10.0 / %(nps_span)s
                             ELSE (score - %(csat_low)s) * 10.0 / %(csat_span)s END)
                   AS survey_score,
               count(*) AS survey_count
        FROM health_surveyresponse
        WHERE workspace_id = %(workspace)s AND account_id BETWEEN %(first)s AND %(last)s
          AND answered_on > %(surveyed)s AND answered_on <= %(today)s
        GROUP BY account_id""",
    "interactions": """
        SELECT account_id, %(today)s - max(occurred_on) AS days_since_interaction
        FROM stakeholders_interaction
        WHERE workspace_id = %(workspace)s AND account_id BETWEEN %(first)s AND %(last)s
          AND kind IN ('meeting', 'call', 'email', 'business_review')
          AND occurred_on <= %(today)s
        GROUP BY account_id""",
}


def anchor_connect() -> psycopg.Connection:
    database = settings.DATABASES["default"]
    return psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        host=database["HOST"] or None,
        port=database["PORT"] or None,
    )


def anchor_part(workspace_id: int, first_id: int, last_id: int, today: dt.date) -> int:
    """Score the active accounts with ids in [first_id, last_id] from bare SQL on a connection
    of its own; returns the accounts scored."""
    window = today - dt.timedelta(days=USAGE_WINDOW_DAYS)
    parameters = {
        "workspace": workspace_id,
        "first": first_id,
        "last": last_id,
        "today": today,
        "window": window,
        "prior": window - dt.timedelta(days=USAGE_WINDOW_DAYS),
        "active": ACTIVE_USERS_METRIC,
        "departed": today - dt.timedelta(days=DEPARTURE_WINDOW_DAYS),
        "surveyed": today - dt.timedelta(days=SURVEY_WINDOW_DAYS),
        **{
            f"{kind.value}_{key}": value
            for kind, (low, high) in SURVEY_RANGE.items()
            for key, value in (("low", low), ("span", high - low))
        },
    }
    frames = []
    with anchor_connect() as conn:
        for sql in ANCHOR_SOURCES.values():
            cursor = conn.execute(sql, parameters)
            columns = ["account_id", *(column.name for column in cursor.description[1:])]
            frames.append(pd.DataFrame(cursor.fetchall(), columns=columns).set_index("account_id"))
    frame = frames[0].join(frames[1:], how="left")
    counts = [column for column in loader.COUNT_COLUMNS if column in frame]
    frame[counts] = frame[counts].fillna(0)
    frame = frame.astype(float)
    weighting.score(frame, weighting.DEFAULT_MODEL)
    return len(frame)


def id_ranges(workspace: Workspace, parts: int) -> list[tuple[int, int]]:
    """The workspace's account ids cut into ``parts`` ranges of as many accounts each."""
    ids = sorted(
        Account.dangerously_unscoped.filter(workspace=workspace).values_list("pk", flat=True)
    )
    step = -(-len(ids) // parts)
    chunks = [ids[n * step : (n + 1) * step] for n in range(parts)]
    return [(chunk[0], chunk[-1]) for chunk in chunks if chunk]


def anchor_run(*, workspace: Workspace, today: dt.date, processes: int) -> tuple[float, int]:
    """Seconds of the floor on ``processes`` processes, each scoring a range of the accounts;
    the processes are started (forked) before the clock does."""
    ranges = id_ranges(workspace, processes)
    connection.close()  # forked processes must not share this process's connection
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(int, range(processes)))  # every process started
        started = time.perf_counter()
        scored = pool.map(
            anchor_part,
            *zip(*((workspace.pk, first, last, today) for first, last in ranges), strict=True),
        )
        scored = sum(scored)
        return time.perf_counter() - started, scored


def workers_start(count: int) -> list[subprocess.Popen]:
    """``count`` Celery workers on the bench's queue, answering pings: the clock starts on
    workers ready to work, not on their boot."""
    celery = Path(sys.executable).parent / "celery"
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    names = [f"bench{n}-{queue}@localhost" for n in range(count)]
    workers = [
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
                name,
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=os.environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name in names
    ]
    deadline = time.monotonic() + WORKER_BOOT_TIMEOUT
    while len(celery_app.control.ping(destination=names, timeout=1)) < count:
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            sys.exit("the Celery workers did not start")
    return workers


def worker_peak_mb(worker: subprocess.Popen) -> float:
    status = Path(f"/proc/{worker.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def ours_run(*, workspace: Workspace, workers: list[subprocess.Popen], today: dt.date) -> float:
    """From sending the recompute to the last chunk written, through the Celery workers. The
    week's snapshots of an earlier run are deleted first, so every run writes them anew."""
    HealthSnapshot.dangerously_unscoped.filter(workspace=workspace, week=iso_week(today)).delete()
    recomputes = HealthRecompute.dangerously_unscoped.filter(workspace=workspace)
    # The recompute sent is the first one after the latest so far: one read of one row says
    # whether it exists and has finished.
    earlier = recomputes.order_by("-pk").values_list("pk", flat=True).first() or 0
    started = time.perf_counter()
    health_recompute_task.delay(workspace.pk)
    deadline = time.monotonic() + DONE_TIMEOUT
    while True:
        sent = recomputes.filter(pk__gt=earlier).order_by("pk").first()
        if sent is not None and sent.is_finished:
            if sent.status != RecomputeStatus.DONE:
                sys.exit(f"the recompute ended {sent.status}")
            return time.perf_counter() - started
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            sys.exit("the recompute did not finish")
        time.sleep(0.05)


def parallel_run(
    *, workspace: Workspace, today: dt.date, parallelism: int
) -> tuple[float, float, int, float]:
    """Ours on ``parallelism`` Celery workers and the anchor on as many processes: seconds of
    each, accounts the anchor scored, and the workers' peak memory."""
    anchor_s, scored = anchor_run(workspace=workspace, today=today, processes=parallelism)
    workers = workers_start(parallelism)
    try:
        log(f"Recomputing on {parallelism} worker(s)")
        ours_s = ours_run(workspace=workspace, workers=workers, today=today)
        worker_mb = sum(worker_peak_mb(w) for w in workers)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait()
    return ours_s, anchor_s, scored, worker_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 2,500 accounts")
    sizes = QUICK if parser.parse_args().quick else FULL
    if celery_app.conf.task_always_eager:
        sys.exit("bench/health.py measures Celery workers: set REDIS_URL.")
    database_prepare()
    today = timezone.localdate()
    cores = os.cpu_count() or 1
    results = {}
    worker_mb = 0.0
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
        log(f"Loading every source the score reads for {size:,} accounts")
        rows = signals_load(workspace=workspace, today=today)
        analyze()
        result = {"rows": rows, "week": str(iso_week(today))}
        for parallelism in sorted({1, cores}):
            ours_s, anchor_s, scored, mb = parallel_run(
                workspace=workspace, today=today, parallelism=parallelism
            )
            worker_mb = max(worker_mb, mb)
            result[f"x{parallelism}"] = {
                "ours_s": round(ours_s, 2),
                "anchor_s": round(anchor_s, 2),
                "ratio": round(ours_s / anchor_s, 2),
            }
        results[size] = {
            **result,
            "accounts_scored": scored,
            "demo_build_s": None if build_s is None else round(build_s, 1),
        }
        log(f"{size:,}: {results[size]}")
    small, large = sizes
    widest = f"x{cores}"
    print(
        json.dumps(
            {
                "bench": "health",
                "unit": "s",
                "ours": results[large][widest]["ours_s"],
                "anchor": results[large][widest]["anchor_s"],
                "ratio": results[large][widest]["ratio"],
                "peak_mb": round(peak_mb() + worker_mb, 1),
                "size": large,
                "parallelism": cores,
                "sizes": results,
                "growth": round(
                    results[large][widest]["ours_s"] / results[small][widest]["ours_s"], 2
                ),
                "size_ratio": large / small,
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
