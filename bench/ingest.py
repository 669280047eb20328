"""Benchmark of bulk ingestion over HTTP against a raw COPY-and-upsert anchor.

Run from the project root against PostgreSQL (see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csos_bench python bench/ingest.py [--quick]

It starts gunicorn (2 workers) on a free local port, sends the records in batches of 10,000
over HTTP from 2 client threads, first as inserts, then again with changed values as updates,
and measures the anchor in the same run at the same parallelism: the same batches through 2
concurrent psycopg sessions, each batch one COPY into a staging table and one
INSERT ... ON CONFLICT DO UPDATE, no HTTP, no validation; and, for reference, the anchor on one
session. The records are daily usage
records (``--resource usage``, the default: 1,000 accounts x 1,000 days of one metric) or
accounts upserted by external_id (``--resource accounts``). The last line of output is one JSON
object; everything before goes to stderr.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from harness import ROOT, database_prepare, log

# isort: split
# harness has configured Django: the project's modules can be imported now.

import orjson
import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from accounts.models import Account
from csos.models import ApiScope, ApiToken, Membership, Role, Workspace
from csos.services import api_token_create
from csos.tenancy import workspace_scope
from value.models import UsageMetric

BATCH = 10_000
FULL_ROWS = 1_000_000
QUICK_ROWS = 40_000
# Gunicorn workers, client threads (one request in flight per worker) and anchor sessions.
PARALLELISM = 2
API_SLUG, ANCHOR_SLUG = "bench-ingest", "bench-ingest-anchor"
SEGMENTS = ("small", "mid_market", "enterprise")
USAGE_ACCOUNTS = 1_000
USAGE_METRIC = "events"


@dataclass(frozen=True)
class Resource:
    """What the bench sends: its endpoint, its records, and the anchor's SQL for the same rows."""

    url: str
    record: Callable[[int, int], dict]
    stage_columns: str
    anchor_row: Callable[[int, int, dict], tuple]
    anchor_upsert: str
    table: str


def account_record(n: int, revision: int) -> dict:
    return {
        "external_id": f"B{n:07d}",
        "name": f"Bench customer {n} r{revision}",
        "licensed_seats": (n + revision) % 500,
        "segment": SEGMENTS[(n + revision) % 3],
    }


def usage_record(n: int, revision: int) -> dict:
    day = timezone.localdate() - timedelta(days=1 + n // USAGE_ACCOUNTS)
    return {
        "account_external_id": f"U{n % USAGE_ACCOUNTS:05d}",
        "metric": USAGE_METRIC,
        "day": day.isoformat(),
        "value": (n % 97) + revision,
    }


RESOURCES = {
    "accounts": Resource(
        url="/api/v1/accounts/bulk/",
        record=account_record,
        stage_columns="external_id varchar(100), name varchar(200), licensed_seats integer, "
        "segment varchar(20)",
        anchor_row=lambda n, revision, ids: tuple(account_record(n, revision).values()),
        anchor_upsert="""
INSERT INTO accounts_account (
    workspace_id, external_id, name, licensed_seats, segment, arr, currency, lifecycle_stage,
    status, industry, complexity, strategic_potential, product_maturity,
    implementation_difficulty, executive_visibility, created_at, updated_at)
SELECT %s, external_id, name, licensed_seats, segment, 0, 'USD', 'onboarding', 'active', '',
    3, 3, 3, 3, 3, now(), now()
FROM anchor_stage
ON CONFLICT (workspace_id, external_id) DO UPDATE SET
    name = EXCLUDED.name, licensed_seats = EXCLUDED.licensed_seats,
    segment = EXCLUDED.segment, updated_at = now()
""",
        table="accounts_account",
    ),
    "usage": Resource(
        url="/api/v1/usage-records/bulk/",
        record=usage_record,
        stage_columns="account_id bigint, metric_id bigint, day date, value double precision",
        anchor_row=lambda n, revision, ids: (
            ids[(record := usage_record(n, revision))["account_external_id"]],
            ids[USAGE_METRIC],
            record["day"],
            record["value"],
        ),
        anchor_upsert="""
INSERT INTO value_usagerecord (workspace_id, account_id, metric_id, day, value)
SELECT %s, account_id, metric_id, day, value FROM anchor_stage
ON CONFLICT (workspace_id, account_id, metric_id, day) DO UPDATE SET value = EXCLUDED.value
""",
        table="value_usagerecord",
    ),
}


def workspace_fresh(slug: str) -> Workspace:
    """The bench workspace, emptied of the records of an earlier run."""
    workspace, _ = Workspace.objects.get_or_create(slug=slug, defaults={"name": slug})
    with connection.cursor() as cursor:
        for table in ("value_usagerecord", "accounts_account", "value_usagemetric"):
            cursor.execute(f"DELETE FROM {table} WHERE workspace_id = %s", [workspace.pk])
    return workspace


def usage_subjects(workspace: Workspace) -> dict[str, int]:
    """The accounts and the metric usage records name, created; ids by external id or key."""
    with workspace_scope(workspace):
        accounts = Account.objects.bulk_create(
            Account(workspace=workspace, external_id=f"U{n:05d}", name=f"Usage customer {n}")
            for n in range(USAGE_ACCOUNTS)
        )
        metric = UsageMetric.objects.create(workspace=workspace, key=USAGE_METRIC, name="Events")
    return {**{a.external_id: a.pk for a in accounts}, USAGE_METRIC: metric.pk}


def bench_token(workspace: Workspace) -> str:
    admin, _ = get_user_model().objects.get_or_create(
        username="bench-ingest@example.com", defaults={"email": "bench-ingest@example.com"}
    )
    Membership.dangerously_unscoped.get_or_create(
        workspace=workspace, user=admin, defaults={"role": Role.ADMIN}
    )
    ApiToken.dangerously_unscoped.filter(workspace=workspace).delete()
    _token, raw = api_token_create(
        workspace=workspace, by=admin, name="bench", scopes=[ApiScope.INGEST]
    )
    return raw


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_start(port: int, *, workers: int = PARALLELISM, threads: int = 1) -> subprocess.Popen:
    """Gunicorn in the production profile on ``port``, the ingest rate limit lifted."""
    env = {
        **os.environ,
        "ALLOWED_HOSTS": "127.0.0.1",
        "API_RATE_INGEST": "1000000/min",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_TIMEOUT": "300",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "csos.wsgi",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _ = request(port, "GET", "/healthz", b"", {})
            if status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not answer /healthz within 60 s")


def request(port: int, method: str, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def send_all(
    *, resource: Resource, port: int, token: str, rows: int, revision: int
) -> tuple[float, dict]:
    """Send every batch over HTTP, PARALLELISM at a time; seconds taken and summed counts."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [
        orjson.dumps(
            {"records": [resource.record(n, revision) for n in range(start, start + BATCH)]}
        )
        for start in range(0, rows, BATCH)
    ]

    def send(body: bytes) -> dict:
        status, answer = request(port, "POST", resource.url, body, headers)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {answer[:500]!r}")
        return orjson.loads(answer)

    started = time.perf_counter()
    with ThreadPoolExecutor(PARALLELISM) as pool:
        answers = list(pool.map(send, bodies))
    elapsed = time.perf_counter() - started
    return elapsed, {key: sum(a[key] for a in answers) for key in ("created", "updated")}


def anchor_connect() -> psycopg.Connection:
    database = settings.DATABASES["default"]
    return psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        host=database["HOST"] or None,
        port=database["PORT"] or None,
    )


def copy_text(row: tuple) -> bytes:
    """One row in COPY's text format; the bench's values hold no tab, newline or backslash."""
    return ("\t".join(str(value) for value in row) + "\n").encode()


def anchor(
    *, resource: Resource, workspace: Workspace, ids: dict, rows: int, revision: int, sessions: int
) -> float:
    """Seconds to write every batch, ``sessions`` batches at a time on as many connections:
    each batch one COPY into a staging table and one upsert, in one transaction, as the API
    writes a batch. The batches are rendered before the clock starts, as the API's bodies are."""
    batches = [
        b"".join(
            copy_text(resource.anchor_row(n, revision, ids))
            for n in range(start, min(start + BATCH, rows))
        )
        for start in range(0, rows, BATCH)
    ]
    connections = [anchor_connect() for _ in range(sessions)]

    def write(session: int) -> None:
        conn = connections[session]
        for batch in batches[session::sessions]:
            conn.execute(
                f"CREATE TEMPORARY TABLE anchor_stage ({resource.stage_columns}) ON COMMIT DROP"
            )
            with conn.cursor().copy("COPY anchor_stage FROM STDIN") as copy:
                copy.write(batch)
            conn.execute(resource.anchor_upsert, [workspace.pk])
            conn.commit()

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(sessions) as pool:
            list(pool.map(write, range(sessions)))
        return time.perf_counter() - started
    finally:
        for conn in connections:
            conn.close()


def peak_mb(server: subprocess.Popen) -> float:
    """The largest peak resident memory (VmHWM) of the gunicorn master and its workers."""
    pids = [server.pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == server.pid:
                pids.append(int(entry.name))
    peaks = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return round(max(peaks), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows")
    parser.add_argument("--resource", choices=sorted(RESOURCES), default="usage")
    arguments = parser.parse_args()
    rows = QUICK_ROWS if arguments.quick else FULL_ROWS
    resource = RESOURCES[arguments.resource]
    database_prepare()
    workspace, anchor_workspace = workspace_fresh(API_SLUG), workspace_fresh(ANCHOR_SLUG)
    token = bench_token(workspace)
    anchor_ids = {}
    if resource is RESOURCES["usage"]:
        usage_subjects(workspace)
        anchor_ids = usage_subjects(anchor_workspace)
    port = free_port()
    server = server_start(port)
    try:
        log(f"Sending {rows:,} {arguments.resource} records in batches of {BATCH:,} to port {port}")
        sent = {"resource": resource, "port": port, "token": token, "rows": rows}
        api_insert_s, inserted = send_all(**sent, revision=0)
        api_update_s, updated = send_all(**sent, revision=1)
        memory = peak_mb(server)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert inserted == {"created": rows, "updated": 0}, inserted
    assert updated == {"created": 0, "updated": rows}, updated
    anchored = {"resource": resource, "workspace": anchor_workspace, "ids": anchor_ids}
    log("Anchor on one session: raw COPY and upsert of the same batches")
    single_s = anchor(**anchored, rows=rows, revision=0, sessions=1)
    single_s += anchor(**anchored, rows=rows, revision=1, sessions=1)
    workspace_fresh(ANCHOR_SLUG)
    if resource is RESOURCES["usage"]:
        anchored["ids"] = usage_subjects(anchor_workspace)
    log(f"Anchor on {PARALLELISM} sessions, as many as the API's workers")
    anchor_insert_s = anchor(**anchored, rows=rows, revision=0, sessions=PARALLELISM)
    anchor_update_s = anchor(**anchored, rows=rows, revision=1, sessions=PARALLELISM)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {resource.table} WHERE workspace_id = %s", [workspace.pk]
        )
        assert cursor.fetchone()[0] == rows

    api_rate = 2 * rows / (api_insert_s + api_update_s)
    anchor_rate = 2 * rows / (anchor_insert_s + anchor_update_s)
    result = {
        "bench": "ingest",
        "unit": "rows_s",
        "ours": round(api_rate),
        "anchor": round(anchor_rate),
        "ratio": round(api_rate / anchor_rate, 3),
        "peak_mb": memory,
        "size": rows,
        "resource": arguments.resource,
        "api_insert_rows_s": round(rows / api_insert_s),
        "api_update_rows_s": round(rows / api_update_s),
        "anchor_insert_rows_s": round(rows / anchor_insert_s),
        "anchor_update_rows_s": round(rows / anchor_update_s),
        "anchor_one_session_rows_s": round(2 * rows / single_s),
        "parallelism": PARALLELISM,
    }
    log(
        f"API {result['ours']:,} rows/s on {PARALLELISM} workers, anchor {result['anchor']:,} "
        f"rows/s on {PARALLELISM} sessions, "
        f"ratio {result['ratio']}, server peak {memory} MB"
    )
    for slug in (API_SLUG, ANCHOR_SLUG):
        workspace_fresh(slug)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
