"""From nothing configured to the first page, as `make run` goes: each step timed.

Steps, on a new embedded PostgreSQL data folder (csos/embedded_db.py) in a temporary folder:
initialise and start the server, migrate, build the demo workspace, then start the web server
and wait for the sign-in page. The anchor is the bare minimum of the same path: initialise and
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


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(url: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true"}
    env.pop("REDIS_URL", None)  # `make run` with nothing configured: eager tasks
    return env


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _first_answer(env: dict[str, str], path: str) -> float:
    """Seconds from starting the web server to its first 200 on ``path``."""
    port = _free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < PAGE_TIMEOUT:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        raise RuntimeError(f"no answer on {path} after {PAGE_TIMEOUT} s")
    finally:
        server.terminate()
        server.wait()


def _started_server(data_dir: Path):
    started = time.perf_counter()
    database = embedded_database(data_dir=data_dir)
    url = database.__enter__()
    return database, url, time.perf_counter() - started


def main() -> dict:
    steps: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="csos-first-page-") as folder:
        database, url, steps["start"] = _started_server(Path(folder) / "ours")
        try:
            env = _environment(url)
            steps["migrate"] = _timed([PYTHON, "manage.py", "migrate", "--no-input"], env)
            steps["demo"] = _timed([PYTHON, "manage.py", "demo_workspace"], env)
            steps["serve"] = _first_answer(env, "/login/")
            accounts = subprocess.run(
                [PYTHON, "manage.py", "shell", "-c", _COUNT_ACCOUNTS],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.splitlines()[-1]  # the shell may first list what it imported
        finally:
            database.__exit__(None, None, None)
        bare, bare_url, anchor_start = _started_server(Path(folder) / "bare")
        try:
            anchor_serve = _first_answer(_environment(bare_url), "/healthz")
        finally:
            bare.__exit__(None, None, None)
    ours = sum(steps.values())
    anchor = anchor_start + anchor_serve
    for step, seconds in steps.items():
        print(f"{step:8} {seconds:6.1f} s")
    print(f"{'total':8} {ours:6.1f} s; bare start + serve {anchor:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "bench": "first_page",
        "unit": "s",
        "ours": round(ours, 2),
        "anchor": round(anchor, 2),
        "ratio": round(ours / anchor, 2),
        "peak_mb": round(peak, 1),
        "size": int(accounts),
    }


_COUNT_ACCOUNTS = "from accounts.models import Account; print(Account.dangerously_unscoped.count())"


if __name__ == "__main__":
    print(json.dumps(main()))
