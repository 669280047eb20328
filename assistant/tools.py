"""What each MCP tool answers, in the REST API's own shapes.

Each function runs inside the token's workspace scope and returns JSON-safe data rendered by the
API's renderer from the API's serializers, so an assistant reads exactly what an integration
reading the same thing through the REST API would.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone
from rest_framework.settings import api_settings

from accounts import selectors as account_selectors
from accounts.api.serializers import AccountOutputSerializer
from health import selectors as health_selectors
from health.api.serializers import HealthSnapshotOutputSerializer
from playbooks import selectors as playbook_selectors
from playbooks.api.serializers import TaskOutputSerializer
from stakeholders import selectors as stakeholder_selectors
from stakeholders.api.serializers import StakeholderOutputSerializer
from value import selectors as value_selectors
from value.api.serializers import EvidenceOutputSerializer, coverage_document
from value.selectors import coverage as coverage_selectors

SEARCH_LIMIT = 25  # an assistant narrows its question rather than paging through a portfolio
TASK_LIMIT = 200


class ToolRefused(Exception):
    """The tool cannot answer; the message says why, as the API's 404 or 400 would."""


def rendered(data: Any) -> Any:
    """``data`` as the API's renderer writes it (decimals as strings, dates in ISO form)."""
    if data is None:
        return None  # the renderer writes no body for it
    renderer = api_settings.DEFAULT_RENDERER_CLASSES[0]()
    return json.loads(renderer.render(data))


def search_accounts(*, query: str) -> dict:
    if not query.strip():
        raise ToolRefused("query: give part of a name, an external id or a web domain.")
    accounts = account_selectors.account_api_search(query=query)[:SEARCH_LIMIT]
    return {"results": rendered(AccountOutputSerializer(accounts, many=True).data)}


def read_account(*, account_id: int) -> dict:
    account = account_selectors.account_api_rows().filter(pk=account_id).first()
    if account is None:
        raise ToolRefused(f"account_id: no account {account_id} in this workspace.")
    snapshot = health_selectors.latest_snapshot(account=account)
    return {
        "account": rendered(AccountOutputSerializer(account).data),
        "retention_artifact": _retention_artifact(account),
        "ladder": [
            {
                "use_case_id": row.pursuit.use_case_id,
                "use_case_name": row.pursuit.use_case.name,
                "level": row.level,
                "steps": row.steps,
            }
            for row in value_selectors.account_ladder(account=account)
        ],
        "health": rendered(HealthSnapshotOutputSerializer(snapshot).data) if snapshot else None,
        "stakeholders": rendered(
            StakeholderOutputSerializer(
                stakeholder_selectors.account_stakeholder_rows(account=account), many=True
            ).data
        ),
        "open_tasks": rendered(
            TaskOutputSerializer(
                playbook_selectors.open_tasks().filter(account=account), many=True
            ).data
        ),
    }


def _retention_artifact(account) -> dict:
    artifact = value_selectors.retention_artifact(account=account)
    stored = artifact["artifact"]
    return {
        "proven": rendered(
            EvidenceOutputSerializer(
                [row["evidence"] for row in artifact["proven"]], many=True
            ).data
        ),
        "unproven": [
            {**rendered(EvidenceOutputSerializer(row["evidence"]).data), "reason": row["reason"]}
            for row in artifact["unproven"]
        ],
        "next_action": stored.next_action if stored else "",
        "next_action_owner": stored.owner.email if stored and stored.owner else None,
        "next_action_due_on": rendered(stored and stored.due_on),
        "value_delta": rendered(artifact["value_delta"]),
    }


def list_csm_tasks(*, csm_email: str) -> dict:
    tasks = playbook_selectors.open_tasks(assignee_email=csm_email.strip())[:TASK_LIMIT]
    return {"results": rendered(TaskOutputSerializer(tasks, many=True).data)}


def value_coverage(*, by: str) -> dict:
    if by not in {"segment", "csm"}:
        raise ToolRefused('by: one of "segment" or "csm".')
    coverage = coverage_selectors.value_coverage(by=by, as_of=timezone.localdate())
    return rendered(coverage_document(coverage))
