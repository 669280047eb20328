"""Benchmark of the retention page against the bare SQL sums it needs.

Run from the project root against PostgreSQL (see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csos_bench python bench/retention.py [--quick]

The last line of output is one JSON object; everything before it goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from harness import (
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

# isort: split
# harness has configured Django: the project's modules can be imported now.
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.demo import DemoOptions, demo_email
from accounts.models import Account, ArrMovement
from accounts.retention import quarter_ends, trailing_year_start
from accounts.selectors.retention import retention_default_period, retention_report
from csos.models import Workspace
from csos.tenancy import workspace_scope

SLUG = "bench"  # the portfolio bench's workspace: one build serves both
SMALL_SLUG = "bench-small"
CSMS = 10
SMALL_ACCOUNTS = 50  # the small workspace whose page shows the short-ledger query count
QUARTERS = 8


@dataclass(frozen=True)
class Size:
    accounts: int
    iterations: int


FULL = Size(accounts=20_000, iterations=60)
QUICK = Size(accounts=2_000, iterations=30)

GAINS_SQL = "kind IN ('new', 'expansion', 'reactivation')"


def anchor_query(*, workspace_id: int, periods: list[tuple[date, date]]) -> tuple[str, list]:
    """Hand-written SQL for the sums the page needs, with its parameters.

    Per account: its ARR when each period opened and its gains and losses inside the period;
    then per book (currency, owner, segment): the sums of the accounts that had ARR at the
    start, each account's loss capped at that ARR.
    """
    per_account, per_book, params = [], [], []
    for i, (start, end) in enumerate(periods):
        within = "date BETWEEN %s AND %s"
        per_account.append(
            f"SUM(CASE WHEN {GAINS_SQL} THEN amount ELSE -amount END) "
            f"FILTER (WHERE date < %s) AS opening_{i}, "
            f"SUM(amount) FILTER (WHERE {within} AND {GAINS_SQL}) AS gains_{i}, "
            f"SUM(amount) FILTER (WHERE {within} AND kind = 'contraction') AS contraction_{i}, "
            f"SUM(amount) FILTER (WHERE {within} AND kind = 'churn') AS churn_{i}"
        )
        params += [start, start, end, start, end, start, end]
        counted = f"FILTER (WHERE opening_{i} > 0)"
        per_book.append(
            f"SUM(opening_{i}) {counted}, SUM(gains_{i}) {counted}, "
            f"SUM(contraction_{i}) {counted}, SUM(churn_{i}) {counted}, "
            f"SUM(LEAST(COALESCE(contraction_{i}, 0) + COALESCE(churn_{i}, 0), opening_{i})) "
            f"{counted}"
        )
    sql = f"""
        SELECT a.currency, a.owner_id, a.segment, {", ".join(per_book)}
        FROM (
            SELECT account_id, {", ".join(per_account)}
            FROM {ArrMovement._meta.db_table}
            WHERE workspace_id = %s AND date <= %s
            GROUP BY account_id
        ) per_account
        JOIN {Account._meta.db_table} a ON a.id = per_account.account_id
        GROUP BY a.currency, a.owner_id, a.segment
    """
    return sql, [*params, workspace_id, max(end for _, end in periods)]


def page_periods(today: date) -> list[tuple[date, date]]:
    """The periods the page opens on: the trailing year, and the trend's quarter-end years."""
    default = retention_default_period(today=today)
    closings = quarter_ends(default["end"], count=QUARTERS)
    return [
        (default["start"], default["end"]),
        *((trailing_year_start(closing), closing) for closing in closings),
    ]


def measure_ours(*, client: Client, iterations: int) -> list[float]:
    """Seconds per retention request through the full middleware stack and the real layout."""
    for _ in range(WARMUP):
        client.get("/retention/")
    timings = []
    for _ in range(iterations):
        started = time.perf_counter()
        response = client.get("/retention/")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return timings


def measure_anchor(*, sql: str, params: list, iterations: int) -> tuple[list[float], list]:
    """Seconds per run of the bare sums on a raw cursor, and the rows of the last run."""

    def run() -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    for _ in range(WARMUP):
        run()
    timings = []
    for _ in range(iterations):
        started = time.perf_counter()
        rows = run()
        timings.append(time.perf_counter() - started)
    return timings, rows


def starting_arr_by_currency(rows: list) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for currency, _owner, _segment, starting, *_ in rows:
        totals[currency] = totals.get(currency, Decimal(0)) + (starting or Decimal(0))
    return totals


def leader_client(*, options: DemoOptions) -> Client:
    client = Client()
    client.force_login(
        get_user_model().objects.get(email=demo_email(options=options, local="leader"))
    )
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 accounts, 30 iterations")
    size = QUICK if parser.parse_args().quick else FULL
    database_prepare()

    today = timezone.localdate()
    options = DemoOptions(
        today=today, seed=SEED, accounts=size.accounts, csms=CSMS, slug=SLUG, name="Bench Analytics"
    )
    small_options = DemoOptions(
        today=today, seed=SEED, accounts=SMALL_ACCOUNTS, csms=2, slug=SMALL_SLUG, name="Bench Small"
    )
    workspace, build_s = bench_workspace(options=options)
    bench_workspace(options=small_options)
    analyze()
    movements = ArrMovement.dangerously_unscoped.filter(workspace=workspace).count()
    small_movements = ArrMovement.dangerously_unscoped.filter(
        workspace=Workspace.objects.get(slug=SMALL_SLUG)
    ).count()

    client = leader_client(options=options)
    log(f"Measuring {size.iterations} retention requests over {movements:,} ARR movements")
    ours_p50, ours_p95 = percentiles(measure_ours(client=client, iterations=size.iterations))
    sql, params = anchor_query(workspace_id=workspace.pk, periods=page_periods(today))
    anchor_timings, anchor_rows = measure_anchor(sql=sql, params=params, iterations=size.iterations)
    anchor_p50, anchor_p95 = percentiles(anchor_timings)

    # The anchor must compute what the page shows, or the comparison means nothing.
    with workspace_scope(workspace):
        report = retention_report(**retention_default_period(today=today))
    shown = {currency: rates.starting_arr for currency, rates in report.rates.items()}
    assert shown == starting_arr_by_currency(anchor_rows), (shown, anchor_rows[:3])

    queries_large = steady_query_count(client, "/retention/")
    queries_small = steady_query_count(leader_client(options=small_options), "/retention/")
    log(
        f"ours p50 {ours_p50} ms, p95 {ours_p95} ms; anchor p50 {anchor_p50} ms, "
        f"p95 {anchor_p95} ms; queries {queries_large} ({movements:,} movements) vs "
        f"{queries_small} ({small_movements:,} movements)"
    )
    print(
        json.dumps(
            {
                "bench": "retention",
                "unit": "ms_p95",
                "ours": ours_p95,
                "anchor": anchor_p95,
                "ratio": round(ours_p95 / anchor_p95, 2),
                "peak_mb": peak_mb(),
                "size": Account.dangerously_unscoped.filter(workspace=workspace).count(),
                "ours_p50": ours_p50,
                "anchor_p50": anchor_p50,
                "movements": movements,
                "queries_large": queries_large,
                "queries_small": queries_small,
                "small_movements": small_movements,
                "demo_build_s": None if build_s is None else round(build_s, 1),
                "iterations": size.iterations,
            }
        )
    )


if __name__ == "__main__":
    main()
