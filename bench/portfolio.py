"""Benchmark of a CSM's portfolio page against a bare query-and-template anchor.

Run from the project root against PostgreSQL (see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csos_bench python bench/portfolio.py [--quick]

The last line of output is one JSON object; everything before it goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from datetime import timedelta
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
from django.template import Context, Engine
from django.test import Client
from django.utils import timezone

from accounts.demo import DemoOptions, demo_email
from accounts.models import Account, Segment
from accounts.views import PORTFOLIO_PAGE_SIZE
from csos.models import Membership, Role, Workspace

SLUG = "bench"
CSMS = 10
SMALL_BOOK = 10  # accounts of the one extra CSM whose page shows the small-portfolio query count
SMALL_CSM_LOCAL = "csm-small"
SORTS = ("name", "-arr", "renewal_date", "segment")
# The anchor fetches the same rows in the same order as the page it is compared with.
ANCHOR_ORDER = {
    "name": "a.name, a.id",
    "-arr": "a.arr DESC, a.id",
    "renewal_date": "a.renewal_date, a.id",
    "segment": "a.segment, a.id",
}


@dataclass(frozen=True)
class Size:
    accounts: int
    iterations: int


FULL = Size(accounts=20_000, iterations=300)
QUICK = Size(accounts=2_000, iterations=60)

ANCHOR_TEMPLATE = """<table><tbody>{% for row in rows %}
<tr><td><a href="/accounts/{{ row.id }}/">{{ row.name }}</a> {{ row.external_id }}</td>
<td>{{ row.first_name }} {{ row.last_name }}</td><td>{{ row.arr }} {{ row.currency }}</td>
<td>{{ row.renewal_date }}</td><td>{{ row.lifecycle_stage }}</td><td>{{ row.segment }}</td>
<td>{{ row.status }}</td></tr>{% endfor %}
</tbody></table>"""


def small_csm(*, workspace: Workspace, options: DemoOptions):
    """One more CSM owning a handful of accounts, for the query count at a small size."""
    User = get_user_model()
    email = demo_email(options=options, local=SMALL_CSM_LOCAL)
    user, _ = User.objects.get_or_create(
        username=email, defaults={"email": email, "first_name": "Sam", "last_name": "Small"}
    )
    Membership.dangerously_unscoped.update_or_create(
        workspace=workspace, user=user, defaults={"role": Role.CSM}
    )
    Account.dangerously_unscoped.bulk_create(
        [
            Account(
                workspace=workspace,
                external_id=f"BENCH-SMALL-{number:03d}",
                name=f"Small Book Customer {number:02d}",
                owner=user,
                arr=Decimal(10_000),
                renewal_date=options.today + timedelta(days=30 * number),
                segment=Segment.SMALL,
            )
            for number in range(1, SMALL_BOOK + 1)
        ],
        update_conflicts=True,
        unique_fields=["workspace", "external_id"],
        update_fields=["name", "owner", "arr", "renewal_date", "segment"],
    )
    return user


def table_rows(html: str) -> int:
    """Rows of the accounts table: the first table after the page's filters (panels come
    before them), or the anchor's only table."""
    html = html.split('aria-label="Filter accounts"', 1)[-1]
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr")


def page_plan(*, pages: int, iterations: int) -> list[tuple[int, str]]:
    """(page, sort) per iteration: every page in turn, then the next sort."""
    return [(1 + i % pages, SORTS[(i // pages) % len(SORTS)]) for i in range(iterations)]


def anchor_renderer(*, workspace: Workspace, owner_id: int):
    """One bare SQL query and a minimal template per page: the floor to compare to."""
    sql = f"""
        SELECT a.id, a.name, a.external_id, a.arr, a.currency, a.renewal_date,
               a.lifecycle_stage, a.segment, a.status, u.first_name, u.last_name
        FROM {Account._meta.db_table} a
        LEFT JOIN {get_user_model()._meta.db_table} u ON u.id = a.owner_id
        WHERE a.workspace_id = %s AND a.owner_id = %s
        ORDER BY {{order}}
        LIMIT %s OFFSET %s
    """
    template = Engine().from_string(ANCHOR_TEMPLATE)

    def render(page: int, sort: str) -> str:
        with connection.cursor() as cursor:
            offset = (page - 1) * PORTFOLIO_PAGE_SIZE
            query = sql.replace("{order}", ANCHOR_ORDER[sort])
            cursor.execute(query, [workspace.pk, owner_id, PORTFOLIO_PAGE_SIZE, offset])
            columns = [column.name for column in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        html = template.render(Context({"rows": rows}))
        assert table_rows(html) == PORTFOLIO_PAGE_SIZE, (page, table_rows(html))
        return html

    return render


def measure(*, client: Client, anchor, plan: list[tuple[int, str]]):
    """Seconds per request of the portfolio (full middleware stack, real layout) and of the
    anchor, taken in turns on the same page and sort so that the machine's load at any
    moment weighs on both alike."""

    def ours(page: int, sort: str) -> None:
        response = client.get("/portfolio/", {"page": page, "sort": sort})
        assert response.status_code == 200, (page, sort, response.status_code)
        rows = table_rows(response.content.decode())
        assert rows == PORTFOLIO_PAGE_SIZE, (page, sort, rows)

    for page, sort in plan[:WARMUP]:
        ours(page, sort)
        anchor(page, sort)
    ours_timings, anchor_timings = [], []
    for page, sort in plan:
        for run, timings in ((ours, ours_timings), (anchor, anchor_timings)):
            started = time.perf_counter()
            run(page, sort)
            timings.append(time.perf_counter() - started)
    return ours_timings, anchor_timings


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 accounts, 60 iterations")
    size = QUICK if parser.parse_args().quick else FULL
    database_prepare()

    options = DemoOptions(
        today=timezone.localdate(),
        seed=SEED,
        accounts=size.accounts,
        csms=CSMS,
        slug=SLUG,
        name="Bench Analytics",
    )
    workspace, build_s = bench_workspace(options=options)
    small = small_csm(workspace=workspace, options=options)
    analyze()
    csm = get_user_model().objects.get(email=demo_email(options=options, local="csm1"))
    csm_accounts = Account.dangerously_unscoped.filter(workspace=workspace, owner=csm).count()
    pages = min(40, csm_accounts // PORTFOLIO_PAGE_SIZE)
    plan = page_plan(pages=pages, iterations=size.iterations)

    client = Client()
    client.force_login(csm)
    log(f"Measuring {size.iterations} portfolio requests of a CSM with {csm_accounts:,} accounts")
    ours, anchor = measure(
        client=client, anchor=anchor_renderer(workspace=workspace, owner_id=csm.pk), plan=plan
    )
    ours_p50, ours_p95 = percentiles(ours)
    anchor_p50, anchor_p95 = percentiles(anchor)
    queries_large = steady_query_count(signed_in(csm), "/portfolio/")
    queries_small = steady_query_count(signed_in(small), "/portfolio/")
    log(
        f"ours p50 {ours_p50} ms, p95 {ours_p95} ms; anchor p50 {anchor_p50} ms, "
        f"p95 {anchor_p95} ms; queries {queries_large} ({csm_accounts:,} accounts) vs "
        f"{queries_small} ({SMALL_BOOK} accounts)"
    )
    print(
        json.dumps(
            {
                "bench": "portfolio",
                "unit": "ms_p95",
                "ours": ours_p95,
                "anchor": anchor_p95,
                "ratio": round(ours_p95 / anchor_p95, 2),
                "peak_mb": peak_mb(),
                "size": Account.dangerously_unscoped.filter(workspace=workspace).count(),
                "ours_p50": ours_p50,
                "anchor_p50": anchor_p50,
                "csm_accounts": csm_accounts,
                "queries_large": queries_large,
                "queries_small": queries_small,
                "demo_build_s": None if build_s is None else round(build_s, 1),
                "iterations": size.iterations,
            }
        )
    )


if __name__ == "__main__":
    main()
