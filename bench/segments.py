"""Benchmark of re-segmentation against one bare SQL UPDATE, and of rebalancing a team.

Run from the project root against PostgreSQL (see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csos_bench python bench/segments.py [--quick]

The last line of output is one JSON object; everything before it goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Importing the harness configures Django for the production profile, as every bench does.
from bench.harness import database_prepare, log, peak_mb

# isort: split
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.demo import DEMO_STEPS, DemoOptions, demo_accounts, demo_workspace_build
from accounts.models import Account
from csos.models import ExchangeRate, Workspace
from csos.tenancy import workspace_scope
from playbooks.segments.load import rebalancing_suggestion
from playbooks.segments.models import SegmentChange, SegmentRule, SegmentSettings
from playbooks.segments.services import segmentation_apply

SLUG = "bench-segments"
SEED = 42
CSMS = 40
REPEATS = 5
SMALL = 100  # accounts of the small run whose query count must equal the full run's

# (priority, clauses, motion, value problem); the anchor's CASE below says the same in SQL.
RULES = [
    (1, [{"field": "executive_visibility", "op": "gte", "value": 5},
         {"field": "strategic_potential", "op": "gte", "value": 4}], "strategic", "expansion"),
    (2, [{"field": "arr", "op": "gte", "value": 150000}], "named", "value_proof"),
    (3, [{"field": "complexity", "op": "gte", "value": 4},
         {"field": "lifecycle_stage", "op": "in", "value": ["onboarding", "adoption"]}],
     "named", "adoption"),
    (4, [{"field": "arr", "op": "lt", "value": 20000}], "digital", "adoption"),
]  # fmt: skip
ANCHOR_CASE = """
    CASE
      WHEN a.executive_visibility >= 5 AND a.strategic_potential >= 4 THEN 'strategic|expansion'
      WHEN a.arr * r.rate >= 150000 THEN 'named|value_proof'
      WHEN a.complexity >= 4 AND a.lifecycle_stage IN ('onboarding', 'adoption')
        THEN 'named|adoption'
      WHEN a.arr * r.rate < 20000 THEN 'digital|adoption'
      ELSE 'pooled|risk_governance'
    END"""


@dataclass(frozen=True)
class Size:
    accounts: int


FULL = Size(accounts=20_000)
QUICK = Size(accounts=2_000)


def bench_workspace(*, size: Size, today) -> tuple[Workspace, float | None]:
    """Demo accounts over 40 CSMs with varied attributes, a fifth of them in EUR, the rules."""
    workspace = Workspace.objects.filter(slug=SLUG).first()
    if workspace is not None and demo_accounts(workspace=workspace).count() == size.accounts:
        log(f"Reusing workspace {SLUG!r} with {size.accounts:,} accounts.")
        return workspace, None
    log(f"Building workspace {SLUG!r}: {size.accounts:,} accounts, {CSMS} CSMs")
    started = time.perf_counter()
    options = DemoOptions(
        today=today, seed=SEED, accounts=size.accounts, csms=CSMS, slug=SLUG, name="Segments"
    )
    workspace = demo_workspace_build(options=options, steps=DEMO_STEPS).workspace
    with workspace_scope(workspace):
        SegmentRule.objects.all().delete()
        SegmentSettings.objects.all().delete()
        ExchangeRate.objects.all().delete()
        ExchangeRate.objects.create(
            workspace=workspace, currency="EUR", rate=Decimal("1.1"), valid_from=today
        )
        for priority, clauses, motion, value_problem in RULES:
            SegmentRule.objects.create(
                workspace=workspace,
                name=f"Rule {priority}",
                priority=priority,
                clauses=clauses,
                motion=motion,
                value_problem=value_problem,
            )
        SegmentSettings.objects.create(
            workspace=workspace, default_motion="pooled", default_value_problem="risk_governance"
        )
        # Attributes and currencies from the id, so every build places accounts alike.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {Account._meta.db_table} SET
                    complexity = 1 + id %% 5, strategic_potential = 1 + (id / 5) %% 5,
                    executive_visibility = 1 + (id / 25) %% 5,
                    currency = CASE WHEN id %% 5 = 0 THEN 'EUR' ELSE currency END
                WHERE workspace_id = %s""",
                [workspace.pk],
            )
            cursor.execute("VACUUM ANALYZE")
    return workspace, time.perf_counter() - started


def reset(workspace: Workspace) -> None:
    SegmentChange.objects.all().delete()
    Account.objects.update(motion="", value_problem="")


def anchor_run(workspace: Workspace, today) -> None:
    """The same assignment as one bare UPDATE: facts, CASE and write in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {Account._meta.db_table} AS t
                SET motion = split_part(p.placed, '|', 1),
                    value_problem = split_part(p.placed, '|', 2)
            FROM (
                SELECT a.id, {ANCHOR_CASE} AS placed
                FROM {Account._meta.db_table} a
                LEFT JOIN LATERAL (
                    SELECT CASE WHEN a.currency = %s THEN 1 ELSE (
                        SELECT e.rate FROM {ExchangeRate._meta.db_table} e
                        WHERE e.workspace_id = a.workspace_id AND e.currency = a.currency
                          AND e.valid_from <= %s ORDER BY e.valid_from DESC LIMIT 1) END AS rate
                ) r ON true
                WHERE a.workspace_id = %s AND a.status = 'active'
            ) p
            WHERE t.id = p.id""",
            [workspace.default_currency, today, workspace.pk],
        )


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 accounts")
    size = QUICK if parser.parse_args().quick else FULL
    database_prepare()
    today = timezone.localdate()
    workspace, build_s = bench_workspace(size=size, today=today)
    ours, anchor = [], []
    with workspace_scope(workspace):
        # Both sides place every account from blank, in turns, so a busy moment weighs on both.
        for _ in range(REPEATS):
            reset(workspace)
            ours.append(timed(lambda: segmentation_apply(workspace=workspace, today=today)))
            placed = dict(Account.objects.values_list("pk", "motion"))
            reset(workspace)
            anchor.append(timed(lambda: anchor_run(workspace, today)))
            assert placed == dict(Account.objects.values_list("pk", "motion")), "not the same"
        reset(workspace)
        ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as small:
            segmentation_apply(workspace=workspace, today=today, account_ids=ids[:SMALL])
        reset(workspace)
        with CaptureQueriesContext(connection) as full:
            segmentation_apply(workspace=workspace, today=today)
        assert len(small) == len(full), (len(small), len(full))
        log(f"Re-segmentation queries: {len(small)} for {SMALL} accounts, {len(full)} for all")

        # Rebalancing: a capacity a little above the average book, and one CSM given a tenth
        # of the accounts more, so some books are over and a solution exists.
        settings = SegmentSettings.objects.get()
        first_csm = Account.objects.order_by("owner_id").values_list("owner_id", flat=True)[0]
        Account.objects.filter(pk__in=ids[: len(ids) // 10]).update(owner_id=first_csm)
        total = sum(
            float(settings.weights[m or settings.default_motion])
            for m in Account.objects.values_list("motion", flat=True)
        )
        settings.default_capacity = Decimal(round(total / CSMS * 1.25, 2))
        settings.save()
        tracemalloc.start()
        started = time.perf_counter()
        suggestion = rebalancing_suggestion(today=today)
        rebalance_s = time.perf_counter() - started
        rebalance_alloc = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        assert suggestion.feasible, suggestion.reason
    ours_s, anchor_s = statistics.median(ours), statistics.median(anchor)
    log(
        f"re-segmentation {ours_s:.3f} s, bare UPDATE {anchor_s:.3f} s; rebalancing "
        f"{rebalance_s:.2f} s, {len(suggestion.moves)} moves, allocations peak "
        f"{rebalance_alloc:.0f} MB"
    )
    print(
        json.dumps(
            {
                "bench": "segments",
                "unit": "s_median",
                "ours": round(ours_s, 3),
                "anchor": round(anchor_s, 3),
                "ratio": round(ours_s / anchor_s, 2),
                "peak_mb": peak_mb(),
                "size": size.accounts,
                "queries_small": len(small),
                "queries_full": len(full),
                "rebalance_s": round(rebalance_s, 2),
                "rebalance_moves": len(suggestion.moves),
                "rebalance_alloc_peak_mb": round(rebalance_alloc, 1),
                "csms": CSMS,
                "demo_build_s": None if build_s is None else round(build_s, 1),
                "repeats": REPEATS,
            }
        )
    )


if __name__ == "__main__":
    main()
