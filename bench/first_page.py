"""From nothing configured to the first page, as `make run` goes: each step timed.

Steps, on a new embedded PostgreSQL data folder (csos/embedded_db.py) in a temporary folder:
initialise and start the server, then `make serve` (migrate, then the web server while the demo
workspace builds beside it) until the sign-in page answers; then, reported apart, until the demo
workspace is built. The anchor is the bare minimum of the same path: initialise and
start a server of its own, then start the web server and wait for its liveness answer, with no
migration and no demo. The install step is not timed here (it depends on the package cache,
not on CSOS); the README's figure comes from `time make install` with a warm cache.

    .venv/bin/python bench/first_page.py

It takes no --quick: each step runs once, as a new admin's first run does. The last line is
the JSON object every bench prints.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from csos.embedded_db import embedded_database  # noqa: E402

PYTHON = sys.executable
PAGE_TIMEOUT = 120  # seconds to wait for the web server's first answer
DEMO_TIMEOUT = 600  # seconds to wait for the demo workspace


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(url: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true"}
    env.pop("REDIS_URL", None)  # `make run` with nothing configured: eager tasks
    return env


def _first_answer(port: int, path: str, started: float) -> float:
    """Seconds from ``started`` to the web server's first 200 on ``path``."""
    while time.perf_counter() - started < PAGE_TIMEOUT:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
                if answer.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    raise RuntimeError(f"no answer on {path} after {PAGE_TIMEOUT} s")


def _demo_built(env: dict[str, str], started: float) -> tuple[float, int]:
    """Seconds from ``started`` until the demo build has committed, and its accounts."""
    while time.perf_counter() - started < DEMO_TIMEOUT:
        counted = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", _COUNT_DEMO_ACCOUNTS],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.splitlines()[-1]  # the shell may first list what it imported
        if int(counted):
            return time.perf_counter() - started, int(counted)
        time.sleep(1)
    raise RuntimeError(f"no demo workspace after {DEMO_TIMEOUT} s")


def _make_serve(env: dict[str, str], port: int) -> subprocess.Popen:
    return subprocess.Popen(
        ["make", "--no-print-directory", "serve", f"ADDR=127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its server, reloader and demo build stop with it
    )


def _bare_serve(env: dict[str, str], port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _served(start, env: dict[str, str], path: str) -> float:
    port = _free_port()
    started = time.perf_counter()
    server = start(env, port)
    try:
        return _first_answer(port, path, started)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()


def _started_server(data_dir: Path):
    started = time.perf_counter()
    database = embedded_database(data_dir=data_dir)
    url = database.__enter__()
    return database, url, time.perf_counter() - started


def _forget_compiled_modules() -> None:
    """As on a fresh clone and install: no module of the project or its packages compiled yet."""
    packages = (ROOT / ".venv").resolve()
    for cache in [*ROOT.glob("*/**/__pycache__"), *packages.glob("**/__pycache__")]:
        shutil.rmtree(cache, ignore_errors=True)


def main() -> dict:
    steps: dict[str, float] = {}
    _forget_compiled_modules()
    with tempfile.TemporaryDirectory(prefix="csos-first-page-") as folder:
        database, url, steps["start"] = _started_server(Path(folder) / "ours")
        try:
            env = _environment(url)
            port = _free_port()
            launched = time.perf_counter()
            served = _make_serve(env, port)
            try:
                steps["serve"] = _first_answer(port, "/login/", launched)
                demo_s, accounts = _demo_built(env, launched)
            finally:
                os.killpg(served.pid, signal.SIGTERM)
                served.wait()
        finally:
            database.__exit__(None, None, None)
        bare, bare_url, anchor_start = _started_server(Path(folder) / "bare")
        try:
            anchor_serve = _served(_bare_serve, _environment(bare_url), "/healthz")
        finally:
            bare.__exit__(None, None, None)
    ours = sum(steps.values())
    anchor = anchor_start + anchor_serve
    print(f"start     {steps['start']:6.1f} s", file=sys.stderr)
    print(f"serve     {steps['serve']:6.1f} s (migrate, then the sign-in page)", file=sys.stderr)
    print(f"total     {ours:6.1f} s; bare start + serve {anchor:.1f} s", file=sys.stderr)
    print(f"demo built {demo_s:5.1f} s after `make serve` began", file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "bench": "first_page",
        "unit": "s",
        "ours": round(ours, 2),
        "anchor": round(anchor, 2),
        "ratio": round(ours / anchor, 2),
        "peak_mb": round(peak, 1),
        "size": accounts,
        "demo_built_s": round(steps["start"] + demo_s, 2),
    }


_COUNT_DEMO_ACCOUNTS = (
    "from accounts.models import Account; "
    "print(Account.dangerously_unscoped.filter(workspace__is_demo=True).count())"
)


if __name__ == "__main__":
    print(json.dumps(main()))
