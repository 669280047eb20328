"""The README's run command on a machine with nothing configured: SQLite, eager tasks."""

import http.cookiejar
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (ROOT / "Makefile").read_text()
# What `make run` exports: debug is off unless asked for, and the laptop trial asks.
MAKE_RUN_DEBUG = re.search(r"^run: export DEBUG := (\w+)$", MAKEFILE, re.MULTILINE).group(1)


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def bare_env(tmp_path):
    dropped = {"DATABASE_URL", "REDIS_URL", "CI", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'csos.sqlite3'}"
    env["DEBUG"] = MAKE_RUN_DEBUG
    return env


def _counts(database: str) -> tuple[int, int, int]:
    with sqlite3.connect(database) as db:
        return tuple(
            db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("accounts_account", "accounts_arrmovement", "auth_user")
        )


def test_it_runs_the_same_steps_as_the_readme():
    run_recipe = MAKEFILE.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    for step in ("migrate", "demo_workspace", "runserver", "celery -A csos worker"):
        assert step in run_recipe


def test_it_serves_the_demo_workspace_with_nothing_configured(bare_env, tmp_path):
    database = str(tmp_path / "csos.sqlite3")
    _manage("migrate", "--no-input", env=bare_env)
    first = _manage("demo_workspace", "--accounts", "30", "--csms", "2", env=bare_env)
    assert "csm1@demo.csos.example" in first.stdout
    built = _counts(database)
    _manage("demo_workspace", "--accounts", "30", "--csms", "2", env=bare_env)
    assert _counts(database) == built
    assert built[0] == 30

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=bare_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                login_page = opener.open(f"{base}/login/", timeout=30).read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "the development server did not answer"
                time.sleep(0.2)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "username": "csm1@demo.csos.example",
                "password": "csos-demo-2026",
            }
        ).encode()
        portfolio = opener.open(f"{base}/login/", data=form, timeout=30)
        body = portfolio.read().decode()
        assert portfolio.geturl().endswith("/portfolio/")
        assert "Northwind Cloud" in body and "DEMO-" in body
    finally:
        server.terminate()
        server.wait(timeout=10)
