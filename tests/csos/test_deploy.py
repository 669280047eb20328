"""The production packaging: Dockerfile, docker-compose.yml, .env.example and the deploy checks.

No Docker engine is needed: the compose file is validated against the Compose specification,
the Dockerfile is read as text, and the production settings run in subprocesses, because
they are decided when Django starts.
"""

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml

from csos.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker", "beat")
# Security settings a developer's ./.env could weaken; blank means "use the settings default".
SECURITY_VARIABLES = (
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
)


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1].strip() + " "
            continue
        current += line
        keyword, _, arguments = current.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    return instructions


def dockerfile(keyword: str) -> list[str]:
    return [arguments for kw, arguments in dockerfile_instructions() if kw == keyword]


def image_healthcheck() -> list[str]:
    (healthcheck,) = dockerfile("HEALTHCHECK")
    return json.loads(re.search(r"\bCMD\s+(\[.*\])$", healthcheck).group(1))


def image_start_period() -> int:
    """Seconds of the HEALTHCHECK's --start-period."""
    (healthcheck,) = dockerfile("HEALTHCHECK")
    return int(re.search(r"--start-period=(\d+)s", healthcheck).group(1))


def makefile_recipe(target: str) -> list[str]:
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def settings_variables() -> set[str]:
    """Every environment variable csos/settings.py reads through env.* or env_bool/env_int."""
    source = (ROOT / "csos" / "settings.py").read_text()
    return set(re.findall(r"\benv(?:\.\w+|_\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A clean environment for the production profile, on the suite's PostgreSQL server (its
    maintenance database, which always exists: only the health check reads it)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "csos.example.com",
        "DATABASE_URL": urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres")),
        # Set but empty, so a REDIS_URL in a developer's ./.env cannot fill it in.
        "REDIS_URL": "",
    }
    env.update(dict.fromkeys(SECURITY_VARIABLES, ""))
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_validates_the_compose_file_against_the_compose_specification():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "version" not in compose(), "the top-level `version` key is obsolete"


def test_it_defines_every_service_with_a_healthcheck_where_one_makes_sense():
    services = compose()["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    assert services["db"]["image"] == "postgres:15"
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["redis"]["image"] == "redis:7"
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    worker_probe = " ".join(services["worker"]["healthcheck"]["test"])
    assert "celery -A csos inspect ping" in worker_probe
    assert "celery@$$HOSTNAME" in worker_probe
    # The web probe is the image's own HEALTHCHECK, so both are proved by one live test below.
    assert services["web"]["healthcheck"]["test"] == ["CMD", *image_healthcheck()]
    # One-shot and HTTP-less roles must not inherit the image's web probe.
    assert services["migrate"]["healthcheck"] == {"disable": True}
    assert services["beat"]["healthcheck"] == {"disable": True}


def test_it_migrates_before_web_and_the_workers_start():
    services = compose()["services"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--no-input"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["redis"]["condition"] == "service_healthy", name


def test_it_runs_every_app_service_from_one_image_in_the_production_profile():
    services = compose()["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert images == {"${CSOS_IMAGE:-csos:latest}"}
    for name in APP_SERVICES:
        service = services[name]
        environment = service["environment"]
        assert service["build"]["context"] == ".", name
        assert environment["DEBUG"] == "false", name
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY"), "never a literal secret"
        assert re.fullmatch(r"postgres://csos:\S+@db:5432/csos", environment["DATABASE_URL"])
        assert environment["REDIS_URL"] == "redis://redis:6379/0", name
        assert environment["ALLOWED_HOSTS"].startswith("${ALLOWED_HOSTS"), name
        assert environment["SECURE_SSL_REDIRECT"].startswith("${SECURE_SSL_REDIRECT"), name
    assert services["web"]["command"][:2] == ["gunicorn", "csos.wsgi"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "csos", "worker"]


def test_it_runs_beat_once_with_its_schedule_on_a_volume():
    services = compose()["services"]
    beat = services["beat"]
    assert beat["command"][:4] == ["celery", "-A", "csos", "beat"]
    schedule = next(arg for arg in beat["command"] if arg.startswith("--schedule="))
    mounts = [volume.split(":")[1] for volume in beat["volumes"]]
    assert any(schedule.removeprefix("--schedule=").startswith(mount + "/") for mount in mounts)
    assert "deploy" not in beat and "scale" not in beat, "beat must stay a single replica"
    assert "beat" not in " ".join(services["worker"]["command"]), "no second scheduler in workers"


def test_it_publishes_postgres_and_redis_on_loopback_only():
    services = compose()["services"]
    assert services["db"]["ports"] == ["127.0.0.1:5432:5432"]
    assert services["redis"]["ports"] == ["127.0.0.1:6379:6379"]
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    for name in ("migrate", "worker", "beat"):
        assert "ports" not in services[name], name


def test_it_installs_dependencies_with_the_readme_step():
    runs = dockerfile("RUN")
    assert any(re.match(r"make install\b", run) for run in runs), runs
    install = makefile_recipe("install")
    assert any("uv pip sync" in line and "requirements/base.txt" in line for line in install)
    assert dockerfile("FROM") == ["python:3.11-slim"]


def test_it_builds_a_non_root_image_with_collected_static_files():
    runs = dockerfile("RUN")
    collectstatic = next(run for run in runs if "collectstatic" in run)
    assert "DEBUG=false" in collectstatic
    assert "--no-input" in collectstatic
    users = dockerfile("USER")
    assert users, "the image must drop root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert dockerfile("EXPOSE") == ["8000"]
    assert "/healthz" in image_healthcheck()[-1]
    cmd = json.loads(dockerfile("CMD")[-1])
    assert cmd[:2] == ["gunicorn", "csos.wsgi"]
    assert "gunicorn.conf.py" in cmd


def test_it_keeps_secrets_and_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".git", ".venv", ".pgdata", "staticfiles"} <= ignored


def test_it_lists_every_setting_in_env_example():
    lines = (ROOT / ".env.example").read_text().splitlines()
    listed = {}
    for number, line in enumerate(lines):
        match = re.match(r"([A-Z][A-Z0-9_]*)=", line)
        if match:
            assert lines[number - 1].startswith("# "), f"{match.group(1)} needs a comment"
            listed[match.group(1)] = line
    read = settings_variables()
    assert "ALLOWED_HOSTS" in read and "DATABASE_URL" in read, "the settings scan went blind"
    assert read <= set(listed), f"missing from .env.example: {sorted(read - set(listed))}"
    assert listed["DEBUG"] == "DEBUG=false"
    assert listed["SECRET_KEY"] == "SECRET_KEY=", "an example must not ship a usable key"


def test_it_passes_the_deploy_checks_under_production_settings(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY must be set"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS must list"),
    ],
)
def test_it_refuses_to_start_in_production_without(tmp_path, variable, message):
    result = manage("check", env=production_env(tmp_path, **{variable: ""}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_it_refuses_a_chunk_threshold_not_below_the_visibility_timeout(tmp_path):
    environment = production_env(
        tmp_path, HEALTH_CHUNK_STALE_SECONDS="600", CELERY_VISIBILITY_TIMEOUT_SECONDS="600"
    )
    result = manage("check", env=environment)
    assert result.returncode != 0
    assert "HEALTH_CHUNK_STALE_SECONDS must be above 0 and below" in result.stderr


def test_it_keeps_debug_off_when_the_environment_does_not_ask_for_it(tmp_path):
    environment = production_env(tmp_path)
    del environment["DEBUG"]
    result = manage(
        "shell", "-c", "from django.conf import settings; print(settings.DEBUG)", env=environment
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_not_asked_for(tmp_path):
    environment = production_env(tmp_path, SECRET_KEY="")
    del environment["DEBUG"]
    result = manage("check", env=environment)
    assert "SECRET_KEY must be set" in result.stderr
    assert "set DEBUG=true" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_it_answers_the_image_healthcheck_behind_the_production_settings(tmp_path):
    """Gunicorn with gunicorn.conf.py, SSL redirect and a strict ALLOWED_HOSTS: the probe passes."""
    env = production_env(
        tmp_path,
        PORT=str(free_port()),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        ALLOWED_HOSTS=".example.com,localhost",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "csos.wsgi", "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stdout.read()
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", int(env["PORT"]))) == 0:
                    break
            assert time.monotonic() < deadline, "gunicorn did not start listening"
            time.sleep(0.2)
        # The image runs `python` from /opt/venv; here that is this interpreter. Docker gives a
        # starting container its start period before a failed probe counts; so does this.
        probe = [sys.executable, *image_healthcheck()[1:]]
        deadline = time.monotonic() + image_start_period()
        while True:
            result = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=30)
            if result.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert result.returncode == 0, result.stderr
        # The same request without the probe's headers is refused: the headers are load-bearing.
        bare = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import urllib.request; urllib.request.urlopen("
                f"'http://127.0.0.1:{env['PORT']}/healthz', timeout=5)",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert bare.returncode != 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    log = server.stdout.read()
    assert '"GET /healthz HTTP/1.1" 200' in log, "access log goes to stdout"


def test_it_keeps_workers_running_through_redis_restarts():
    """Workers retry the broker forever, channel errors included, and compose restarts a
    worker or beat that exits anyway (tests/test_worker_broker_restart.py runs the real one)."""
    conf = celery_app.conf
    assert conf.broker_connection_retry_on_startup is True
    assert conf.broker_connection_retry is True
    assert conf.broker_connection_max_retries is None
    assert conf.broker_channel_error_retry is True
    assert conf.broker_transport_options["visibility_timeout"] >= 60 * 60
    services = compose()["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["restart"] == "unless-stopped", name
