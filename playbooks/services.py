"""Writes of playbooks: tasks from firings, once per cause."""

from __future__ import annotations

import datetime as dt

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse

from accounts.event_bodies import account_ref
from accounts.models import Account
from csos.events import publish, publish_many
from csos.models import DomainEvent, Workspace
from csos.services import audit_record
from playbooks import selectors, triggers
from playbooks.models import PlaybookSettings, Task, TaskStatus
from playbooks.playbooks import PLAYBOOKS, Firing
from stakeholders.selectors import flag_thresholds


@transaction.atomic
def tasks_create(*, workspace: Workspace, firings: list[Firing], today: dt.date) -> int:
    """A task per firing whose occasion has not fired yet and whose cause has no open task on
    the account, each announced as task.created; returns how many it wrote."""
    return len(_tasks_write(workspace=workspace, firings=firings, today=today))


def _tasks_write(*, workspace: Workspace, firings: list[Firing], today: dt.date) -> list[Task]:
    """The tasks ``tasks_create`` wrote. A task goes to the firing's assignee, or else to the
    account's owner.

    The database holds both rules (``task_one_open_per_cause``, ``task_once_per_occasion``);
    the rows go in with ON CONFLICT DO NOTHING, so a row a concurrent run wrote first stays
    the only one, and only the rows this run wrote are announced."""
    if not firings:
        return []
    account_ids = {firing.account_id for firing in firings}
    owners = dict(Account.objects.filter(pk__in=account_ids).values_list("pk", "owner_id"))
    open_causes, fired = set(), set()
    for account_id, cause, occasion, status in Task.objects.filter(
        account_id__in=account_ids, cause__in={firing.cause for firing in firings}
    ).values_list("account_id", "cause", "occasion", "status"):
        fired.add((account_id, cause, occasion))
        if status == TaskStatus.OPEN:
            open_causes.add((account_id, cause))
    tasks = []
    for firing in firings:
        cause = (firing.account_id, firing.cause)
        occasion = (*cause, firing.occasion)
        if cause in open_causes or occasion in fired:
            continue
        open_causes.add(cause)
        fired.add(occasion)
        playbook = PLAYBOOKS[firing.playbook]
        tasks.append(
            Task(
                workspace=workspace,
                account_id=firing.account_id,
                playbook=playbook.key,
                title=playbook.title,
                reason=firing.reason[:300],
                assignee_id=firing.assignee_id or owners.get(firing.account_id),
                due_on=firing.due_on(today),
                priority=playbook.priority,
                cause=firing.cause,
                occasion=firing.occasion,
            )
        )
    written = list(
        Task.objects.filter(pk__in=Task.objects.bulk_create_new(tasks))
        .select_related("account__owner", "assignee")
        .order_by("pk")
    )
    publish_many(
        workspace=workspace,
        event_type="task.created",
        bodies=[task_event_body(task) for task in written],
    )
    return written


def band_triggers_run(*, workspace: Workspace, week: dt.date, today: dt.date) -> int:
    settings = selectors.playbook_settings()
    firings = triggers.band_firings(
        week=week, margin=settings.band_margin, expansion_usage=settings.expansion_usage_score
    )
    return tasks_create(workspace=workspace, firings=firings, today=today)


def daily_triggers_run(*, workspace: Workspace, today: dt.date) -> int:
    """The renewal, departure, next-action and success-plan triggers of ``today``, each on its
    workspace threshold; a run after missed days catches up on what it missed."""
    settings = selectors.playbook_settings()
    flags = flag_thresholds()
    firings = [
        *triggers.renewal_firings(today=today, windows=settings.windows),
        *triggers.key_departure_firings(today=today, signal_days=flags.departure_signal_days),
        *triggers.next_action_firings(today=today, lookback_days=settings.next_action_days),
        *triggers.success_plan_firings(today=today, plan_due_days=flags.plan_due_days),
    ]
    with transaction.atomic():
        written = _tasks_write(workspace=workspace, firings=firings, today=today)
        renewal_windows_announce(
            workspace=workspace, firings=[f for f in firings if f.cause == "renewal"]
        )
    return len(written)


def renewal_windows_announce(*, workspace: Workspace, firings: list[Firing]) -> int:
    """Publish account.renewal_window_entered once per account, renewal date and window, whether
    or not a task was written for it (a renewal task of an earlier window may still be open);
    the events already stored say which windows were announced. Returns how many it published."""
    with transaction.atomic():
        # Runs of one workspace announce in turn, so two at once cannot both announce a window.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext('renewal_window_entered'), %s)",
                [workspace.pk],
            )
        announced = {
            (account_id, f"{body['renewal_date']}:{body['window_days']}")
            for account_id, body in DomainEvent.objects.filter(
                event_type="account.renewal_window_entered",
                account_id__in={firing.account_id for firing in firings},
            ).values_list("account_id", "body")
        }
        entered = {
            (firing.account_id, firing.occasion): firing
            for firing in firings
            if (firing.account_id, firing.occasion) not in announced
        }
        accounts = Account.objects.select_related("owner").in_bulk(
            {account_id for account_id, _occasion in entered}
        )
        published = publish_many(
            workspace=workspace,
            event_type="account.renewal_window_entered",
            bodies=[
                _renewal_body(accounts[account_id], occasion) for account_id, occasion in entered
            ],
        )
    return len(published)


def _renewal_body(account: Account, occasion: str) -> dict:
    renewal_date, window_days = occasion.split(":")
    return {
        "account": account_ref(account),
        "renewal_date": renewal_date,
        "window_days": int(window_days),
    }


def overdue_tasks_escalate(*, workspace: Workspace, today: dt.date) -> int:
    """An escalation task for the workspace's escalation leader per task overdue by the
    workspace's escalation time, once per task; none while the workspace has no leader."""
    leader_id = selectors.escalation_leader_id()
    if leader_id is None:
        return 0
    firings = triggers.overdue_firings(
        today=today,
        after_days=selectors.playbook_settings().escalate_after_days,
        leader_id=leader_id,
    )
    with transaction.atomic():
        written = _tasks_write(workspace=workspace, firings=firings, today=today)
        # task.escalated describes the overdue task; its escalation is announced as created.
        escalated = Task.objects.filter(
            pk__in=[int(task.cause.removeprefix("escalation:")) for task in written]
        ).select_related("account__owner", "assignee")
        publish_many(
            workspace=workspace,
            event_type="task.escalated",
            bodies=[task_event_body(task) for task in escalated.order_by("pk")],
        )
    return len(written)


@transaction.atomic
def playbook_settings_save(*, workspace: Workspace, by, data: dict) -> PlaybookSettings:
    """Store the workspace's playbook settings, audited with the values before and after."""
    current = PlaybookSettings.objects.filter(workspace=workspace).first()
    before = {name: getattr(current, name) for name in data} if current else {}
    settings, _ = PlaybookSettings.objects.update_or_create(workspace=workspace, defaults=data)
    audit_record(
        workspace=workspace,
        actor=by,
        action="playbook_settings.save",
        obj=settings,
        before=before,
        after=dict(data),
    )
    return settings


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
    if status == TaskStatus.DONE:
        publish(workspace=workspace, event_type="task.completed", body=task_event_body(task))
    return task


def task_event_body(task: Task) -> dict:
    """The body of a task event: the task and its account."""
    assignee = task.assignee
    return {
        "account": account_ref(task.account),
        "task": {
            "id": task.pk,
            "title": task.title,
            "status": task.status,
            "due_on": task.due_on.isoformat() if task.due_on else None,
            "assignee_id": assignee.pk if assignee else None,
            "assignee_email": assignee.email if assignee else None,
            "url": django_settings.SITE_URL + reverse("my_tasks"),
        },
    }


@transaction.atomic
def task_update(*, workspace: Workspace, task: Task, by, data: dict) -> Task:
    """Change a task's status and/or assignee, audited with what changed. A task opens again
    only while its account holds no other open task of its cause."""
    changed = [name for name in ("status", "assignee") if name in data]
    changed = [name for name in changed if getattr(task, name) != data[name]]
    if not changed:
        return task
    others_open = Task.objects.filter(
        account_id=task.account_id, cause=task.cause, status=TaskStatus.OPEN
    ).exclude(pk=task.pk)
    if "status" in changed and data["status"] == TaskStatus.OPEN and others_open.exists():
        raise ValidationError(
            {"status": "The account has another open task of this cause; work that one instead."}
        )
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
