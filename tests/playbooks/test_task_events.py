"""Playbooks announce the tasks they write (task.created), the overdue tasks they escalate
(task.escalated) and the renewal windows accounts enter, in the write's transaction."""

import datetime as dt

import pytest
from django.db import transaction

from csos.models import DomainEvent
from playbooks import services
from playbooks.models import PlaybookSettings, Task
from playbooks.playbooks import Firing
from tests.factories import AccountFactory
from tests.playbooks.factories import TaskFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 25)


def bodies(event_type):
    return [event.body for event in DomainEvent.objects.filter(event_type=event_type)]


def test_it_publishes_task_created_once_per_task_written(in_alpha, bob):
    account = AccountFactory(workspace=in_alpha, owner=bob, renewal_date=TODAY)
    assert services.daily_triggers_run(workspace=in_alpha, today=TODAY) == 1
    assert services.daily_triggers_run(workspace=in_alpha, today=TODAY) == 0
    (body,) = bodies("task.created")
    task = Task.objects.get()
    assert body["account"]["id"] == account.pk
    assert (body["task"]["id"], body["task"]["assignee_email"]) == (task.pk, bob.email)


def test_it_returns_only_the_ids_of_rows_the_insert_really_wrote(in_alpha, bob):
    account = AccountFactory(workspace=in_alpha, owner=bob)
    held = TaskFactory(account=account, cause="save", occasion="2026-11-23")
    fields = {"account": account, "title": "Save", "reason": "r", "due_on": TODAY}
    fields |= {"playbook": "save", "priority": "urgent"}
    rows = [
        Task(workspace=in_alpha, cause="save", occasion="2026-11-23", **fields),
        Task(workspace=in_alpha, cause="renewal", occasion="2026-12-01:30", **fields),
    ]
    (written,) = Task.objects.bulk_create_new(rows)
    assert written != held.pk
    assert Task.objects.get(pk=written).cause == "renewal"


def test_it_publishes_task_escalated_with_the_overdue_task(in_alpha, alice, bob, lena):
    PlaybookSettings.objects.create(workspace=in_alpha, escalate_after_days=3)
    late = TaskFactory(
        account=AccountFactory(workspace=in_alpha, owner=bob),
        cause="save",
        assignee=bob,
        due_on=TODAY - dt.timedelta(days=3),
    )
    services.overdue_tasks_escalate(workspace=in_alpha, today=TODAY)
    services.overdue_tasks_escalate(workspace=in_alpha, today=TODAY)
    (escalated,) = bodies("task.escalated")
    assert (escalated["task"]["id"], escalated["task"]["assignee_id"]) == (late.pk, bob.pk)
    (created,) = bodies("task.created")
    assert created["task"]["assignee_id"] == lena.pk


def test_it_publishes_the_renewal_window_entered_once_per_window(in_alpha, bob):
    account = AccountFactory(
        workspace=in_alpha, owner=bob, renewal_date=TODAY + dt.timedelta(days=100)
    )
    services.daily_triggers_run(workspace=in_alpha, today=TODAY)
    services.daily_triggers_run(workspace=in_alpha, today=TODAY + dt.timedelta(days=1))
    (body,) = bodies("account.renewal_window_entered")
    assert body == {
        "account": body["account"],
        "renewal_date": account.renewal_date.isoformat(),
        "window_days": 120,
    }
    assert body["account"]["id"] == account.pk


def test_it_announces_a_later_window_while_the_earlier_renewal_task_is_still_open(in_alpha, bob):
    account = AccountFactory(
        workspace=in_alpha, owner=bob, renewal_date=TODAY + dt.timedelta(days=100)
    )
    services.daily_triggers_run(workspace=in_alpha, today=TODAY)
    services.daily_triggers_run(workspace=in_alpha, today=TODAY + dt.timedelta(days=20))
    services.daily_triggers_run(workspace=in_alpha, today=TODAY + dt.timedelta(days=21))
    assert Task.objects.get(cause="renewal").status == "open"  # the 120-day task, still open
    windows = [body["window_days"] for body in bodies("account.renewal_window_entered")]
    assert sorted(windows) == [90, 120]
    assert {body["account"]["id"] for body in bodies("account.renewal_window_entered")} == {
        account.pk
    }


def test_it_keeps_no_task_event_of_a_run_rolled_back(in_alpha, bob):
    account = AccountFactory(workspace=in_alpha, owner=bob)
    firing = Firing("save", account.pk, cause="save", occasion="2026-11-23", reason="Red")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.tasks_create(workspace=in_alpha, firings=[firing], today=TODAY)
        raise RuntimeError("the run failed")
    assert DomainEvent.objects.count() == 0
