"""The WSGI application, which reads request bodies sent in chunks.

Django reads a body only as far as its Content-Length, so a body sent with
``Transfer-Encoding: chunked`` and no length arrived empty (a 400 for "no records"). Servers
that decode chunked bodies and end the input where the body ends (gunicorn sets
``wsgi.input_terminated``) get the body read here, bounded, and handed on with its length.
A server that cannot (Django's development server) answers 411, saying to send a length.
"""

import io
import json
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csos.settings")


def _problem(start_response, status: str, code: str, detail: str) -> list[bytes]:
    status_code, title = status.split(" ", 1)
    body = json.dumps(
        {
            "type": f"urn:csos:problem:{code}",
            "title": title,
            "status": int(status_code),
            "detail": detail,
        }
    ).encode()
    start_response(
        status,
        [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body)))],
    )
    return [body]


class ChunkedBodies:
    """WSGI middleware: a chunked body without Content-Length is read whole, up to the larger
    of DATA_UPLOAD_MAX_MEMORY_SIZE and FILE_UPLOAD_MAX_MEMORY_SIZE (413 past it), where the
    server ends the input at the body's end, and refused with 411 where it does not."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked or environ.get("CONTENT_LENGTH"):
            return self.app(environ, start_response)
        if not environ.get("wsgi.input_terminated"):
            return _problem(
                start_response,
                "411 Length Required",
                "length-required",
                "This server cannot read a body sent in chunks: send it with a Content-Length.",
            )
        limit = max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
        body = environ["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            return _problem(
                start_response,
                "413 Content Too Large",
                "too-large",
                f"A request body is at most {limit:,} bytes; send less in one request.",
            )
        environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        return self.app(environ, start_response)


application = ChunkedBodies(get_wsgi_application())
