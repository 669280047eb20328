"""The README's run command on a machine with nothing configured: PostgreSQL from a wheel when no
DATABASE_URL is set, eager tasks, and every README example answering as the README says."""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg
import pytest
from psycopg import sql

from csos.embedded_db import database_answers
from tests.conftest import CHROMIUM, chromium_available, in_ci

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (ROOT / "Makefile").read_text()
README = (ROOT / "README.md").read_text()
# What `make run` exports: debug is off unless asked for, and the laptop trial asks.
MAKE_RUN_DEBUG = re.search(r"^run: export DEBUG := (\w+)$", MAKEFILE, re.MULTILINE).group(1)


def _recipe(target: str) -> str:
    return MAKEFILE.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]


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


def _database_url(name: str) -> str:
    """The suite's PostgreSQL server (the embedded one on a laptop with none), database ``name``."""
    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
def run_env():
    """`make run`'s environment: DEBUG as the Makefile exports it, no Redis, and a database of
    its own on the suite's PostgreSQL server, as `make run` makes on the embedded server."""
    name = f"csos_run_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_database_url("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dropped = {"REDIS_URL", "CI", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(DEBUG=MAKE_RUN_DEBUG, DATABASE_URL=_database_url(name), REDIS_URL="")
    yield env
    with psycopg.connect(_database_url("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def demo(run_env):
    """`make serve`'s first two steps; the demo's output as the terminal would show it."""
    _manage("migrate", "--no-input", env=run_env)
    return _manage("demo_workspace", "--accounts", "30", "--csms", "2", env=run_env)


@pytest.fixture(scope="module")
def site(run_env, demo, tmp_path_factory):
    """`make serve`'s last step: the development server, its output kept in a file."""
    log = tmp_path_factory.mktemp("runserver") / "output.log"
    port = _free_port()
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=run_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/login/", timeout=30).close()
            break
        except OSError:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the development server did not answer"
            time.sleep(0.2)
    yield base, log
    server.terminate()
    server.wait(timeout=10)


def _signed_in(base: str, username: str):
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    login_page = opener.open(f"{base}/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = {"csrfmiddlewaretoken": token, "username": username, "password": "csos-demo-2026"}
    landing = opener.open(f"{base}/login/", data=urllib.parse.urlencode(form).encode(), timeout=30)
    return opener, landing


def _counts(url: str) -> tuple[int, ...]:
    with psycopg.connect(url) as db:
        return tuple(
            db.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(table))).fetchone()[
                0
            ]
            for table in ("accounts_account", "accounts_arrmovement", "auth_user")
        )


def _readme_examples() -> list[tuple[str, str | None]]:
    """The Integration API section's shell blocks, each with the answer its last comment shows."""
    section = README.split("## Integration API", 1)[1].split("\n## ", 1)[0]
    examples = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL):
        answer = re.search(r"^# (\{.*)$", block, re.MULTILINE)
        examples.append((block, answer.group(1) if answer else None))
    return examples


def test_it_runs_the_readme_steps_on_the_embedded_server_unless_a_database_is_named():
    run_recipe, serve_recipe = _recipe("run"), _recipe("serve")
    assert "-m csos.embedded_db" in run_recipe and "serve" in run_recipe
    for step in ("migrate", "demo_workspace", "runserver", "celery -A csos worker"):
        assert step in serve_recipe
    # The site does not wait for the demo: the build runs beside the server, stopped with it.
    assert "demo_workspace & demo=$$!" in serve_recipe
    assert serve_recipe.index("demo_workspace &") < serve_recipe.index("runserver")
    assert "kill $$demo" in serve_recipe
    assert "ADDR=" in README


def test_it_runs_a_command_on_the_embedded_server_when_no_database_url_is_set():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    probe = (
        "import os, psycopg; "
        "print(psycopg.connect(os.environ['DATABASE_URL']).execute('SHOW data_directory')"
        ".fetchone()[0])"
    )
    run = subprocess.run(
        [sys.executable, "-m", "csos.embedded_db", sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "No DATABASE_URL: PostgreSQL runs from .pgdata/" in run.stdout
    assert run.stdout.strip().splitlines()[-1] == str(ROOT / ".pgdata")


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_it_stops_all_of_the_command_when_it_is_stopped(tmp_path):
    """A stop of `make run` reaches the web server its make started, before the database stops."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    started = tmp_path / "server.pid"
    launcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "csos.embedded_db",
            "sh",
            "-c",
            f"sleep 300 & echo $! > {started}; wait",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not started.exists() or not started.read_text().strip():
        assert launcher.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    server = int(started.read_text())
    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(timeout=60) == 0, "stopping the site is not a failure"
    deadline = time.monotonic() + 10
    while not _gone(server):
        assert time.monotonic() < deadline, "the command's own children outlived the stop"
        time.sleep(0.2)


def test_it_refuses_a_database_that_is_not_postgresql(run_env):
    for url, message in (
        ("", "DATABASE_URL must name a PostgreSQL database"),
        ("sqlite:///csos.sqlite3", "CSOS does not run on sqlite3"),
    ):
        with pytest.raises(subprocess.CalledProcessError) as refused:
            _manage("check", env={**run_env, "DATABASE_URL": url})
        assert message in refused.value.stderr


def test_it_builds_the_demo_once_with_no_progress_bars_in_a_log(run_env, demo):
    assert "csm1@demo.csos.example" in demo.stdout
    built = _counts(run_env["DATABASE_URL"])
    assert built[0] == 30
    again = _manage("demo_workspace", "--accounts", "30", "--csms", "2", env=run_env)
    assert _counts(run_env["DATABASE_URL"]) == built
    for output in (demo, again):
        # No progress bar redrawn into a log, no "Task ... succeeded" line, no warning.
        assert output.stderr == ""
        assert "succeeded in" not in output.stdout


def test_it_serves_the_demo_workspace_with_nothing_configured(site):
    base, _ = site
    opener, landing = _signed_in(base, "csm1@demo.csos.example")
    assert landing.geturl().endswith("/queue/")  # a CSM lands on their attention queue
    portfolio = opener.open(f"{base}/portfolio/", timeout=30)
    body = portfolio.read().decode()
    assert "Northwind Cloud" in body and "DEMO-" in body


def test_it_answers_every_readme_api_example_as_the_readme_shows(site):
    base, log = site
    examples = _readme_examples()
    script = "set -eu\n" + "".join(
        f"echo '@@example {n}'\n{block}\necho\n" for n, (block, _) in enumerate(examples)
    )
    run = subprocess.run(
        ["bash", "-c", script.replace("http://localhost:8000", base)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    output = log.read_text()
    assert "Traceback" not in output and "succeeded in" not in output
    answers = re.split(r"^@@example \d+\n", run.stdout, flags=re.MULTILINE)[1:]
    assert len(answers) == len(examples)
    assert any(answer is not None for _, answer in examples)
    for (block, shown), answer in zip(examples, answers, strict=True):
        if shown is None:
            assert answer.strip() == "", block
        elif "..." in shown:
            # An answer the README abridges: its pieces appear in order.
            position = 0
            for piece in (part.strip(" ,") for part in shown.split("...") if part.strip(" ,")):
                position = answer.index(piece, position) + len(piece)
        else:
            assert json.loads(answer) == json.loads(shown), block


def test_it_logs_a_refusal_as_one_line_without_a_traceback(site):
    base, log = site
    viewer, _ = _signed_in(base, "viewer@demo.csos.example")
    with pytest.raises(urllib.error.HTTPError) as refused:
        viewer.open(f"{base}/settings/api-tokens/", timeout=30)
    assert refused.value.code == 403
    time.sleep(0.5)  # the server writes its log line after the answer
    output = log.read_text()
    refusal = r"^Forbidden \(Permission denied\): /settings/api-tokens/$"
    assert len(re.findall(refusal, output, re.MULTILINE)) == 1
    assert "Traceback" not in output


def test_it_prints_each_development_log_line_once(run_env):
    shell = _manage(
        "shell",
        "-c",
        "import logging; logging.getLogger('django.utils.autoreload').info('Watching once')",
        env=run_env,
    )
    assert (shell.stdout + shell.stderr).count("Watching once") == 1


def test_it_tells_no_database_from_one_that_answers():
    assert database_answers(os.environ["DATABASE_URL"])
    assert not database_answers(f"postgres://postgres@127.0.0.1:{_free_port()}/csos")


# A slice of the suite that leans on what only PostgreSQL does (COPY, advisory locks, deferred
# composite keys) and a browser check against the live server, for the embedded fallback.
EMBEDDED_SLICE = (
    "tests/csos/test_tenant_wall.py",
    "tests/api/test_bulk_accounts.py",
    "tests/browser/test_journey.py::test_it_takes_a_csm_from_sign_in_to_an_account_and_out",
)


def test_it_runs_a_slice_of_the_suite_and_a_browser_check_on_the_embedded_server():
    """No PostgreSQL answers at DATABASE_URL and CI is unset: a laptop with nothing installed."""
    if not chromium_available() and not in_ci():
        pytest.skip(f"no Chromium at {CHROMIUM} for the browser check")
    # A name of its own: a suite already running on the embedded server keeps its test database.
    dead = f"postgres://postgres@127.0.0.1:{_free_port()}/csos_fallback"
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "DATABASE_URL"}}
    env["DATABASE_URL"] = dead
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--create-db", *EMBEDDED_SLICE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "database: embedded PostgreSQL" in output and "/csos_fallback?" in output
    assert "pg_ctl" not in output, "the embedded server's start and stop are not news"
    summary = output.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed", summary), summary
    assert "skipped" not in summary and "failed" not in summary and "error" not in summary, summary
    collected = int(re.search(r"collected (\d+) items", output).group(1))
    assert f"{collected} passed" in summary, summary
