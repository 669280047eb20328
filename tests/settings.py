"""Settings of the test suite: the development profile, asked for explicitly.

Debug is off unless the environment asks for it, so the suite asks here, before the project's
settings read the environment. Subprocesses the tests start inherit the request.

The database is DATABASE_URL (from the environment or ``.env``), else the local PostgreSQL that
``make test`` names; when no server answers there, tests/conftest.py starts the embedded one.
"""

import os
from pathlib import Path

import environ

os.environ["DEBUG"] = "true"
DOTENV = Path(__file__).resolve().parent.parent / ".env"
if DOTENV.exists():
    environ.Env.read_env(DOTENV)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/csos")

from csos.settings import *  # noqa: E402, F403
