"""Triggers: reads that find the firings of the built-in playbooks, a fixed number of queries
each, whatever the number of accounts. Each reads its threshold from the workspace's settings,
passed in by the service that runs it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from accounts.models import Account, AccountStatus
from health.models import Band, HealthModel, HealthSnapshot
from playbooks import rules
from playbooks.models import Task, TaskStatus
from playbooks.playbooks import Firing
from stakeholders.models import KEY_ROLES, Interaction, StakeholderChange, SuccessPlan

# How long after its plan deadline an account without a success plan still fires the trigger;
# older accounts predate the rule.
SUCCESS_PLAN_GRACE_DAYS = 30
# How far back the band an account was last firmly in is looked for.
HYSTERESIS_WEEKS = 12

BAND_OF_RANK = {rules.GREEN: Band.GREEN, rules.YELLOW: Band.YELLOW, rules.RED: Band.RED}


def _band_thresholds(*, margin: float) -> dict[str, rules.BandThresholds]:
    return {
        name: rules.BandThresholds(red_below=red, green_above=green, margin=margin)
        for name, red, green in HealthModel.objects.values_list("name", "red_below", "green_above")
    }


def band_firings(*, week: dt.date, margin: float, expansion_usage: float) -> list[Firing]:
    """Firings of the snapshots of ``week`` that enter a band (see ``rules.band_entered``):
    Red fires the save play and a worsening from Green to Yellow the outreach, once per account
    and week; an improvement fires no save or outreach, and Green with a usage score of
    ``expansion_usage`` or more (room to sell more seats) the expansion."""
    history = defaultdict(list)
    for account_id, total in (
        HealthSnapshot.objects.filter(
            week__gt=week - dt.timedelta(weeks=HYSTERESIS_WEEKS), week__lt=week
        )
        .order_by("account_id", "week")
        .values_list("account_id", "total")
    ):
        history[account_id].append(total)
    by_model = _band_thresholds(margin=margin)
    defaults = rules.BandThresholds(
        red_below=HealthModel._meta.get_field("red_below").default,
        green_above=HealthModel._meta.get_field("green_above").default,
        margin=margin,
    )
    firings = []
    for account_id, total, scores, model_name in HealthSnapshot.objects.filter(
        week=week
    ).values_list("account_id", "total", "scores", "model_name"):
        entry = rules.band_entered(
            [*history[account_id], total], by_model.get(model_name, defaults)
        )
        if entry is None:
            continue
        was = "no firm band" if entry.before is None else BAND_OF_RANK[entry.before].label
        if entry.band == rules.RED:
            playbook = "save"
        elif entry.band == rules.YELLOW and entry.worsened:
            playbook = "outreach"
        elif entry.band == rules.GREEN and (scores.get("usage") or 0) >= expansion_usage:
            playbook = "expansion"
        else:
            continue
        label = BAND_OF_RANK[entry.band].label
        firings.append(
            Firing(
                playbook,
                account_id,
                cause=playbook,
                occasion=week.isoformat(),
                reason=f"Health {total:g}, {label} (was {was})",
            )
        )
    return firings


def renewal_firings(*, today: dt.date, windows: tuple[int, ...]) -> list[Firing]:
    """Accounts inside a renewal window (days before the date, widest first): the narrowest
    window entered fires once per renewal date, whichever day the run first sees it."""
    renewing = Account.objects.filter(
        status=AccountStatus.ACTIVE,
        renewal_date__gte=today,
        renewal_date__lte=today + dt.timedelta(days=max(windows)),
    ).values_list("pk", "renewal_date")
    firings = []
    for account_id, renewal in renewing:
        days = (renewal - today).days
        window = rules.renewal_window(days, windows)
        firings.append(
            Firing(
                "renewal",
                account_id,
                cause="renewal",
                occasion=f"{renewal}:{window}",
                reason=f"Renewal on {renewal:%d %b %Y}: {window}-day checkpoint, {days} days away",
            )
        )
    return firings


def key_departure_firings(*, today: dt.date, signal_days: int) -> list[Firing]:
    """An Owner or Champion who left within the workspace's departure signal window (the one
    its flag reads), once per departure."""
    changes = StakeholderChange.objects.filter(
        role__in=KEY_ROLES,
        left_on__gte=today - dt.timedelta(days=signal_days),
        left_on__lte=today,
    ).values_list("pk", "account_id", "role", "stakeholder__name", "left_on")
    return [
        Firing(
            "remap",
            account_id,
            cause="remap",
            occasion=str(change_id),
            reason=f"{role.title()} {name} left on {left_on:%d %b %Y}",
        )
        for change_id, account_id, role, name, left_on in changes
    ]


def next_action_firings(*, today: dt.date, lookback_days: int) -> list[Firing]:
    """Interactions of the last ``lookback_days`` that agreed a next action with a due date:
    a task each, due then, for the action's owner (the account's owner when it names none)."""
    actions = (
        Interaction.objects.filter(
            occurred_on__gte=today - dt.timedelta(days=lookback_days),
            occurred_on__lte=today,
            next_action_due__isnull=False,
        )
        .exclude(next_action="")
        .values_list("pk", "account_id", "next_action", "next_action_due", "next_action_owner_id")
    )
    return [
        Firing(
            "next_action",
            account_id,
            cause=f"next_action:{interaction_id}",
            occasion="",
            reason=action,
            due=due,
            assignee_id=owner_id,
        )
        for interaction_id, account_id, action, due, owner_id in actions
    ]


def success_plan_firings(*, today: dt.date, plan_due_days: int) -> list[Firing]:
    """Accounts past the workspace's plan deadline (the day its flag rises) with no plan, within
    the grace period after it."""
    latest_start = today - dt.timedelta(days=plan_due_days + 1)
    accounts = (
        Account.objects.filter(
            status=AccountStatus.ACTIVE,
            contract_start__lte=latest_start,
            contract_start__gt=latest_start - dt.timedelta(days=SUCCESS_PLAN_GRACE_DAYS),
        )
        .exclude(pk__in=SuccessPlan.objects.values("account_id"))
        .values_list("pk", "contract_start")
    )
    return [
        Firing(
            "success_plan",
            account_id,
            cause="success_plan",
            occasion=start.isoformat(),
            reason=f"No success plan {(today - start).days} days after contract start",
        )
        for account_id, start in accounts
    ]


def overdue_firings(*, today: dt.date, after_days: int, leader_id: int) -> list[Firing]:
    """Open tasks overdue by ``after_days`` or more, an escalation each for ``leader_id``;
    escalations themselves are not escalated again."""
    overdue = (
        Task.objects.filter(
            status=TaskStatus.OPEN, due_on__lte=today - dt.timedelta(days=after_days)
        )
        .exclude(playbook="escalation")
        .values_list("pk", "account_id", "title", "due_on", "assignee__email")
    )
    return [
        Firing(
            "escalation",
            account_id,
            cause=f"escalation:{task_id}",
            occasion="",
            reason=f"{title}: due {due_on:%d %b %Y}, {(today - due_on).days} days overdue, "
            f"with {email or 'nobody'}",
            assignee_id=leader_id,
        )
        for task_id, account_id, title, due_on, email in overdue
    ]
