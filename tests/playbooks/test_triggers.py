"""Playbook triggers: once per cause across repeated runs, renewal checkpoints on exact days."""

import datetime as dt

import pytest

from csos.models import AuditEvent, Membership, Role
from health.models import HealthSnapshot
from playbooks import services
from playbooks.models import Task, TaskStatus
from stakeholders.models import StakeholderChange
from tests.factories import AccountFactory, MembershipFactory, UserFactory
from tests.stakeholders.factories import StakeholderFactory, SuccessPlanFactory

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


def test_it_creates_a_save_play_once_escalated_to_a_leader_due_today(in_alpha, bob, lena):
    account = AccountFactory(workspace=in_alpha, owner=bob)
    snapshot(account, WEEK - dt.timedelta(weeks=1), "yellow", 55)
    snapshot(account, WEEK, "red", 28)
    assert services.band_triggers_run(workspace=in_alpha, week=WEEK, today=TODAY) == 1
    assert services.band_triggers_run(workspace=in_alpha, week=WEEK, today=TODAY) == 0
    task = Task.objects.get()
    assert (task.playbook, task.due_on, task.priority) == ("save", TODAY, "urgent")
    assert task.assignee == lena  # the CSM's leader, not the CSM
    assert task.reason == "Health 28, Red (was yellow)"


def test_it_escalates_to_the_longest_standing_leader_whatever_the_order_of_rows(
    in_alpha, bob, lena
):
    veteran = UserFactory(first_name="Vera")
    MembershipFactory(workspace=in_alpha, user=veteran, role=Role.LEADER)
    Membership.objects.filter(user=veteran).update(
        created_at=Membership.objects.get(user=lena).created_at - dt.timedelta(days=400)
    )
    first, second = AccountFactory.create_batch(2, workspace=in_alpha, owner=bob)
    snapshot(first, WEEK, "red", 20)
    services.band_triggers_run(workspace=in_alpha, week=WEEK, today=TODAY)
    assert Task.objects.get(account=first).assignee == veteran
    Membership.objects.filter(user=veteran).update(role=Role.CSM)
    snapshot(second, WEEK, "red", 22)
    services.band_triggers_run(workspace=in_alpha, week=WEEK, today=TODAY)
    assert Task.objects.get(account=second).assignee == lena


def test_it_keeps_a_save_play_with_the_owner_when_the_workspace_has_no_leader(in_alpha, bob):
    account = AccountFactory(workspace=in_alpha, owner=bob)
    snapshot(account, WEEK, "red", 20)
    services.band_triggers_run(workspace=in_alpha, week=WEEK, today=TODAY)
    assert Task.objects.get().assignee == bob


def test_it_fires_on_a_band_change_only(in_alpha, bob):
    steady = AccountFactory(workspace=in_alpha, owner=bob)
    slipping = AccountFactory(workspace=in_alpha, owner=bob)
    growing = AccountFactory(workspace=in_alpha, owner=bob)
    idle_green = AccountFactory(workspace=in_alpha, owner=bob)
    last = WEEK - dt.timedelta(weeks=1)
    snapshot(steady, last, "red", 30)
    snapshot(steady, WEEK, "red", 31)
    snapshot(slipping, last, "green", 80)
    snapshot(slipping, WEEK, "yellow", 60)
    snapshot(growing, last, "yellow", 70)
    snapshot(growing, WEEK, "green", 80, usage=9.5)
    snapshot(idle_green, last, "yellow", 70)
    snapshot(idle_green, WEEK, "green", 80, usage=4.0)
    services.band_triggers_run(workspace=in_alpha, week=WEEK, today=TODAY)
    fired = dict(Task.objects.values_list("account_id", "playbook"))
    assert fired == {slipping.pk: "outreach", growing.pk: "expansion"}
    assert Task.objects.get(playbook="outreach").assignee == bob


@pytest.mark.parametrize(
    ("days", "fires"),
    [(120, True), (119, False), (90, True), (61, False), (60, True), (30, True), (0, False)],
)
def test_it_fires_renewal_checkpoints_on_exact_day_counts(in_alpha, bob, days, fires):
    AccountFactory(workspace=in_alpha, owner=bob, renewal_date=TODAY + dt.timedelta(days=days))
    assert services.daily_triggers_run(workspace=in_alpha, today=TODAY) == int(fires)
    assert services.daily_triggers_run(workspace=in_alpha, today=TODAY) == 0
    if fires:
        assert Task.objects.get().reason.endswith(f"{days} days away")


def test_it_closes_a_task_with_an_audit_row(in_alpha, bob, alice):
    account = AccountFactory(workspace=in_alpha, owner=bob)
    snapshot(account, WEEK, "red", 20)
    services.band_triggers_run(workspace=in_alpha, week=WEEK, today=TODAY)
    task = services.task_close(workspace=in_alpha, task=Task.objects.get(), by=alice, status="done")
    assert task.status == TaskStatus.DONE
    assert AuditEvent.objects.get(action="task.close").after == {"status": "done"}


def test_it_reassigns_a_task_audited_and_audits_nothing_when_nothing_changes(
    in_alpha, bob, carol, alice
):
    account = AccountFactory(workspace=in_alpha, owner=bob)
    snapshot(account, WEEK, "red", 20)
    services.band_triggers_run(workspace=in_alpha, week=WEEK, today=TODAY)
    task = Task.objects.select_related("assignee").get()
    before = task.assignee.email if task.assignee else None
    services.task_update(workspace=in_alpha, task=task, by=alice, data={"assignee": carol})
    services.task_update(workspace=in_alpha, task=task, by=alice, data={"assignee": carol})
    event = AuditEvent.objects.get(action="task.update")
    assert (event.before, event.after) == ({"assignee": before}, {"assignee": carol.email})
    assert Task.objects.get().assignee == carol


def test_it_fires_a_remap_once_per_departed_owner_or_champion(in_alpha, bob):
    account = AccountFactory(workspace=in_alpha, owner=bob, renewal_date=None)
    champion = StakeholderFactory(account=account, role="champion", name="Chris Champion")
    producer = StakeholderFactory(account=account, role="producer")
    for person in (champion, producer):
        StakeholderChange.objects.create(
            workspace=in_alpha,
            account=account,
            stakeholder=person,
            role=person.role,
            left_on=TODAY - dt.timedelta(days=2),
        )
    assert services.daily_triggers_run(workspace=in_alpha, today=TODAY) == 1
    assert services.daily_triggers_run(workspace=in_alpha, today=TODAY) == 0
    task = Task.objects.get()
    assert (task.playbook, task.reason) == ("remap", "Champion Chris Champion left on 23 Nov 2026")


def test_it_asks_for_a_success_plan_30_days_after_contract_start(in_alpha, bob):
    AccountFactory(
        workspace=in_alpha,
        owner=bob,
        renewal_date=None,
        contract_start=TODAY - dt.timedelta(days=29),
    )
    due = AccountFactory(
        workspace=in_alpha,
        owner=bob,
        renewal_date=None,
        contract_start=TODAY - dt.timedelta(days=30),
    )
    planned = AccountFactory(
        workspace=in_alpha,
        owner=bob,
        renewal_date=None,
        contract_start=TODAY - dt.timedelta(days=30),
    )
    SuccessPlanFactory(account=planned)
    assert services.daily_triggers_run(workspace=in_alpha, today=TODAY) == 1
    assert Task.objects.get().account == due
