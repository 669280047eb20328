"""Writes of playbooks: tasks from firings, once per cause."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accounts.models import Account
from csos.models import Workspace
from csos.services import audit_record
from playbooks import selectors, triggers
from playbooks.models import Task
from playbooks.playbooks import PLAYBOOKS, Assignee, Firing


@transaction.atomic
def tasks_create(*, workspace: Workspace, firings: list[Firing], today: dt.date) -> int:
    """A task per firing whose cause has none yet; returns how many were new.

    A task goes to the account's owner; a playbook that escalates (the save play) gives it to
    the leader ``selectors.escalation_leader_id`` names, or to the owner while the workspace
    has no leader."""
    if not firings:
        return 0
    owners = dict(
        Account.objects.filter(pk__in={f.account_id for f in firings}).values_list("pk", "owner_id")
    )
    leader_id = selectors.escalation_leader_id()
    existing = set(
        Task.objects.filter(cause__in=[f.cause for f in firings]).values_list("cause", flat=True)
    )
    tasks = []
    for firing in firings:
        if firing.cause in existing:
            continue
        playbook = PLAYBOOKS[firing.playbook]
        owner_id = owners.get(firing.account_id)
        escalate = playbook.assignee == Assignee.LEADER and leader_id is not None
        tasks.append(
            Task(
                workspace=workspace,
                account_id=firing.account_id,
                playbook=playbook.key,
                title=playbook.title,
                reason=firing.reason[:300],
                assignee_id=leader_id if escalate else owner_id,
                due_on=firing.due_on(today),
                priority=playbook.priority,
                cause=firing.cause,
            )
        )
    # A concurrent run may have written the same cause since: the constraint keeps one.
    Task.objects.bulk_create(tasks, ignore_conflicts=True)
    return len(tasks)


def band_triggers_run(*, workspace: Workspace, week: dt.date, today: dt.date) -> int:
    return tasks_create(workspace=workspace, firings=triggers.band_firings(week=week), today=today)


def daily_triggers_run(*, workspace: Workspace, today: dt.date) -> int:
    firings = [
        *triggers.renewal_firings(today=today),
        *triggers.key_departure_firings(today=today),
        *triggers.success_plan_firings(today=today),
    ]
    return tasks_create(workspace=workspace, firings=firings, today=today)


@transaction.atomic
def task_close(*, workspace: Workspace, task: Task, by, status: str) -> Task:
    """Mark a task done or dismissed, audited."""
    before = {"status": task.status}
    task.status = status
    task.save(update_fields=["status"])
    audit_record(
        workspace=workspace,
        actor=by,
        action="task.close",
        obj=task,
        before=before,
        after={"status": status},
    )
    return task


@transaction.atomic
def task_update(*, workspace: Workspace, task: Task, by, data: dict) -> Task:
    """Change a task's status and/or assignee, audited with what changed."""
    changed = [name for name in ("status", "assignee") if name in data]
    changed = [name for name in changed if getattr(task, name) != data[name]]
    if not changed:
        return task
    before = {name: _audited(getattr(task, name)) for name in changed}
    for name in changed:
        setattr(task, name, data[name])
    task.save(update_fields=changed)
    audit_record(
        workspace=workspace,
        actor=by,
        action="task.update",
        obj=task,
        before=before,
        after={name: _audited(getattr(task, name)) for name in changed},
    )
    return task


def _audited(value):
    return getattr(value, "email", value)
