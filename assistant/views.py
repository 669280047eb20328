"""The MCP server's Streamable HTTP transport, served by Django under ``/mcp/``.

Stateless and answering in JSON: each POST carries its own token and is handled by a fresh
server, so any web worker answers any call and no session lives between requests. The SDK's
session manager speaks the transport; this view only hands it the request as ASGI.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt  # no cookie authenticates it: each request carries its bearer token
@require_POST  # stateless: no stream to open with GET, no session to end with DELETE
async def mcp_endpoint(request: HttpRequest) -> HttpResponse:
    if not request.headers.get("Authorization", "").lower().startswith("bearer "):
        refused = HttpResponse(
            "Send a workspace API token as `Authorization: Bearer <token>`.",
            status=401,
            content_type="text/plain",
        )
        refused.headers["WWW-Authenticate"] = 'Bearer realm="mcp"'
        return refused
    # The SDK takes longer to import than the rest of the URL configuration together: only
    # MCP calls load it, not every web process as it starts.
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    from assistant.server import mcp_server

    manager = StreamableHTTPSessionManager(
        app=mcp_server()._mcp_server, json_response=True, stateless=True
    )
    body = request.body
    response = {"status": 500, "headers": [], "body": b""}

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            response["status"] = message["status"]
            response["headers"] = message.get("headers", [])
        elif message["type"] == "http.response.body":
            response["body"] += message.get("body", b"")

    async with manager.run():
        await manager.handle_request(_asgi_scope(request), receive, send)
    answer = HttpResponse(response["body"], status=response["status"])
    for name, value in response["headers"]:
        if name.lower() != b"content-length":
            answer.headers[name.decode("latin-1")] = value.decode("latin-1")
    return answer


def _asgi_scope(request: HttpRequest) -> dict:
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in request.headers.items()
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.path.encode(),
        "root_path": "",
        "query_string": request.META.get("QUERY_STRING", "").encode("latin-1"),
        "headers": headers,
        "server": (request.get_host(), int(request.get_port())),
        "client": (request.META.get("REMOTE_ADDR") or "", 0),
    }
