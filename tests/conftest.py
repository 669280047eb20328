"""Shared fixtures: two workspaces and the people in them.

Alpha is the workspace under test: Alice (admin), Lena (leader), Bob and Carol (CSMs) and
Vera (viewer). Charlie is the admin of Beta, an outsider to Alpha who must see nothing of it.
"""

import os
import shutil
from contextlib import ExitStack, contextmanager

import environ
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client

from csos.celery import app as celery_app
from csos.demo_build import DEMO_BUILD_LOCK
from csos.embedded_db import database_answers, embedded_database
from csos.models import Role
from csos.tenancy import workspace_scope
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

CHROMIUM = os.environ.get("CSOS_CHROMIUM", "/usr/bin/chromium")
EMBEDDED_URL = pytest.StashKey[str]()


def redis_available() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def chromium_available() -> bool:
    return bool(shutil.which(CHROMIUM) or os.path.exists(CHROMIUM))


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def pytest_configure(config):
    """A laptop with no PostgreSQL answering at DATABASE_URL runs the suite on the embedded
    server (csos/embedded_db.py), stopped when the run ends. CI keeps its real server: there a
    silent server is an error (pytest_sessionstart)."""
    if in_ci() or database_answers(os.environ["DATABASE_URL"]):
        return
    # The database keeps the configured name, so runs for different URLs keep apart there too.
    name = environ.Env.db_url_config(os.environ["DATABASE_URL"])["NAME"]
    server = ExitStack()
    url = server.enter_context(embedded_database(database=name))
    config.add_cleanup(server.close)
    config.stash[EMBEDDED_URL] = url
    # No connection is open yet; subprocesses the tests start (workers, manage.py) follow.
    os.environ["DATABASE_URL"] = url
    embedded = environ.Env.db_url_config(url)
    database = settings.DATABASES["default"]
    database.update(embedded, OPTIONS={**database["OPTIONS"], **embedded.get("OPTIONS", {})})


def pytest_report_header(config):
    if EMBEDDED_URL in config.stash:
        return f"database: embedded PostgreSQL at {config.stash[EMBEDDED_URL]} (none answered)"
    return None


def pytest_sessionstart(session):
    """Under CI a missing real part is an error, never a silent skip."""
    if not in_ci():
        return
    problems = []
    if not database_answers(os.environ["DATABASE_URL"]):
        problems.append("PostgreSQL does not answer at DATABASE_URL")
    if not redis_available():
        problems.append("Redis does not answer at REDIS_URL")
    if not chromium_available():
        problems.append(f"no Chromium at {CHROMIUM}")
    if problems:
        pytest.exit("CI needs its real parts: " + "; ".join(problems), returncode=3)


@pytest.fixture(autouse=True, scope="session")
def eager_celery():
    """Tasks run in-process unless a test asks for the real worker (see tests/worker.py)."""
    celery_app.conf.task_always_eager = True
    yield


@pytest.fixture(autouse=True)
def read_streamed_responses_at_once(monkeypatch):
    """The test client leaves a streamed response unread; a browser or WSGI server reads and
    closes it before the next request. An export left unread keeps its server-side cursor, and
    the garbage collector would close that cursor in the middle of a later query on the same
    connection, which deadlocks psycopg. So tests read every stream when it arrives."""
    original = Client.request

    def request(self, **kwargs):
        response = original(self, **kwargs)
        if response.streaming:
            # Reading to the end closes the response as the test client's WSGI emulation does.
            response.streaming_content = [b"".join(response.streaming_content)]
        return response

    monkeypatch.setattr(Client, "request", request)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The production hasher is slow on purpose; tests need speed, not resistance."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _member(workspace, role, first_name):
    user = UserFactory(
        first_name=first_name,
        last_name="Tester",
        username=f"{first_name.lower()}@{workspace.slug}.example",
        email=f"{first_name.lower()}@{workspace.slug}.example",
    )
    MembershipFactory(workspace=workspace, user=user, role=role)
    return user


@pytest.fixture
def empty_cache():
    """Each test starts with an empty cache, and leaves one."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alpha(db):
    return WorkspaceFactory(name="Alpha Analytics", slug="alpha")


@pytest.fixture
def beta(db):
    return WorkspaceFactory(name="Beta Bikes", slug="beta")


@pytest.fixture
def alice(alpha):
    return _member(alpha, Role.ADMIN, "Alice")


@pytest.fixture
def lena(alpha):
    return _member(alpha, Role.LEADER, "Lena")


@pytest.fixture
def bob(alpha):
    return _member(alpha, Role.CSM, "Bob")


@pytest.fixture
def carol(alpha):
    return _member(alpha, Role.CSM, "Carol")


@pytest.fixture
def vera(alpha):
    return _member(alpha, Role.VIEWER, "Vera")


@pytest.fixture
def charlie(beta):
    return _member(beta, Role.ADMIN, "Charlie")


@pytest.fixture
def in_alpha(alpha):
    """Run the test body inside Alpha's workspace scope, as a request or task would."""
    with workspace_scope(alpha):
        yield alpha


@pytest.fixture
def alpha_objects(alpha, alice, bob):
    from tests.sweep import make_alpha_objects

    return make_alpha_objects(alpha, alice, bob)


@pytest.fixture
def login(client):
    """``login(user)`` returns the test client signed in as ``user``."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


# Tests that start, join or stop the embedded server on the project's .pgdata/ share it, so a
# parallel run (pytest-xdist's loadgroup) keeps them in one process, one after another.
SHARED_EMBEDDED_SERVER = ("tests/test_run_command.py", "tests/csos/test_embedded_db.py")


def pytest_collection_modifyitems(items):
    """The embedded server's tests come first, so that one process runs them while the others
    share out the rest. Tests that point the app's broker at a throwaway Redis run last (the
    sort is stable): a connection kombu keeps to that server, stopped afterwards, must meet no
    later test."""
    for item in items:
        if item.nodeid.startswith(SHARED_EMBEDDED_SERVER):
            item.add_marker(pytest.mark.xdist_group("embedded_server"))
    items.sort(
        key=lambda item: (
            item.get_closest_marker("broker_swap") is not None,
            not item.nodeid.startswith(SHARED_EMBEDDED_SERVER),
        )
    )


@contextmanager
def demo_build_elsewhere():
    """Another process in the middle of a demo build: a session of its own on the test
    database, connected as Django connects, holding the build's lock until it ends."""
    other = connection.get_new_connection(connection.get_connection_params())
    other.execute("SELECT pg_advisory_xact_lock(%s, %s)", DEMO_BUILD_LOCK)
    try:
        yield other
    finally:
        other.close()
