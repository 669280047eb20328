"""The MCP server: the read tools, behind the same token, scope, throttle and tenant wall as the
REST API, every call audited.

A call is authenticated by a workspace API token holding the ``read`` scope: over Streamable
HTTP it comes in the ``Authorization: Bearer`` header of each request; over stdio the operator
gives it once when starting the server. The workspace scope is set as the API sets it and reset
in a ``finally``, so nothing one call reads can leak into the next.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from asgiref.sync import sync_to_async
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from rest_framework import exceptions

from assistant import tools
from csos.api.base import ApiRateThrottle
from csos.api.tokens import token_authenticate
from csos.models import ApiScope, ApiToken
from csos.services import audit_record
from csos.tenancy import reset_scope, set_scope

INSTRUCTIONS = (
    "Read a CSOS workspace: find customer accounts, read one account's proven value, ladder, "
    "health drivers, stakeholders and open tasks, list a CSM's open tasks, and the "
    "workspace's value-proof coverage. Every call is audited."
)
# What the throttle sees of an MCP call: a read, as a GET to the API is.
_READ_VIEW = SimpleNamespace(required_scope=None)


def call_tool(*, raw_token: str | None, name: str, arguments: dict[str, Any]) -> dict:
    """Run tool ``name`` for the workspace of ``raw_token``; ``ToolError`` saying why not."""
    token = _authenticate(raw_token)
    throttle = ApiRateThrottle()
    if not throttle.allow_request(SimpleNamespace(method="GET", auth=token), _READ_VIEW):
        raise ToolError(f"Rate limit reached; try again in {int(throttle.wait() or 1)} seconds.")
    scope = set_scope(token.workspace)
    try:
        # Recorded before the tool runs, so a refused call is on the log too.
        audit_record(
            workspace=token.workspace,
            actor=None,
            action=f"mcp.{name}",
            obj=token,
            after={"arguments": arguments},
        )
        return TOOLS[name](**arguments)
    except tools.ToolRefused as refusal:
        raise ToolError(str(refusal)) from None
    finally:
        reset_scope(scope)


def _authenticate(raw_token: str | None) -> ApiToken:
    if not raw_token:
        raise ToolError("Send a workspace API token as `Authorization: Bearer <token>`.")
    try:
        token = token_authenticate(raw_token)
    except exceptions.AuthenticationFailed as refusal:
        raise ToolError(str(refusal.detail)) from None
    if ApiScope.READ not in token.scopes:
        raise ToolError(f"The token lacks the `{ApiScope.READ}` scope.")
    return token


TOOLS: dict[str, Callable[..., dict]] = {
    "search_accounts": tools.search_accounts,
    "read_account": tools.read_account,
    "list_csm_tasks": tools.list_csm_tasks,
    "value_coverage": tools.value_coverage,
}


def bearer_token(ctx: Context) -> str | None:
    """The token of the HTTP request behind ``ctx``; None over stdio and in memory."""
    request = ctx.request_context.request
    if request is None:
        return None
    keyword, _, raw = request.headers.get("authorization", "").partition(" ")
    return raw.strip() if keyword.lower() == "bearer" else None


def mcp_server(*, raw_token: str | None = None) -> FastMCP:
    """The server; ``raw_token`` authenticates every call (stdio), else each HTTP request's own."""
    server = FastMCP("CSOS", instructions=INSTRUCTIONS, stateless_http=True, json_response=True)

    async def run(ctx: Context, name: str, **arguments: Any) -> dict:
        return await sync_to_async(call_tool, thread_sensitive=True)(
            raw_token=raw_token or bearer_token(ctx), name=name, arguments=arguments
        )

    @server.tool(title="Search accounts")
    async def search_accounts(query: str, ctx: Context) -> dict[str, Any]:
        """Customer accounts whose name contains `query`, or whose external id or web domain is
        `query`; each as the REST API's account (owner, ARR, renewal, health, proven level)."""
        return await run(ctx, "search_accounts", query=query)

    @server.tool(title="Read an account")
    async def read_account(account_id: int, ctx: Context) -> dict[str, Any]:
        """One account: the account, its retention artifact (proven and unproven claims, next
        action), its value ladder per use case, its latest health with drivers, its
        stakeholders and its open tasks."""
        return await run(ctx, "read_account", account_id=account_id)

    @server.tool(title="List a CSM's tasks")
    async def list_csm_tasks(csm_email: str, ctx: Context) -> dict[str, Any]:
        """The open tasks assigned to the CSM with this e-mail, soonest due first."""
        return await run(ctx, "list_csm_tasks", csm_email=csm_email)

    @server.tool(title="Value-proof coverage")
    async def value_coverage(ctx: Context, by: str = "segment") -> dict[str, Any]:
        """How many active accounts (and how much ARR) have proven each ladder level, by
        `segment` or by `csm`."""
        return await run(ctx, "value_coverage", by=by)

    return server
