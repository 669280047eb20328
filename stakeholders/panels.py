"""The account page's stakeholder panels: each context a selector call with a fixed query count.

Map: 2 queries (people with their last engagement, the stakeholder model). Plan: 9 (thresholds,
plan facts, departures, meetings, plan changes, evidence changes, then the plan, its
objectives, its milestones).
Promises: 1. Timeline: 2 (interactions with next-action owners, their participants). The
templates read ``can_edit`` from the account page for the links and forms that write.
"""

from django.utils import timezone

from csos.panels import Panel
from stakeholders import selectors
from stakeholders.forms import PromiseStatusForm

TIMELINE_PANEL_SIZE = 6


def stakeholder_map_panel(*, request, account) -> dict:
    return {"map": selectors.stakeholder_map(account=account, today=timezone.localdate())}


def success_plan_panel(*, request, account) -> dict:
    return {
        "plan": selectors.active_plan(account=account),
        "flags": selectors.account_flag_list(account=account, today=timezone.localdate()),
    }


def handoff_promises_panel(*, request, account) -> dict:
    return {
        "promises": list(selectors.promise_list(account=account)),
        "promise_statuses": PromiseStatusForm.base_fields["status"].choices,
    }


def timeline_panel(*, request, account) -> dict:
    return {"interactions": list(selectors.interaction_list(account=account)[:TIMELINE_PANEL_SIZE])}


ACCOUNT_PANELS = (
    Panel(
        page="account",
        key="stakeholder-map",
        title="Stakeholders",
        template="stakeholders/panels/map.html",
        context=stakeholder_map_panel,
        order=20,
        query_budget=2,
    ),
    Panel(
        page="account",
        key="success-plan",
        title="Success plan",
        template="stakeholders/panels/plan.html",
        context=success_plan_panel,
        order=30,
        query_budget=9,
    ),
    Panel(
        page="account",
        key="handoff-promises",
        title="Promises from the sales handoff",
        template="stakeholders/panels/promises.html",
        context=handoff_promises_panel,
        order=40,
        query_budget=1,
    ),
    Panel(
        page="account",
        key="timeline",
        title="Conversations",
        template="stakeholders/panels/timeline.html",
        context=timeline_panel,
        order=50,
        query_budget=2,
    ),
)
