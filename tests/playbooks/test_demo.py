"""The demo's tasks, built by the whole default pipeline as `manage.py demo_workspace` does."""

import datetime as dt

import pytest
from django.db.models import Count, F

from accounts.demo import DemoOptions, demo_workspace_build
from accounts.models import Account, AccountStatus
from playbooks.models import Task, TaskStatus

TODAY = dt.date(2026, 5, 15)


@pytest.mark.django_db
def test_it_gives_the_demo_one_open_task_per_cause_owners_save_plays_and_renewal_work():
    """One build (a slow step) for the promises of the demo's task list."""
    options = DemoOptions(today=TODAY, seed=5, accounts=60, csms=3, slug="demo-playbooks")
    workspace = demo_workspace_build(options=options).workspace
    tasks = Task.dangerously_unscoped.filter(workspace=workspace)

    open_tasks = tasks.filter(status=TaskStatus.OPEN)
    doubled = open_tasks.values("account", "cause").annotate(n=Count("pk")).filter(n__gt=1)
    assert open_tasks.exists() and list(doubled) == []
    # Nothing is late on the build's day, so the first escalation run finds nothing to escalate.
    assert not open_tasks.filter(due_on__lt=TODAY)

    saves = tasks.filter(playbook="save")
    assert saves.exists() and not saves.exclude(assignee=F("account__owner"))

    renewing = Account.dangerously_unscoped.filter(
        workspace=workspace,
        status=AccountStatus.ACTIVE,
        renewal_date__gte=TODAY,
        renewal_date__lte=TODAY + dt.timedelta(days=90),
    ).values_list("pk", flat=True)
    with_renewal_task = tasks.filter(playbook="renewal").values_list("account_id", flat=True)
    assert renewing and set(renewing) <= set(with_renewal_task)
