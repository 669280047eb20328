"""Settings of the test suite: the development profile, asked for explicitly.

Debug is off unless the environment asks for it, so the suite asks here, before the project's
settings read the environment. Subprocesses the tests start inherit the request.
Each process of a parallel run (``make test`` runs one per core) has a test database of its
own (pytest-django adds ``_gwN`` to its name) and a Redis database of its own (below).

The database is DATABASE_URL (from the environment or ``.env``), else the local PostgreSQL that
``make test`` names; when no server answers there, tests/conftest.py starts the embedded one.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ

os.environ["DEBUG"] = "true"
DOTENV = Path(__file__).resolve().parent.parent / ".env"
if DOTENV.exists():
    environ.Env.read_env(DOTENV)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/csos")


def _redis_url_of_process(url: str, process: str) -> str:
    """Process ``gwN`` of a parallel run (pytest-xdist) takes the Nth Redis database after the
    configured one, so that the caches, sessions and brokers of the processes never meet."""
    parts = urlsplit(url)
    first = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(first + int(process[2:])) % 16}"))


if (
    os.environ.get("PYTEST_XDIST_WORKER")
    and os.environ.get("REDIS_URL")
    and "CSOS_TEST_PROCESS_REDIS_URL" not in os.environ
):
    # Set in the environment so that the workers and commands a test starts follow it. They see
    # the marker and keep the REDIS_URL they are given: a test may point one at another server.
    os.environ["REDIS_URL"] = os.environ["CSOS_TEST_PROCESS_REDIS_URL"] = _redis_url_of_process(
        os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"]
    )

from csos.settings import *  # noqa: E402, F403
