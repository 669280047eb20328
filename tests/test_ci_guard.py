"""Under CI=true the suite refuses to run without its real parts instead of skipping them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_it_fails_the_run_when_a_real_part_is_missing(tmp_path):
    env = {
        **os.environ,
        "CI": "true",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/csos",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "CSOS_CHROMIUM": str(tmp_path / "no-chromium"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/csos/test_tenancy.py", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 3, output
    for problem in ("PostgreSQL does not answer", "Redis does not answer", "no Chromium"):
        assert problem in output
