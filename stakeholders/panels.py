"""The account page's stakeholder panels: each context a selector call with a fixed query count.

Map: 2 queries (people with their last engagement, the stakeholder model). Plan: 7 (thresholds,
plan facts, departures, interaction counts, then the plan, its objectives, its milestones).
Promises: 1. Timeline: 2 (interactions with next-action owners, their participants).
"""

from django.utils import timezone

from stakeholders import selectors
from stakeholders.forms import PromiseStatusForm
from stakeholders.services import account_can_work

TIMELINE_PANEL_SIZE = 6


def _can_work(request, account) -> bool:
    return account_can_work(membership=request.membership, account=account)


def stakeholder_map_panel(*, request, account) -> dict:
    return {
        "account": account,
        "map": selectors.stakeholder_map(account=account, today=timezone.localdate()),
    }


def success_plan_panel(*, request, account) -> dict:
    today = timezone.localdate()
    return {
        "account": account,
        "plan": selectors.active_plan(account=account),
        "flags": selectors.account_flag_list(account=account, today=today),
    }


def handoff_promises_panel(*, request, account) -> dict:
    return {
        "account": account,
        "promises": list(selectors.promise_list(account=account)),
        "promise_statuses": PromiseStatusForm.base_fields["status"].choices,
        "can_work": _can_work(request, account),
    }


def timeline_panel(*, request, account) -> dict:
    return {
        "account": account,
        "interactions": list(selectors.interaction_list(account=account)[:TIMELINE_PANEL_SIZE]),
        "can_work": _can_work(request, account),
    }


# The account-page panels, as the panel registry takes them: Panel(page="account", **spec).
ACCOUNT_PANELS = (
    {
        "key": "stakeholder-map",
        "title": "Stakeholders",
        "template": "stakeholders/panels/map.html",
        "context": stakeholder_map_panel,
        "order": 20,
    },
    {
        "key": "success-plan",
        "title": "Success plan",
        "template": "stakeholders/panels/plan.html",
        "context": success_plan_panel,
        "order": 30,
    },
    {
        "key": "handoff-promises",
        "title": "Promises",
        "template": "stakeholders/panels/promises.html",
        "context": handoff_promises_panel,
        "order": 40,
    },
    {
        "key": "timeline",
        "title": "Conversations",
        "template": "stakeholders/panels/timeline.html",
        "context": timeline_panel,
        "order": 50,
    },
)
