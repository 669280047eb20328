"""The MCP tools, called through the SDK's own client: the API's answers, inside the wall."""

import json

import pytest
from asgiref.sync import async_to_sync
from django.urls import reverse
from mcp.shared.memory import create_connected_server_and_client_session

from accounts.models import Account
from assistant.server import mcp_server
from csos.models import ApiScope, AuditEvent
from playbooks.models import Task
from tests.api.conftest import ApiClient
from tests.factories import AccountFactory
from tests.sweep import MARKERS


def call(raw_token, tool, **arguments):
    """The tool's result through an in-process MCP client session, in this test's thread so it
    sees the test's rows."""

    async def session_call():
        async with create_connected_server_and_client_session(
            mcp_server(raw_token=raw_token)
        ) as session:
            return await session.call_tool(tool, arguments)

    return async_to_sync(session_call)()


def answer(raw_token, tool, **arguments) -> dict:
    result = call(raw_token, tool, **arguments)
    assert not result.isError, result.content
    return result.structuredContent


def api_results(raw_token, url, **params) -> list:
    response = ApiClient(raw_token).get(url, **params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def alpha_account(alpha_objects, bob):
    account = alpha_objects[Account]
    Task.dangerously_unscoped.filter(workspace=account.workspace).update(assignee=bob)
    Account.dangerously_unscoped.filter(pk=account.pk).update(domain="alpha-secret.example")
    return account


@pytest.mark.django_db
def test_it_reads_an_account_as_the_api_shows_its_parts(make_token, alpha_account):
    raw = make_token(scopes=[ApiScope.READ])
    read = answer(raw, "read_account", account_id=alpha_account.pk)
    api = ApiClient(raw)
    detail = api.get(reverse("api-account-detail", args=[alpha_account.pk])).json()
    assert read["account"] == detail
    assert read["stakeholders"] == api_results(
        raw, reverse("api-stakeholder-list"), account_external_id=alpha_account.external_id
    )
    assert read["open_tasks"] == api_results(
        raw, reverse("api-task-list"), account=alpha_account.pk, status="open"
    )
    assert (
        read["health"]
        == api_results(
            raw, reverse("api-health-snapshot-list"), account=alpha_account.pk, ordering="-week"
        )[0]
    )
    evidence = api_results(raw, reverse("api-evidence-list"), account=alpha_account.pk)
    artifact = read["retention_artifact"]
    shown = artifact["proven"] + [
        {k: v for k, v in row.items() if k != "reason"} for row in artifact["unproven"]
    ]
    assert sorted(shown, key=lambda row: row["id"]) == evidence
    assert artifact["next_action"] == "ALPHA-SECRET-NEXT-ACTION"
    assert [row["use_case_name"] for row in read["ladder"]] == ["ALPHA-SECRET-USE-CASE"]


@pytest.mark.django_db
def test_it_finds_accounts_by_name_external_id_or_domain_as_the_api_lists_them(
    make_token, alpha, alpha_account
):
    AccountFactory(workspace=alpha, name="Unrelated Ltd")
    raw = make_token(scopes=[ApiScope.READ])
    listed = api_results(raw, reverse("api-account-list"), external_id="ALPHA-EXT-777")
    for query in ("secret-acc", "alpha-ext-777", "ALPHA-SECRET.example"):
        assert answer(raw, "search_accounts", query=query)["results"] == listed


@pytest.mark.django_db
def test_it_lists_a_csms_open_tasks_as_the_api_does(make_token, alpha_account, bob):
    raw = make_token(scopes=[ApiScope.READ])
    tasks = answer(raw, "list_csm_tasks", csm_email=bob.email.upper())["results"]
    assert tasks == api_results(
        raw, reverse("api-task-list"), assignee_email=bob.email, status="open"
    )
    assert len(tasks) == 1


@pytest.mark.django_db
def test_it_answers_value_coverage_as_the_api_does(make_token, alpha_account):
    raw = make_token(scopes=[ApiScope.READ])
    for by in ("segment", "csm"):
        api = ApiClient(raw).get(reverse("api-value-coverage"), by=by).json()
        assert answer(raw, "value_coverage", by=by) == api
    assert call(raw, "value_coverage", by="region").isError


@pytest.mark.django_db
def test_it_shows_nothing_of_another_workspace_through_any_tool(
    make_token, beta, charlie, alpha_account, bob
):
    raw = make_token(workspace=beta, by=charlie, scopes=[ApiScope.READ])
    calls = [
        ("search_accounts", {"query": query})
        for query in ("ALPHA-SECRET-ACCOUNT", "ALPHA-EXT-777", "alpha-secret.example")
    ] + [
        ("read_account", {"account_id": alpha_account.pk}),
        ("list_csm_tasks", {"csm_email": bob.email}),
        ("value_coverage", {"by": "segment"}),
        ("value_coverage", {"by": "csm"}),
    ]
    for tool, arguments in calls:
        result = call(raw, tool, **arguments)
        shown = json.dumps(result.structuredContent) + "".join(
            getattr(block, "text", "") for block in result.content
        )
        for marker in MARKERS:
            assert marker not in shown, f"{tool} shows {marker}"
    assert call(raw, "read_account", account_id=alpha_account.pk).isError


@pytest.mark.django_db
def test_it_refuses_a_token_without_the_read_scope_or_none_at_all(make_token, alpha_account):
    for raw, reason in (
        (make_token(scopes=[ApiScope.INGEST]), "lacks the `read` scope"),
        (None, "Bearer"),
        ("csos_nope_nope", "not valid"),
    ):
        result = call(raw, "read_account", account_id=alpha_account.pk)
        assert result.isError
        assert reason in result.content[0].text


@pytest.mark.django_db
def test_it_audits_every_call_with_its_arguments(make_token, alpha, alpha_account):
    raw = make_token(scopes=[ApiScope.READ])
    answer(raw, "read_account", account_id=alpha_account.pk)
    call(raw, "read_account", account_id=0)
    audited = AuditEvent.dangerously_unscoped.filter(workspace=alpha, action="mcp.read_account")
    assert sorted(event.after["arguments"]["account_id"] for event in audited) == [
        0,
        alpha_account.pk,
    ]


@pytest.mark.django_db
def test_it_limits_the_calls_of_a_token_at_the_apis_read_rate(make_token, alpha_account, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "read": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    raw = make_token(scopes=[ApiScope.READ])
    assert not call(raw, "value_coverage").isError
    assert ApiClient(raw).get(reverse("api-account-list")).status_code == 200
    refused = call(raw, "value_coverage")
    assert refused.isError
    assert "Rate limit" in refused.content[0].text


def http_post(client, raw_token, tool, **arguments):
    headers = {"Accept": "application/json, text/event-stream"}
    if raw_token:
        headers["Authorization"] = f"Bearer {raw_token}"
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments},
    }
    return client.post(
        reverse("mcp"), json.dumps(message), content_type="application/json", headers=headers
    )


def http_call(client, raw_token, tool, **arguments):
    response = http_post(client, raw_token, tool, **arguments)
    assert response.status_code == 200, response.content
    return response.json()["result"]


@pytest.mark.django_db
def test_it_serves_the_tools_over_streamable_http_with_each_requests_token(
    client, make_token, beta, charlie, alpha_account
):
    raw = make_token(scopes=[ApiScope.READ])
    over_http = http_call(client, raw, "read_account", account_id=alpha_account.pk)
    assert over_http["structuredContent"] == answer(
        raw, "read_account", account_id=alpha_account.pk
    )
    foreign = make_token(workspace=beta, by=charlie, scopes=[ApiScope.READ])
    assert http_call(client, foreign, "read_account", account_id=alpha_account.pk)["isError"]
    unsigned = http_post(client, None, "value_coverage")
    assert unsigned.status_code == 401
    assert unsigned["WWW-Authenticate"].startswith("Bearer")
    assert client.get(reverse("mcp"), headers={"Authorization": f"Bearer {raw}"}).status_code == 405
