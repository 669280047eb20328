"""Bodies sent with ``Transfer-Encoding: chunked`` and no Content-Length: read under gunicorn,
which ends the input where the body ends; refused with 411 by a server that cannot."""

import contextlib
import http.client
import io
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import orjson
import pytest
from django.conf import settings
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.urls import reverse

from accounts.models import Account
from csos.wsgi import application
from tests.worker import free_port, worker_database_url

START_TIMEOUT = 90  # seconds; a loaded machine is slow to import Django
RECORDS = {"records": [{"external_id": "CRM-1", "name": "Chunked Co"}]}


def post_chunked(port: int, path: str, headers: dict[str, str], body: bytes):
    """POST ``body`` in 7-byte chunks without a Content-Length; (status, body, content type).

    The request goes out in one write, so a server that answers before reading it (411) does
    not break the pipe under the client."""
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(piece), piece)
        for piece in (body[start : start + 7] for start in range(0, len(body), 7))
    )
    head = "".join(
        f"{name}: {value}\r\n"
        for name, value in {
            "Host": "localhost",
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
            "Connection": "close",
            **headers,
        }.items()
    )
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + chunks + b"0\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read(), response.getheader("Content-Type")


def answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", reverse("healthz"), headers={"Host": "localhost"})
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def running_gunicorn() -> Iterator[int]:
    """gunicorn serving csos.wsgi with gunicorn.conf.py, on the test database."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "csos.wsgi", "--config", "gunicorn.conf.py"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert server.poll() is None, "gunicorn exited"
            if answers(port):
                break
            assert time.monotonic() < deadline, "gunicorn did not answer"
            time.sleep(0.3)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_it_reads_a_chunked_body_under_gunicorn(transactional_db, make_token):
    headers = {"Authorization": f"Bearer {make_token()}"}
    with running_gunicorn() as port:
        status, body, _ = post_chunked(
            port, reverse("api-account-bulk"), headers, orjson.dumps(RECORDS)
        )
    assert status == 200, body
    assert orjson.loads(body)["created"] == 1
    assert Account.dangerously_unscoped.get().name == "Chunked Co"


@pytest.fixture
def development_server() -> Iterator[int]:
    """The application under Django's development server (``runserver``), in a thread."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(application)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_it_answers_411_where_the_server_cannot_read_a_chunked_body(db, development_server):
    status, body, content_type = post_chunked(
        development_server, reverse("api-account-bulk"), {}, orjson.dumps(RECORDS)
    )
    assert status == 411
    assert content_type == "application/problem+json"
    assert "Content-Length" in orjson.loads(body)["detail"]
    assert not Account.dangerously_unscoped.exists()


def test_it_answers_413_to_a_chunked_body_over_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": reverse("api-account-bulk"),
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(b"x" * 101),
        "wsgi.input_terminated": True,
    }
    answered = []
    body = b"".join(application(environ, lambda status, headers: answered.append(status)))
    assert answered == ["413 Content Too Large"]
    assert "100 bytes" in orjson.loads(body)["detail"]
