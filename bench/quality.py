"""Benchmark of the health-model quality page, served from the stored backtest, against a bare
read of that row and a minimal template.

Run from the project root against PostgreSQL (see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csos_bench python bench/quality.py [--quick]

The last line of output is one JSON object; everything before it goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass

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
from django.template import Context, Engine
from django.test import Client
from django.utils import timezone

from accounts.demo import DemoOptions, demo_email
from accounts.models import Account
from csos.tenancy import workspace_scope
from health.backtests import backtest_compute
from health.models import HealthBacktest, HealthModel

SLUG = "bench"  # the portfolio bench's workspace: one build serves both
CSMS = 10


@dataclass(frozen=True)
class Size:
    accounts: int
    iterations: int


FULL = Size(accounts=20_000, iterations=200)
QUICK = Size(accounts=2_000, iterations=60)

ANCHOR_TEMPLATE = """{% for figures in rows %}<section>{% for horizon in figures.horizons %}
<h3>{{ horizon.days }} days</h3><p>AUC {{ horizon.report.auc }} {{ horizon.report.auc_interval }}
from {{ horizon.report.renewals }} renewals, {{ horizon.report.churns }} churns</p>
<table><tbody>{% for band in horizon.report.bands %}<tr><td>{{ band.band }}</td>
<td>{{ band.renewals }}</td><td>{{ band.churns }}</td><td>{{ band.churn_rate }}</td>
<td>{{ band.interval }}</td></tr>{% endfor %}</tbody></table>{% endfor %}</section>{% endfor %}"""


def anchor_renderer(*, workspace_id: int):
    """The floor: one bare SQL read of each model's latest stored figures, parsed and rendered
    by a minimal template."""
    sql = f"""
        SELECT DISTINCT ON (b.model_id) b.figures
        FROM {HealthBacktest._meta.db_table} b
        JOIN {HealthModel._meta.db_table} m ON m.id = b.model_id
        WHERE b.workspace_id = %s AND b.model_version = m.version
          AND b.computed_at IS NOT NULL
        ORDER BY b.model_id, b.week DESC
    """
    template = Engine().from_string(ANCHOR_TEMPLATE)

    def render() -> str:
        with connection.cursor() as cursor:
            cursor.execute(sql, [workspace_id])
            rows = [json.loads(figures) for (figures,) in cursor.fetchall()]
        assert rows and rows[0]["horizons"], rows
        return template.render(Context({"rows": rows}))

    return render


def measure(*, client: Client, anchor, iterations: int) -> tuple[list[float], list[float]]:
    """Seconds per quality request (full middleware stack, real layout) and per anchor, taken
    in turns so that the machine's load at any moment weighs on both alike."""

    def ours() -> None:
        response = client.get("/health/quality/")
        assert response.status_code == 200, response.status_code
        assert b"days before renewal" in response.content

    for _ in range(WARMUP):
        ours()
        anchor()
    ours_timings, anchor_timings = [], []
    for _ in range(iterations):
        for run, timings in ((ours, ours_timings), (anchor, anchor_timings)):
            started = time.perf_counter()
            run()
            timings.append(time.perf_counter() - started)
    return ours_timings, anchor_timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 accounts, 60 iterations")
    size = QUICK if parser.parse_args().quick else FULL
    database_prepare()

    today = timezone.localdate()
    options = DemoOptions(
        today=today, seed=SEED, accounts=size.accounts, csms=CSMS, slug=SLUG, name="Bench Analytics"
    )
    workspace, build_s = bench_workspace(options=options)
    analyze()
    log("Computing the backtest, as the Celery task does after a recompute")
    started = time.perf_counter()
    with workspace_scope(workspace):
        stored = backtest_compute(workspace=workspace, today=today)
    compute_s = time.perf_counter() - started
    renewals = sum(len(backtest.renewals) for backtest in stored)

    client = Client()
    client.force_login(
        get_user_model().objects.get(email=demo_email(options=options, local="leader"))
    )
    log(f"Measuring {size.iterations} quality requests, each against the anchor")
    ours_timings, anchor_timings = measure(
        client=client, anchor=anchor_renderer(workspace_id=workspace.pk), iterations=size.iterations
    )
    ours_p50, ours_p95 = percentiles(ours_timings)
    anchor_p50, anchor_p95 = percentiles(anchor_timings)
    queries = steady_query_count(client, "/health/quality/")
    log(
        f"ours p50 {ours_p50} ms, p95 {ours_p95} ms; anchor p50 {anchor_p50} ms, "
        f"p95 {anchor_p95} ms; {queries} queries; backtest computed in {compute_s:.2f} s"
    )
    print(
        json.dumps(
            {
                "bench": "quality",
                "unit": "ms_p95",
                "ours": ours_p95,
                "anchor": anchor_p95,
                "ratio": round(ours_p95 / anchor_p95, 2),
                "peak_mb": peak_mb(),
                "size": Account.dangerously_unscoped.filter(workspace=workspace).count(),
                "ours_p50": ours_p50,
                "anchor_p50": anchor_p50,
                "queries": queries,
                "compute_s": round(compute_s, 2),
                "renewals_scored": renewals,
                "demo_build_s": None if build_s is None else round(build_s, 1),
                "iterations": size.iterations,
            }
        )
    )


if __name__ == "__main__":
    main()
