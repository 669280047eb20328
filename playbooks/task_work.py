"""Writes of the attention queue's weights and of the tasks a CSM works by hand: create, snooze,
reassign, complete, in bulk too.

Every change is audited with what it changed. A task created by hand has a cause of its own, so
the one-open-task-per-cause rule never refuses it and never hides a playbook's task.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Account
from csos.models import Workspace
from csos.services import audit_record
from playbooks.models import AttentionSettings, Task, TaskPriority, TaskStatus

MANUAL_PLAYBOOK = "manual"


def _audit(*, workspace: Workspace, by, action: str, task: Task, before: dict, after: dict):
    audit_record(workspace=workspace, actor=by, action=action, obj=task, before=before, after=after)


def _who(user) -> str | None:
    return user.email if user else None


@transaction.atomic
def task_create(
    *,
    workspace: Workspace,
    account: Account,
    by,
    title: str,
    due_on: dt.date,
    priority: str = TaskPriority.NORMAL,
    assignee=None,
    reason: str = "",
) -> Task:
    """A task on ``account``, for ``assignee`` or else the account's owner."""
    cause = f"{MANUAL_PLAYBOOK}:{secrets.token_hex(8)}"
    task = Task.objects.create(
        workspace=workspace,
        account=account,
        playbook=MANUAL_PLAYBOOK,
        title=title,
        reason=reason or f"Created by {by.get_full_name() or by.email}",
        assignee=assignee or account.owner,
        due_on=due_on,
        priority=priority,
        cause=cause,
        occasion=cause,
    )
    _audit(
        workspace=workspace,
        by=by,
        action="task.create",
        task=task,
        before={},
        after={"title": title, "due_on": str(due_on), "assignee": _who(task.assignee)},
    )
    return task


@transaction.atomic
def task_snooze(*, workspace: Workspace, task: Task, by, until: dt.date, today: dt.date) -> Task:
    """Keep an open task out of the queue until ``until``, which must lie after ``today``."""
    if until <= today:
        raise ValidationError({"until": "Choose a day after today."})
    if task.status != TaskStatus.OPEN:
        raise ValidationError({"until": "Only an open task can be snoozed."})
    before = {"snoozed_until": str(task.snoozed_until) if task.snoozed_until else None}
    task.snoozed_until = until
    task.save(update_fields=["snoozed_until"])
    _audit(
        workspace=workspace,
        by=by,
        action="task.snooze",
        task=task,
        before=before,
        after={"snoozed_until": str(until)},
    )
    return task


@transaction.atomic
def tasks_reassign(*, workspace: Workspace, tasks: list[Task], by, assignee) -> int:
    """Give each task to ``assignee``; returns how many changed hands."""
    changed = 0
    for task in tasks:
        if task.assignee_id == assignee.pk:
            continue
        before = {"assignee": _who(task.assignee)}
        task.assignee = assignee
        task.save(update_fields=["assignee"])
        _audit(
            workspace=workspace,
            by=by,
            action="task.update",
            task=task,
            before=before,
            after={"assignee": assignee.email},
        )
        changed += 1
    return changed


@transaction.atomic
def tasks_complete(
    *, workspace: Workspace, tasks: list[Task], by, status: str, outcome: str
) -> int:
    """Close each open task as done or dismissed with its outcome; returns how many closed."""
    if status not in {TaskStatus.DONE, TaskStatus.DISMISSED}:
        raise ValidationError({"status": "Choose done or dismissed."})
    closed = 0
    for task in tasks:
        if task.status != TaskStatus.OPEN:
            continue
        task.status, task.outcome = status, outcome
        task.save(update_fields=["status", "outcome"])
        _audit(
            workspace=workspace,
            by=by,
            action="task.close",
            task=task,
            before={"status": TaskStatus.OPEN},
            after={"status": status, "outcome": outcome},
        )
        closed += 1
    return closed


@transaction.atomic
def attention_settings_save(*, workspace: Workspace, by, data: dict) -> AttentionSettings:
    """Store the workspace's attention weights, audited with the values before and after."""
    current = AttentionSettings.objects.filter(workspace=workspace).first()
    before = {name: getattr(current, name) for name in data} if current else {}
    settings, _ = AttentionSettings.objects.update_or_create(workspace=workspace, defaults=data)
    audit_record(
        workspace=workspace,
        actor=by,
        action="attention_settings.save",
        obj=settings,
        before=before,
        after=dict(data),
    )
    return settings
