"""Reads of playbooks for pages."""

from datetime import date

from django.db.models import Case, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from accounts.services import account_can_edit
from csos.models import LEADER_ROLES, Membership, Role
from playbooks.models import PlaybookSettings, Task, TaskStatus


def open_tasks(*, assignee_id: int | None = None) -> QuerySet[Task]:
    """Open tasks, soonest due first; one person's when ``assignee_id`` is given."""
    tasks = Task.objects.filter(status=TaskStatus.OPEN).select_related("account", "assignee")
    if assignee_id is not None:
        tasks = tasks.filter(assignee_id=assignee_id)
    return tasks.order_by("due_on", "pk")


def task_list(
    *,
    assignee_id: int | None,
    overdue_on: date | None = None,
    playbook: str | None = None,
    account_id: int | None = None,
) -> QuerySet[Task]:
    """Open tasks, soonest due first: one person's unless ``assignee_id`` is None, overdue on
    ``overdue_on``, of one playbook (the cause's kind), of one account."""
    tasks = open_tasks(assignee_id=assignee_id)
    if overdue_on is not None:
        tasks = tasks.filter(due_on__lt=overdue_on)
    if playbook is not None:
        tasks = tasks.filter(playbook=playbook)
    if account_id is not None:
        tasks = tasks.filter(account_id=account_id)
    return tasks


def account_tasks_panel(*, request, account) -> dict:
    """The account page's panel: the account's open tasks, soonest due first, in one query."""
    return {
        "account": account,
        "tasks": list(open_tasks().filter(account=account)),
        "today": timezone.localdate(),
        "can_edit": account_can_edit(membership=request.membership, account=account),
    }


PANEL_TASKS = 8  # tasks the portfolio panel lists; the rest are on My tasks


def portfolio_tasks_panel(*, request) -> dict:
    """The portfolio page's panel: the member's own open tasks, soonest due first, in one
    query (one row more than shown, to know whether My tasks holds more)."""
    tasks = list(
        Task.objects.filter(status=TaskStatus.OPEN, assignee_id=request.user.pk)
        .order_by("due_on", "pk")
        .values("pk", "title", "due_on", "priority", "reason", "account_id", "account__name")[
            : PANEL_TASKS + 1
        ]
    )
    return {
        "tasks": tasks[:PANEL_TASKS],
        "more": len(tasks) > PANEL_TASKS,
        "today": timezone.localdate(),
        "my_tasks_url": reverse("my_tasks"),
        # Rows link as prefix + id: one reverse, not one a row.
        "account_url_prefix": reverse("account_detail", args=[0]).removesuffix("0/"),
    }


def escalation_leader_id() -> int | None:
    """The leader overdue tasks are escalated to: the workspace's longest-standing leader
    (earliest membership, the first created on a tie), else its longest-standing admin, so every
    run picks the same person. CSOS keeps no reporting line between a CSM and one leader."""
    return (
        Membership.objects.filter(role__in=LEADER_ROLES)
        .order_by(Case(When(role=Role.LEADER, then=Value(0)), default=Value(1)), "created_at", "pk")
        .values_list("user_id", flat=True)
        .first()
    )


def playbook_settings() -> PlaybookSettings:
    """The workspace's playbook settings, or the defaults (unsaved) where it has set none."""
    return PlaybookSettings.objects.first() or PlaybookSettings()
