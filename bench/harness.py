"""What every benchmark shares: the production profile, the database, the demo workspace.

Importing this module configures Django, so a benchmark imports it before any project module.
"""

# ruff: noqa: E402  (Django must be configured before the project's modules are imported)

from __future__ import annotations

import functools
import os
import resource
import secrets
import statistics
import string
import sys
import time
import warnings
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
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from tqdm import tqdm

from accounts.demo import EXTERNAL_ID_PREFIX, DemoOptions, demo_workspace_build
from accounts.models import Account
from csos.models import Workspace

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

SEED = 42
WARMUP = 5


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
    """The workspace as ``options`` describe it, rebuilt only when it does not hold it."""
    workspace = Workspace.objects.filter(slug=options.slug).first()
    if workspace is not None:
        demo = Account.dangerously_unscoped.filter(
            workspace=workspace, external_id__startswith=EXTERNAL_ID_PREFIX
        )
        owners = demo.values("owner").distinct().count()
        if demo.count() == options.accounts and owners == options.csms:
            log(f"Reusing workspace {options.slug!r} with {options.accounts:,} demo accounts.")
            return workspace, None
    log(f"Building workspace {options.slug!r}: {options.accounts:,} accounts, {options.csms} CSMs")
    started = time.perf_counter()
    result = demo_workspace_build(
        options=options, progress=functools.partial(tqdm, file=sys.stderr, leave=False)
    )
    return result.workspace, time.perf_counter() - started


def analyze() -> None:
    with connection.cursor() as cursor:
        # Measure tables as autovacuum leaves them soon after a bulk load: without it (as on
        # some dev servers) rebuilds leave dead rows and the planner sees empty tables.
        cursor.execute("VACUUM ANALYZE")


def steady_query_count(client, path: str) -> int:
    """SQL queries of one request to ``path``, counted on the second: a steady-state request,
    like the timed ones."""
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return round(statistics.median(samples) * 1000, 2), round(cuts[94] * 1000, 2)


def peak_mb() -> float:
    """Peak resident memory of the process."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
