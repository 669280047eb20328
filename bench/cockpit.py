"""Benchmark of the leader's cockpit against the bare SQL it needs and a minimal template, and
of the cockpit under ten concurrent users beside the cockpit alone.

Run from the project root against PostgreSQL (see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csos_bench python bench/cockpit.py [--quick]

The last line of output is one JSON object; everything before it goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta

from harness import (
    ROOT,
    SEED,
    WARMUP,
    analyze,
    bench_workspace,
    database_prepare,
    log,
    peak_mb,
    percentiles,
    steady_query_count,
)
from ingest import free_port, server_start
from load import get, session_cookie
from retention import anchor_query

# isort: split
# harness has configured Django: the project's modules can be imported now.
from django.contrib.auth import get_user_model
from django.db import connection
from django.template import Context, Engine
from django.test import Client
from django.utils import timezone

from accounts.demo import DemoOptions, demo_email
from accounts.models import Account, ArrMovement
from accounts.retention import trailing_year_start
from csos.models import Workspace
from health.models import HealthSnapshot
from health.scoring import iso_week
from playbooks.models import Task
from stakeholders.models import Interaction
from value.models import AccountUseCase, Evidence

SLUG = "bench"  # the portfolio bench's workspace: one build serves every bench
SMALL_SLUG = "bench-small"
CSMS = 10
WEEKS = 104
SMALL_WEEKS = 4
USERS = 10
PATH = "/leaders/"


@dataclass(frozen=True)
class Size:
    accounts: int
    iterations: int
    load_requests: int  # per user


FULL = Size(accounts=20_000, iterations=40, load_requests=10)
QUICK = Size(accounts=2_000, iterations=30, load_requests=6)


def snapshots_fill(workspace: Workspace, *, weeks: int, today: date) -> int:
    """Give every account a snapshot in each of the last ``weeks`` weeks, where it has none:
    one INSERT ... SELECT, deterministic totals, bands from the default thresholds, the ladder
    score varying by account and one week in 97 flagged as measurement theatre."""
    first = iso_week(today) - timedelta(weeks=weeks - 1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {HealthSnapshot._meta.db_table}
                (workspace_id, account_id, week, total, band, scores, drivers, proven_evidence,
                 model_name, model_version, change, theatre, computed_at)
            SELECT a.workspace_id, a.id, w.week, t.total,
                   CASE WHEN t.total > 75 THEN 'green' WHEN t.total >= 50 THEN 'yellow'
                        ELSE 'red' END,
                   jsonb_build_object('ladder', (a.id %% 5) * 2.5), '{{}}'::jsonb, 0,
                   'Default', 1, NULL,
                   CASE WHEN (a.id + w.n) %% 97 = 0 THEN 'engagement 3 → 9' ELSE '' END, now()
            FROM {Account._meta.db_table} a
            CROSS JOIN LATERAL (
                SELECT n, %s::date + n * 7 AS week FROM generate_series(0, %s - 1) n
            ) w
            CROSS JOIN LATERAL (SELECT 25 + ((a.id * 7919 + w.n * 104729) %% 70) AS total) t
            WHERE a.workspace_id = %s
            ON CONFLICT DO NOTHING
            """,
            [first, weeks, workspace.pk],
        )
        return cursor.rowcount


ANCHOR_TEMPLATE = """{% for name, rows in tables %}<section><h2>{{ name }}</h2><table><tbody>
{% for row in rows %}<tr>{% for cell in row %}<td>
<a href="?f={{ name }}&amp;r={{ forloop.parentloop.counter }}">{{ cell }}</a></td>
{% endfor %}</tr>{% endfor %}</tbody></table></section>{% endfor %}"""


def anchor_queries(*, workspace_id: int, today: date, latest: date) -> list[tuple[str, str, list]]:
    """The bare SQL of what the cockpit shows: coverage, bands per week with the ledger's ARR
    that week, renewals with band, level and risks, retention sums, theatre, load and the
    accounts below each top parent."""
    account = Account._meta.db_table
    movement = ArrMovement._meta.db_table
    snapshot = HealthSnapshot._meta.db_table
    signed = "CASE WHEN kind IN ('new', 'expansion', 'reactivation') THEN amount ELSE -amount END"
    counted = f"""NOT EXISTS (SELECT 1 FROM {movement} r WHERE r.reverses_id = m.id)
                  AND m.reverses_id IS NULL"""
    level = f"""COALESCE((SELECT MAX(level) FROM {AccountUseCase._meta.db_table} u
                WHERE u.account_id = a.id), 0)"""
    weeks = [latest - timedelta(weeks=back) for back in range(26)]
    quarter_start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    retention, retention_params = anchor_query(
        workspace_id=workspace_id,
        periods=[(quarter_start, today), (trailing_year_start(today), today)],
    )
    return [
        (
            "coverage",
            f"""SELECT a.segment, a.owner_id, a.currency, {level} AS level, COUNT(*), SUM(a.arr)
                FROM {account} a WHERE a.workspace_id = %s AND a.status = 'active'
                GROUP BY 1, 2, 3, 4""",
            [workspace_id],
        ),
        (
            "bands",
            f"""SELECT s.week, s.band, a.currency, COUNT(*),
                       SUM(COALESCE((SELECT SUM({signed}) FROM {movement} m
                                     WHERE m.account_id = s.account_id
                                       AND m.date < s.week + 7 AND {counted}), 0))
                FROM {snapshot} s JOIN {account} a ON a.id = s.account_id
                WHERE s.workspace_id = %s AND s.week = ANY(%s)
                GROUP BY 1, 2, 3""",
            [workspace_id, weeks],
        ),
        (
            "renewals",
            f"""SELECT date_trunc('quarter', a.renewal_date), x.band, a.currency, COUNT(*),
                       SUM(a.arr), COUNT(*) FILTER (WHERE x.level >= 3),
                       COUNT(*) FILTER (WHERE x.risks > 0 OR x.disputed > 0)
                FROM {account} a CROSS JOIN LATERAL (
                    SELECT (SELECT band FROM {snapshot} s WHERE s.account_id = a.id
                            ORDER BY s.week DESC LIMIT 1) AS band,
                           {level} AS level,
                           (SELECT COUNT(*) FROM {Task._meta.db_table} t
                            WHERE t.account_id = a.id AND t.status = 'open'
                              AND t.playbook IN ('save', 'outreach', 'remap', 'escalation'))
                               AS risks,
                           (SELECT COUNT(*) FROM {Evidence._meta.db_table} e
                            WHERE e.account_id = a.id AND e.status = 'disputed') AS disputed
                ) x
                WHERE a.workspace_id = %s AND a.status = 'active'
                  AND a.renewal_date BETWEEN %s AND %s
                GROUP BY 1, 2, 3""",
            [workspace_id, today, today + timedelta(days=120)],
        ),
        ("retention", retention, retention_params),
        (
            "theatre",
            f"""SELECT 'measurement', a.currency, COUNT(*), SUM(a.arr)
                FROM {account} a JOIN {snapshot} s ON s.account_id = a.id AND s.week = %s
                WHERE a.workspace_id = %s AND a.status = 'active' AND s.theatre <> ''
                GROUP BY 1, 2
                UNION ALL
                SELECT 'relationship', a.currency, COUNT(*), SUM(a.arr)
                FROM {account} a
                WHERE a.workspace_id = %s AND a.status = 'active'
                  AND (SELECT COUNT(*) FROM {Interaction._meta.db_table} i
                       WHERE i.account_id = a.id AND i.occurred_on > %s) >= 6
                GROUP BY 1, 2""",
            [latest, workspace_id, workspace_id, today - timedelta(days=90)],
        ),
        (
            "load",
            f"""SELECT owner_id, currency, COUNT(*), SUM(arr),
                       COUNT(*) FILTER (WHERE renewal_date BETWEEN %s AND %s)
                FROM {account} WHERE workspace_id = %s AND status = 'active'
                GROUP BY 1, 2""",
            [today, today + timedelta(days=90), workspace_id],
        ),
        (
            "groups",
            f"""WITH RECURSIVE below(id, top_id) AS (
                    SELECT c.id, t.id FROM {account} c JOIN {account} t ON t.id = c.parent_id
                    WHERE t.parent_id IS NULL AND t.workspace_id = %s
                    UNION
                    SELECT c.id, below.top_id FROM {account} c JOIN below ON c.parent_id = below.id
                )
                SELECT below.top_id, a.currency, COUNT(*), SUM(a.arr)
                FROM below JOIN {account} a ON a.id = below.id GROUP BY 1, 2""",
            [workspace_id],
        ),
    ]


def anchor_renderer(*, workspace_id: int, today: date, latest: date):
    queries = anchor_queries(workspace_id=workspace_id, today=today, latest=latest)
    template = Engine().from_string(ANCHOR_TEMPLATE)

    def render() -> str:
        tables = []
        with connection.cursor() as cursor:
            for name, sql, params in queries:
                cursor.execute(sql, params)
                tables.append((name, cursor.fetchall()))
        return template.render(Context({"tables": tables}))

    return render


def timed(run, iterations: int) -> list[float]:
    for _ in range(WARMUP):
        run()
    timings = []
    for _ in range(iterations):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return timings


def leader(options: DemoOptions):
    return get_user_model().objects.get(email=demo_email(options=options, local="leader"))


def under_load(*, cookie: str, size: Size) -> tuple[list[float], list[float], int]:
    """The cockpit alone (idle), then USERS threads asking for it at once, each a bounded
    number of times, against gunicorn in the production profile."""
    log("Collecting static files for the production profile")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, check=True
    )
    port = free_port()
    server = server_start(port, workers=2, threads=4)
    try:
        get(port, PATH, cookie)
        idle = [get(port, PATH, cookie) for _ in range(size.load_requests * 2)]
        loaded: list[tuple[float, int]] = []
        lock = threading.Lock()

        def user() -> None:
            for _ in range(size.load_requests):
                timing = get(port, PATH, cookie)
                with lock:
                    loaded.append(timing)

        threads = [threading.Thread(target=user) for _ in range(USERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    errors = sum(1 for _, status in [*idle, *loaded] if status != 200)
    return [t for t, _ in idle], [t for t, _ in loaded], errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 accounts, 30 iterations")
    size = QUICK if parser.parse_args().quick else FULL
    database_prepare()
    today = timezone.localdate()
    options = DemoOptions(
        today=today, seed=SEED, accounts=size.accounts, csms=CSMS, slug=SLUG, name="Bench"
    )
    small_options = DemoOptions(
        today=today, seed=SEED, accounts=50, csms=2, slug=SMALL_SLUG, name="Bench Small"
    )
    workspace, build_s = bench_workspace(options=options)
    small, _ = bench_workspace(options=small_options)
    log(f"Filling {WEEKS} weeks of snapshots")
    added = snapshots_fill(workspace, weeks=WEEKS, today=today)
    snapshots_fill(small, weeks=SMALL_WEEKS, today=today)
    analyze()
    snapshots = HealthSnapshot.dangerously_unscoped.filter(workspace=workspace).count()
    log(f"{snapshots:,} snapshots ({added:,} added)")

    client = Client()
    client.force_login(leader(options))
    latest = HealthSnapshot.dangerously_unscoped.filter(workspace=workspace).latest("week").week
    anchor = anchor_renderer(workspace_id=workspace.pk, today=today, latest=latest)
    log(f"Measuring {size.iterations} cockpit requests and anchor renders, in turns")
    ours_timings, anchor_timings = [], []
    for _ in range(WARMUP):
        client.get(PATH)
        anchor()
    for _ in range(size.iterations):
        started = time.perf_counter()
        response = client.get(PATH)
        ours_timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        started = time.perf_counter()
        anchor()
        anchor_timings.append(time.perf_counter() - started)
    ours_p50, ours_p95 = percentiles(ours_timings)
    anchor_p50, anchor_p95 = percentiles(anchor_timings)
    queries_large = steady_query_count(client, PATH)
    small_client = Client()
    small_client.force_login(leader(small_options))
    queries_small = steady_query_count(small_client, PATH)
    log(
        f"ours p50 {ours_p50} ms, p95 {ours_p95} ms; anchor p50 {anchor_p50} ms, p95 "
        f"{anchor_p95} ms; queries {queries_large} vs {queries_small}"
    )

    idle, loaded, errors = under_load(cookie=session_cookie(leader(options)), size=size)
    idle_p50, idle_p95 = percentiles(idle)
    load_p50, load_p95 = percentiles(loaded)
    log(f"served alone p95 {idle_p95} ms, under {USERS} users p95 {load_p95} ms")
    print(
        json.dumps(
            {
                "bench": "cockpit",
                "unit": "ms_p95",
                "ours": ours_p95,
                "anchor": anchor_p95,
                "ratio": round(ours_p95 / anchor_p95, 2),
                "peak_mb": peak_mb(),
                "size": Account.dangerously_unscoped.filter(workspace=workspace).count(),
                "ours_p50": ours_p50,
                "anchor_p50": anchor_p50,
                "weeks": WEEKS,
                "snapshots": snapshots,
                "queries_large": queries_large,
                "queries_small": queries_small,
                "served_idle_p50": idle_p50,
                "served_idle_p95": idle_p95,
                "served_load_p50": load_p50,
                "served_load_p95": load_p95,
                "load_users": USERS,
                "load_requests": len(loaded),
                "errors": errors,
                "demo_build_s": None if build_s is None else round(build_s, 1),
                "iterations": size.iterations,
            }
        )
    )


if __name__ == "__main__":
    main()
