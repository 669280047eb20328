"""Playbook triggers: tasks go to the account's owner, bands fire on a firm worsening, one open
task per account and cause, renewal windows caught up, departures and next actions become tasks,
every rule on the workspace's own threshold."""

import datetime as dt

import pytest
from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from csos.models import AuditEvent, Membership, Role
from health.models import HealthSnapshot
from playbooks import services
from playbooks.models import PlaybookSettings, Task, TaskStatus
from playbooks.tasks import overdue_tasks_escalate_all_task
from stakeholders import services as stakeholder_services
from stakeholders.models import FlagThresholds, StakeholderChange, StakeholderRole
from tests.factories import AccountFactory, MembershipFactory, UserFactory
from tests.playbooks.factories import TaskFactory
from tests.stakeholders.factories import (
    InteractionFactory,
    StakeholderFactory,
    SuccessPlanFactory,
)

WEEK = dt.date(2026, 11, 23)
TODAY = dt.date(2026, 11, 25)


def snapshot(account, week, band, total, usage=5.0):
    return HealthSnapshot.objects.create(
        workspace=account.workspace,
        account=account,
        week=week,
        total=total,
        band=band,
        scores={"usage": usage},
        drivers={},
        model_name="Default",
        model_version=1,
    )


def weeks_ago(weeks: int) -> dt.date:
    return WEEK - dt.timedelta(weeks=weeks)


def band_run(workspace, week=WEEK) -> int:
    return services.band_triggers_run(workspace=workspace, week=week, today=TODAY)


def daily_run(workspace, today=TODAY) -> int:
    return services.daily_triggers_run(workspace=workspace, today=today)


# Who gets the task


def test_it_gives_the_save_play_to_the_accounts_owner_due_today_once(in_alpha, bob, lena):
    account = AccountFactory(workspace=in_alpha, owner=bob)
    snapshot(account, weeks_ago(1), "yellow", 55)
    snapshot(account, WEEK, "red", 28)
    assert band_run(in_alpha) == 1
    assert band_run(in_alpha) == 0
    task = Task.objects.get()
    assert (task.playbook, task.due_on, task.priority) == ("save", TODAY, "urgent")
    assert task.assignee == bob  # the owner works the save play; a leader hears if it stalls
    assert task.reason == "Health 28, Red (was Yellow)"


# Overdue escalation


def test_it_escalates_a_task_overdue_by_the_workspaces_time_to_a_leader_once(
    in_alpha, alice, bob, lena
):
    PlaybookSettings.objects.create(workspace=in_alpha, escalate_after_days=3)
    account = AccountFactory(workspace=in_alpha, owner=bob)
    late = TaskFactory(account=account, cause="save", due_on=TODAY - dt.timedelta(days=3))
    TaskFactory(account=account, cause="outreach", due_on=TODAY - dt.timedelta(days=2))
    TaskFactory(account=account, cause="remap", due_on=TODAY - dt.timedelta(days=9), status="done")
    assert services.overdue_tasks_escalate(workspace=in_alpha, today=TODAY) == 1
    assert services.overdue_tasks_escalate(workspace=in_alpha, today=TODAY) == 0
    escalation = Task.objects.get(playbook="escalation")
    assert (escalation.assignee, escalation.account, escalation.due_on) == (lena, account, TODAY)
    assert escalation.reason.startswith(f"{late.title}: due 22 Nov 2026, 3 days overdue")
    # An escalation is not escalated again however long it waits.
    assert services.overdue_tasks_escalate(workspace=in_alpha, today=TODAY.replace(day=30)) == 1


def test_it_escalates_to_the_longest_standing_leader_then_to_an_admin(in_alpha, alice, bob, lena):
    veteran = UserFactory(first_name="Vera")
    MembershipFactory(workspace=in_alpha, user=veteran, role=Role.LEADER)
    Membership.objects.filter(user=veteran).update(
        created_at=Membership.objects.get(user=lena).created_at - dt.timedelta(days=400)
    )
    first, second = AccountFactory.create_batch(2, workspace=in_alpha, owner=bob)
    TaskFactory(account=first, due_on=TODAY - dt.timedelta(days=30))
    services.overdue_tasks_escalate(workspace=in_alpha, today=TODAY)
    assert Task.objects.get(playbook="escalation", account=first).assignee == veteran
    Membership.objects.filter(role=Role.LEADER).update(role=Role.CSM)
    TaskFactory(account=second, due_on=TODAY - dt.timedelta(days=30))
    services.overdue_tasks_escalate(workspace=in_alpha, today=TODAY)
    assert Task.objects.get(playbook="escalation", account=second).assignee == alice


def test_it_escalates_daily_from_beat_fanned_out_to_every_workspace(alpha, beta, bob, charlie):
    entry = settings.CELERY_BEAT_SCHEDULE["escalate-overdue-tasks-daily"]
    assert entry["task"] == overdue_tasks_escalate_all_task.name
    assert entry["task"] in current_app.tasks
    assert entry["schedule"].day_of_week == set(range(7))
    for workspace, owner in ((alpha, bob), (beta, charlie)):
        MembershipFactory(workspace=workspace, user=UserFactory(), role=Role.LEADER)
        TaskFactory(
            account=AccountFactory(workspace=workspace, owner=owner),
            due_on=timezone.localdate() - dt.timedelta(days=30),
        )
    overdue_tasks_escalate_all_task.delay()
    overdue_tasks_escalate_all_task.delay()
    escalations = Task.dangerously_unscoped.filter(playbook="escalation")
    assert sorted(escalations.values_list("workspace__slug", flat=True)) == ["alpha", "beta"]


# Band entry: hysteresis, worsening only


def test_it_fires_nothing_when_a_score_wobbles_across_a_threshold_within_the_margin(in_alpha, bob):
    account = AccountFactory(workspace=in_alpha, owner=bob)
    snapshot(account, weeks_ago(2), "yellow", 60)
    snapshot(account, weeks_ago(1), "yellow", 50.1)
    snapshot(account, WEEK, "red", 49.9)
    assert band_run(in_alpha) == 0
    snapshot(account, WEEK + dt.timedelta(weeks=1), "red", 46)
    assert band_run(in_alpha, WEEK + dt.timedelta(weeks=1)) == 1  # now firmly Red
    assert Task.objects.get().reason == "Health 46, Red (was Yellow)"


def test_it_reads_the_band_margin_of_the_workspace(in_alpha, bob):
    PlaybookSettings.objects.create(workspace=in_alpha, band_margin=0)
    account = AccountFactory(workspace=in_alpha, owner=bob)
    snapshot(account, weeks_ago(1), "yellow", 50.1)
    snapshot(account, WEEK, "red", 49.9)
    assert band_run(in_alpha) == 1


def test_it_fires_nothing_on_an_improvement(in_alpha, bob):
    recovering = AccountFactory(workspace=in_alpha, owner=bob)
    snapshot(recovering, weeks_ago(1), "red", 30)
    snapshot(recovering, WEEK, "yellow", 62)
    steady = AccountFactory(workspace=in_alpha, owner=bob)
    snapshot(steady, weeks_ago(1), "red", 30)
    snapshot(steady, WEEK, "red", 31)
    assert band_run(in_alpha) == 0


def test_it_fires_outreach_on_a_worsening_and_expansion_on_green_with_headroom(in_alpha, bob):
    slipping = AccountFactory(workspace=in_alpha, owner=bob)
    growing = AccountFactory(workspace=in_alpha, owner=bob)
    idle_green = AccountFactory(workspace=in_alpha, owner=bob)
    new_yellow = AccountFactory(workspace=in_alpha, owner=bob)
    snapshot(slipping, weeks_ago(1), "green", 80)
    snapshot(slipping, WEEK, "yellow", 60)
    snapshot(growing, weeks_ago(1), "yellow", 70)
    snapshot(growing, WEEK, "green", 80, usage=9.5)
    snapshot(idle_green, weeks_ago(1), "yellow", 70)
    snapshot(idle_green, WEEK, "green", 80, usage=4.0)
    snapshot(new_yellow, WEEK, "yellow", 60)  # a first score has nothing to worsen from
    band_run(in_alpha)
    fired = dict(Task.objects.values_list("account_id", "playbook"))
    assert fired == {slipping.pk: "outreach", growing.pk: "expansion"}
    assert Task.objects.get(playbook="outreach").assignee == bob


def test_it_reads_the_expansion_usage_score_of_the_workspace(in_alpha, bob):
    PlaybookSettings.objects.create(workspace=in_alpha, expansion_usage_score=7)
    account = AccountFactory(workspace=in_alpha, owner=bob)
    snapshot(account, weeks_ago(1), "yellow", 70)
    snapshot(account, WEEK, "green", 80, usage=7.5)
    assert band_run(in_alpha) == 1
    assert Task.objects.get().playbook == "expansion"


# One open task per account and cause


def test_it_holds_one_open_task_per_account_and_cause_in_the_database(in_alpha, bob):
    account = AccountFactory(workspace=in_alpha, owner=bob)
    first = TaskFactory(account=account, cause="outreach", occasion="2026-11-16")
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskFactory(account=account, cause="outreach", occasion="2026-11-23")
    TaskFactory(account=AccountFactory(workspace=in_alpha), cause="outreach")
    first.status = TaskStatus.DONE
    first.save()
    TaskFactory(account=account, cause="outreach", occasion="2026-11-23")
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskFactory(account=account, cause="outreach", occasion="2026-11-23", status="done")


def test_it_adds_no_second_task_while_the_first_of_its_cause_is_open(in_alpha, bob):
    account = AccountFactory(workspace=in_alpha, owner=bob)
    snapshot(account, weeks_ago(3), "green", 85)
    snapshot(account, weeks_ago(2), "yellow", 60)
    snapshot(account, weeks_ago(1), "green", 85)
    snapshot(account, WEEK, "yellow", 60)
    assert band_run(in_alpha, weeks_ago(2)) == 1
    assert band_run(in_alpha) == 0
    Task.objects.update(status=TaskStatus.DONE)
    assert band_run(in_alpha) == 1
    assert band_run(in_alpha, weeks_ago(2)) == 0  # that week's occasion fired already


# Renewal windows


@pytest.mark.parametrize(
    ("days", "window"),
    [(121, None), (120, 120), (119, 120), (91, 120), (90, 90), (61, 90), (31, 60), (0, 30)],
)
def test_it_fires_the_renewal_window_an_account_is_in_whenever_it_is_first_seen(
    in_alpha, bob, days, window
):
    AccountFactory(workspace=in_alpha, owner=bob, renewal_date=TODAY + dt.timedelta(days=days))
    assert daily_run(in_alpha) == int(window is not None)
    assert daily_run(in_alpha) == 0
    if window:
        task = Task.objects.get()
        assert (task.playbook, task.assignee) == ("renewal", bob)
        assert task.reason.endswith(f"{window}-day checkpoint, {days} days away")


def test_it_fires_each_renewal_window_once(in_alpha, bob):
    account = AccountFactory(workspace=in_alpha, owner=bob, renewal_date=TODAY)
    fired = []
    for days_left in range(130, -1, -1):
        daily_run(in_alpha, today=account.renewal_date - dt.timedelta(days=days_left))
        Task.objects.update(status=TaskStatus.DONE)  # the CSM works each checkpoint
    fired = sorted(Task.objects.values_list("occasion", flat=True))
    assert fired == [f"{account.renewal_date}:{window}" for window in (120, 30, 60, 90)]


def test_it_reads_the_renewal_windows_of_the_workspace(in_alpha, bob):
    PlaybookSettings.objects.create(workspace=in_alpha, renewal_windows="45, 150")
    AccountFactory(workspace=in_alpha, owner=bob, renewal_date=TODAY + dt.timedelta(days=140))
    assert daily_run(in_alpha) == 1
    assert Task.objects.get().reason.endswith("150-day checkpoint, 140 days away")


# Departures, next actions, the success plan


def test_it_gives_the_owner_a_task_when_a_champion_is_marked_as_left(in_alpha, bob):
    account = AccountFactory(workspace=in_alpha, owner=bob, renewal_date=None)
    champion = StakeholderFactory(account=account, role=StakeholderRole.CHAMPION, name="Chris")
    producer = StakeholderFactory(account=account, role=StakeholderRole.PRODUCER)
    for person in (champion, producer):
        stakeholder_services.stakeholder_update(
            stakeholder=person,
            by=None,
            data={"status": "left", "left_on": TODAY - dt.timedelta(days=45)},
        )
    assert daily_run(in_alpha) == 1
    assert daily_run(in_alpha) == 0
    task = Task.objects.get()
    assert (task.playbook, task.assignee) == ("remap", bob)
    assert task.reason == "Champion Chris left on 11 Oct 2026"


def test_it_fires_a_departure_within_the_workspaces_signal_window(in_alpha, bob):
    FlagThresholds.objects.create(workspace=in_alpha, departure_signal_days=20)
    account = AccountFactory(workspace=in_alpha, owner=bob, renewal_date=None)
    for days in (20, 21):
        owner = StakeholderFactory(account=account, role=StakeholderRole.OWNER, name=f"O{days}")
        StakeholderChange.objects.create(
            workspace=in_alpha,
            account=account,
            stakeholder=owner,
            role=owner.role,
            left_on=TODAY - dt.timedelta(days=days),
        )
    assert daily_run(in_alpha) == 1
    assert Task.objects.get().reason.startswith("Owner O20 left")


def test_it_turns_an_interactions_next_action_with_a_due_date_into_a_task(in_alpha, bob, carol):
    account = AccountFactory(workspace=in_alpha, owner=bob, renewal_date=None)
    due = TODAY + dt.timedelta(days=5)
    InteractionFactory(
        account=account, occurred_on=TODAY, next_action="Send the ROI sheet", next_action_due=due
    )
    InteractionFactory(
        account=account,
        occurred_on=TODAY,
        next_action="Book the QBR",
        next_action_due=due,
        next_action_owner=carol,
    )
    InteractionFactory(account=account, occurred_on=TODAY, next_action="Someday, maybe")
    assert daily_run(in_alpha) == 2
    assert daily_run(in_alpha) == 0
    tasks = set(Task.objects.values_list("reason", "assignee__first_name", "due_on"))
    assert tasks == {("Send the ROI sheet", "Bob", due), ("Book the QBR", "Carol", due)}


def test_it_asks_for_a_success_plan_after_the_workspaces_plan_deadline(in_alpha, bob):
    FlagThresholds.objects.create(workspace=in_alpha, plan_due_days=45)

    def signed(days):
        return AccountFactory(
            workspace=in_alpha,
            owner=bob,
            renewal_date=None,
            contract_start=TODAY - dt.timedelta(days=days),
        )

    signed(45)
    due = signed(46)
    SuccessPlanFactory(account=signed(46))
    assert daily_run(in_alpha) == 1
    assert daily_run(in_alpha) == 0
    assert Task.objects.get().account == due


# Closing and reassigning


def test_it_closes_a_task_with_an_audit_row(in_alpha, bob, alice):
    task = TaskFactory(account=AccountFactory(workspace=in_alpha, owner=bob))
    task = services.task_close(workspace=in_alpha, task=task, by=alice, status="done")
    assert task.status == TaskStatus.DONE
    assert AuditEvent.objects.get(action="task.close").after == {"status": "done"}


def test_it_reassigns_a_task_audited_and_audits_nothing_when_nothing_changes(
    in_alpha, bob, carol, alice
):
    task = TaskFactory(account=AccountFactory(workspace=in_alpha, owner=bob))
    services.task_update(workspace=in_alpha, task=task, by=alice, data={"assignee": carol})
    services.task_update(workspace=in_alpha, task=task, by=alice, data={"assignee": carol})
    event = AuditEvent.objects.get(action="task.update")
    assert (event.before, event.after) == ({"assignee": bob.email}, {"assignee": carol.email})
    assert Task.objects.get().assignee == carol
