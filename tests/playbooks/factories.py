"""Factories of the playbooks app."""

import datetime as dt

import factory

from playbooks.models import Task, TaskPriority
from tests.factories import AccountFactory, TenantFactory


class TaskFactory(TenantFactory):
    class Meta:
        model = Task

    account = factory.SubFactory(AccountFactory)
    workspace = factory.SelfAttribute("account.workspace")
    playbook = "outreach"
    title = "Reach out: find what is slipping"
    reason = "Health 60, Yellow"
    assignee = factory.SelfAttribute("account.owner")
    due_on = dt.date(2026, 12, 1)
    priority = TaskPriority.HIGH
    cause = factory.Sequence(lambda n: f"cause-{n}")
