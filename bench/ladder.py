"""Benchmark of the value ladder for every account against the bare SQL aggregate of its usage.

Run from the project root against PostgreSQL (see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csos_bench python bench/ladder.py [--quick]

The last line of output is one JSON object; everything before it goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Importing the portfolio bench configures Django for the production profile, as every bench does.
from bench.portfolio import database_prepare, log

# isort: split
from django.db import connection, transaction
from django.utils import timezone

from accounts.demo import DEMO_STEPS, DemoOptions, demo_accounts, demo_workspace_build
from csos.models import Workspace
from csos.tenancy import workspace_scope
from framework.models import UseCase
from value.models import AccountUseCase, Evidence, Threshold, UsageMetric, UsageRecord
from value.selectors import value_settings
from value.selectors.ladder_inputs import ladder_frame
from value.services import ladder_refresh

SLUG = "bench-ladder"
SEED = 42
METRICS = 10
DAYS = 90
USE_CASES = 5
PURSUITS_PER_ACCOUNT = 2
REPEATS = 5


@dataclass(frozen=True)
class Size:
    accounts: int


FULL = Size(accounts=20_000)
QUICK = Size(accounts=2_000)


def bench_workspace(*, size: Size, today) -> tuple[Workspace, float | None]:
    """Accounts from the demo builder, then a framework, pursuits, 90 days of usage, evidence.

    Usage is generated inside PostgreSQL (generate_series), the fastest way to 18 million
    rows. A workspace already holding the requested size is reused.
    """
    workspace = Workspace.objects.filter(slug=SLUG).first()
    if workspace is not None:
        # Evidence is written last: with it, the build finished.
        evidence = Evidence.dangerously_unscoped.filter(workspace=workspace)
        accounts = demo_accounts(workspace=workspace).count()
        if accounts == size.accounts and evidence.exists():
            log(f"Reusing workspace {SLUG!r} with {accounts:,} accounts.")
            return workspace, None
    log(f"Building workspace {SLUG!r}: {size.accounts:,} accounts, {METRICS} metrics, {DAYS} days")
    started = time.perf_counter()
    options = DemoOptions(
        today=today, seed=SEED, accounts=size.accounts, csms=10, slug=SLUG, name="Ladder bench"
    )
    workspace = demo_workspace_build(options=options, steps=DEMO_STEPS).workspace
    log(f"Accounts built in {time.perf_counter() - started:.0f} s")
    for model in (Evidence, UsageRecord, UseCase, UsageMetric):
        model.dangerously_unscoped.filter(workspace=workspace).delete()
    metrics = UsageMetric.dangerously_unscoped.bulk_create(
        UsageMetric(
            workspace=workspace,
            key=f"metric_{n}",
            name=f"Metric {n}",
            aggregation="max" if n == 0 else "sum",
        )
        for n in range(METRICS)
    )
    use_cases = UseCase.dangerously_unscoped.bulk_create(
        UseCase(workspace=workspace, name=f"Use case {n}", outcome="Benchmark", assisted_value=1)
        for n in range(USE_CASES)
    )
    Threshold.dangerously_unscoped.bulk_create(
        threshold
        for n, use_case in enumerate(use_cases)
        for threshold in (
            Threshold(workspace=workspace, use_case=use_case, level=1, metric=metrics[0],
                      minimum=0.3, per_seat=True),
            Threshold(workspace=workspace, use_case=use_case, level=2,
                      metric=metrics[1 + n % (METRICS - 1)], minimum=40),
        )
    )  # fmt: skip
    table = {model: model._meta.db_table for model in (AccountUseCase, UsageRecord, Evidence)}
    account_ids = list(demo_accounts(workspace=workspace).values_list("id", flat=True))
    use_case_ids = [use_case.pk for use_case in use_cases]
    metric_ids = [metric.pk for metric in metrics]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table[AccountUseCase]}
                (workspace_id, account_id, use_case_id, level, created_at)
            SELECT %s, a.id, (%s::bigint[])[1 + (a.id + k) %% %s], 0, now()
            FROM unnest(%s::bigint[]) AS a(id), generate_series(0, %s - 1) AS k""",
            [workspace.pk, use_case_ids, USE_CASES, account_ids, PURSUITS_PER_ACCOUNT],
        )
        # Each account's usage moves with its id: some far above the thresholds, some below.
        insert_unindexed(
            cursor,
            table[UsageRecord],
            f"""INSERT INTO {table[UsageRecord]} (workspace_id, account_id, metric_id, day, value)
            SELECT %s, a.id, m.id, %s::date - d,
                   ((a.id * 7 + m.id * 13 + d) %% 40) * (1 + a.id %% 3)
            FROM unnest(%s::bigint[]) AS a(id), unnest(%s::bigint[]) AS m(id),
                 generate_series(0, %s - 1) AS d""",
            [workspace.pk, today, account_ids, metric_ids, DAYS],
        )
        log(f"Usage loaded and indexed at {time.perf_counter() - started:.0f} s")
        cursor.execute(
            f"""INSERT INTO {table[Evidence]}
                (workspace_id, account_id, use_case_id, level, claim, metric_name, baseline,
                 current, unit, source, document_url, confirmed_by_name, confirmed_on, status,
                 created_at, updated_at)
            SELECT p.workspace_id, p.account_id, p.use_case_id, 3, 'Hours fell', 'Hours', 40, 20,
                   'hours', 'customer', '', 'Lead', %s::date - (p.account_id %% 250)::int, 'proven',
                   now(), now()
            FROM {table[AccountUseCase]} p
            WHERE p.workspace_id = %s AND p.account_id %% 3 = 0""",
            [today, workspace.pk],
        )
        cursor.execute("VACUUM ANALYZE")
    return workspace, time.perf_counter() - started


@transaction.atomic
def insert_unindexed(cursor, table: str, insert: str, params: list) -> None:
    """Run ``insert`` on ``table`` stripped of its indexes and constraints, then rebuild them.

    Row by row, 18 million rows would each update seven indexes and queue five deferred
    foreign-key checks: that alone took longer than 20 minutes. Rebuilding an index sorts the
    table once, and re-adding a foreign key validates every row with one join. The schema ends
    as the migrations left it, every constraint checked; one transaction, so a failure leaves
    the table as it was.
    """
    quote = connection.ops.quote_name
    cursor.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f')
        ORDER BY contype = 'f', conname""",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """SELECT c.relname, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = %s::regclass AND NOT EXISTS (
            SELECT 1 FROM pg_constraint k
            WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid
        )""",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _ in reversed(constraints):
        cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {quote(name)}")
    cursor.execute(insert, params)
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for name, definition in constraints:
        cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
    for _, definition in indexes:
        cursor.execute(definition)


def measure(function, repeats: int = REPEATS) -> list[float]:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 accounts")
    size = QUICK if parser.parse_args().quick else FULL
    database_prepare()
    today = timezone.localdate()
    workspace, build_s = bench_workspace(size=size, today=today)
    with workspace_scope(workspace):
        window = value_settings().usage_window_days
        start = today - timedelta(days=window - 1)
        anchor_sql = f"""
            SELECT account_id, metric_id, SUM(value), MAX(value)
            FROM {UsageRecord._meta.db_table}
            WHERE workspace_id = %s AND day BETWEEN %s AND %s
            GROUP BY account_id, metric_id"""

        def anchor():
            with connection.cursor() as cursor:
                cursor.execute(anchor_sql, [workspace.pk, start, today])
                return cursor.fetchall()

        anchor()  # warm the cache for both sides alike
        rows = len(anchor())
        log(f"Measuring the ladder of {size.accounts:,} accounts ({rows:,} account-metric rows)")
        ours = measure(lambda: ladder_frame(account_ids=None, as_of=today))
        anchor_times = measure(anchor)
        refresh = measure(lambda: ladder_refresh(as_of=today), repeats=1)
        tracemalloc.start()
        levels = ladder_frame(account_ids=None, as_of=today)
        ladder_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    ours_s, anchor_s = statistics.median(ours), statistics.median(anchor_times)
    log(
        f"ladder {ours_s:.2f} s, anchor {anchor_s:.2f} s, refresh {refresh[0]:.2f} s, "
        f"ladder allocations peak {ladder_peak / 2**20:.0f} MB"
    )
    print(
        json.dumps(
            {
                "bench": "ladder",
                "unit": "s_median",
                "ours": round(ours_s, 3),
                "anchor": round(anchor_s, 3),
                "ratio": round(ours_s / anchor_s, 2),
                "refresh_s": round(refresh[0], 3),
                "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "ladder_alloc_peak_mb": round(ladder_peak / 2**20, 1),
                "size": size.accounts,
                "metrics": METRICS,
                "days": DAYS,
                "window_days": window,
                "usage_rows": UsageRecord.dangerously_unscoped.filter(workspace=workspace).count(),
                "pursuits": len(levels),
                "levels": {
                    str(level): int(count)
                    for level, count in levels["level"].value_counts().sort_index().items()
                },
                "demo_build_s": None if build_s is None else round(build_s, 1),
                "repeats": REPEATS,
            }
        )
    )


if __name__ == "__main__":
    main()
