"""The MCP server over stdio, as a local assistant starts it: ``manage.py mcp_stdio`` in a
process of its own, called through the SDK's stdio client."""

import os
import sys

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from csos.models import ApiScope
from tests.factories import AccountFactory
from tests.worker import worker_database_url

TIMEOUT = 60  # seconds for the process to start and answer on a loaded machine


def stdio_call(raw_token: str, tool: str, **arguments):
    server = StdioServerParameters(
        command=sys.executable,
        args=["manage.py", "mcp_stdio", "--token", raw_token],
        env={**os.environ, "DATABASE_URL": worker_database_url()},
        cwd=str(settings.BASE_DIR),
    )

    async def session_call():
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            result = await session.call_tool(tool, arguments)
            return {t.name for t in listed.tools}, result

    return async_to_sync(session_call)()


@pytest.mark.django_db(transaction=True)  # the server process reads committed rows only
def test_it_serves_the_tools_to_a_stdio_client_for_the_tokens_workspace(make_token, alpha, beta):
    mine = AccountFactory(workspace=alpha, name="Stdio Works", external_id="STDIO-1")
    AccountFactory(workspace=beta, name="Stdio Elsewhere", external_id="STDIO-2")
    raw = make_token(scopes=[ApiScope.READ])
    tools, result = stdio_call(raw, "search_accounts", query="stdio")
    assert {"search_accounts", "read_account", "list_csm_tasks", "value_coverage"} <= tools
    assert not result.isError, result.content
    assert [found["id"] for found in result.structuredContent["results"]] == [mine.pk]
