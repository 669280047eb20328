"""Benchmark of a CSM's portfolio page against a bare query-and-template anchor.

Run from the project root against PostgreSQL (see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csos_bench python bench/portfolio.py [--quick]

The last line of output is one JSON object; everything before it goes to stderr.
"""

# ruff: noqa: E402  (Django must be configured before the project's modules are imported)

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import secrets
import statistics
import string
import sys
import time
import warnings
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Measure the production profile: DEBUG off (no query log, cached templates). Plain http
# through the test client needs the TLS redirect and secure-only cookies off.
os.environ["DJANGO_SETTINGS_MODULE"] = "csos.settings"
os.environ["DEBUG"] = "false"
os.environ["SECRET_KEY"] = "".join(
    secrets.choice(string.ascii_letters + string.digits) for _ in range(50)
)
os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ["SECURE_COOKIES"] = "false"

import django

django.setup()

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.template import Context, Engine
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from tqdm import tqdm

from accounts.demo import (
    EXTERNAL_ID_PREFIX,
    DemoOptions,
    demo_email,
    demo_workspace_build,
)
from accounts.models import Account, Segment
from accounts.views import PORTFOLIO_PAGE_SIZE
from csos.models import Membership, Role, Workspace

# With DEBUG off the staticfiles storage is whitenoise's manifest storage, whose {% static %}
# needs a manifest from collectstatic. The plain storage renders the same tags without one;
# the difference is a dict lookup per tag, so the page's cost is not misrepresented.
override_settings(
    STORAGES={
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
).enable()
# WhiteNoise warns that STATIC_ROOT does not exist; the bench serves no static files.
warnings.filterwarnings("ignore", message="No directory at")

SLUG = "bench"
SEED = 42
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
WARMUP = 5


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


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database_prepare() -> None:
    """Create the database DATABASE_URL names when it is missing, then migrate it."""
    database = settings.DATABASES["default"]
    server = {
        "user": database["USER"] or None,
        "password": database["PASSWORD"] or None,
        "host": database["HOST"] or None,
        "port": database["PORT"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as maintenance:
        found = maintenance.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database["NAME"]]
        ).fetchone()
        if not found:
            log(f"Creating the database {database['NAME']}")
            create = psycopg.sql.SQL("CREATE DATABASE {}").format(
                psycopg.sql.Identifier(database["NAME"])
            )
            maintenance.execute(create)
    call_command("migrate", verbosity=0)


def bench_workspace(*, options: DemoOptions) -> tuple[Workspace, float | None]:
    """The bench workspace as ``options`` describe it, rebuilt only when it does not hold it."""
    workspace = Workspace.objects.filter(slug=SLUG).first()
    if workspace is not None:
        demo = Account.dangerously_unscoped.filter(
            workspace=workspace, external_id__startswith=EXTERNAL_ID_PREFIX
        )
        owners = demo.values("owner").distinct().count()
        if demo.count() == options.accounts and owners == options.csms:
            log(f"Reusing workspace {SLUG!r} with {options.accounts:,} demo accounts.")
            return workspace, None
    log(f"Building workspace {SLUG!r}: {options.accounts:,} accounts, {options.csms} CSMs")
    started = time.perf_counter()
    result = demo_workspace_build(
        options=options, progress=functools.partial(tqdm, file=sys.stderr, leave=False)
    )
    return result.workspace, time.perf_counter() - started


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


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return round(statistics.median(samples) * 1000, 2), round(cuts[94] * 1000, 2)


def table_rows(html: str) -> int:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr")


def page_plan(*, pages: int, iterations: int) -> list[tuple[int, str]]:
    """(page, sort) per iteration: every page in turn, then the next sort."""
    return [(1 + i % pages, SORTS[(i // pages) % len(SORTS)]) for i in range(iterations)]


def measure_ours(*, client: Client, plan: list[tuple[int, str]]) -> list[float]:
    """Seconds per portfolio request through the full middleware stack and the real layout."""
    for page, sort in plan[:WARMUP]:
        client.get("/portfolio/", {"page": page, "sort": sort})
    timings = []
    for page, sort in plan:
        started = time.perf_counter()
        response = client.get("/portfolio/", {"page": page, "sort": sort})
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (page, sort, response.status_code)
        rows = table_rows(response.content.decode())
        assert rows == PORTFOLIO_PAGE_SIZE, (page, sort, rows)
    return timings


def measure_anchor(*, workspace: Workspace, owner_id: int, plan: list[tuple[int, str]]):
    """Seconds per page for one bare SQL query and a minimal template: the floor to compare to."""
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
        return template.render(Context({"rows": rows}))

    for page, sort in plan[:WARMUP]:
        render(page, sort)
    timings = []
    for page, sort in plan:
        started = time.perf_counter()
        html = render(page, sort)
        timings.append(time.perf_counter() - started)
        assert table_rows(html) == PORTFOLIO_PAGE_SIZE, (page, table_rows(html))
    return timings


def query_count(*, user) -> int:
    client = Client()
    client.force_login(user)
    client.get("/portfolio/")  # count a steady-state request, like the timed ones
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/portfolio/")
    assert response.status_code == 200, response.status_code
    return len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 accounts, 60 iterations")
    size = QUICK if parser.parse_args().quick else FULL
    if connection.vendor != "postgresql":
        sys.exit("bench/portfolio.py measures PostgreSQL: set DATABASE_URL to a postgres:// URL.")
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
    with connection.cursor() as cursor:
        # Measure tables as autovacuum leaves them soon after a bulk load: without it (as on
        # some dev servers) rebuilds leave dead rows and the planner sees empty tables.
        cursor.execute("VACUUM ANALYZE")
    csm = get_user_model().objects.get(email=demo_email(options=options, local="csm1"))
    csm_accounts = Account.dangerously_unscoped.filter(workspace=workspace, owner=csm).count()
    pages = min(40, csm_accounts // PORTFOLIO_PAGE_SIZE)
    plan = page_plan(pages=pages, iterations=size.iterations)

    client = Client()
    client.force_login(csm)
    log(f"Measuring {size.iterations} portfolio requests of a CSM with {csm_accounts:,} accounts")
    ours_p50, ours_p95 = percentiles(measure_ours(client=client, plan=plan))
    anchor_p50, anchor_p95 = percentiles(
        measure_anchor(workspace=workspace, owner_id=csm.pk, plan=plan)
    )
    queries_large = query_count(user=csm)
    queries_small = query_count(user=small)
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
                "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
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
