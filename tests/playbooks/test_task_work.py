"""Working tasks by hand: create, snooze, reassign, complete, in bulk; bad input saves nothing."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from csos.models import AuditEvent
from playbooks.models import Task
from tests.factories import AccountFactory
from tests.playbooks.factories import TaskFactory

TOMORROW = lambda: timezone.localdate() + dt.timedelta(days=1)  # noqa: E731
YESTERDAY = lambda: timezone.localdate() - dt.timedelta(days=1)  # noqa: E731


def task_of(workspace, owner, **fields):
    return TaskFactory(account=AccountFactory(workspace=workspace, owner=owner), **fields)


def reload(task) -> Task:
    return Task.dangerously_unscoped.get(pk=task.pk)


def test_it_creates_a_task_on_an_account_for_its_owner(login, alpha, bob):
    account = AccountFactory(workspace=alpha, owner=bob)
    response = login(bob).post(
        reverse("task_create", args=[account.pk]),
        {"title": "Send the ROI summary", "due_on": TOMORROW(), "priority": "high"},
    )
    assert response.status_code == 302
    task = Task.dangerously_unscoped.get(account=account)
    assert (task.title, task.assignee, task.playbook) == ("Send the ROI summary", bob, "manual")
    assert AuditEvent.dangerously_unscoped.filter(action="task.create").count() == 1


def test_it_creates_two_tasks_by_hand_on_one_account(login, alpha, bob):
    account = AccountFactory(workspace=alpha, owner=bob)
    for title in ("First", "Second"):
        login(bob).post(
            reverse("task_create", args=[account.pk]),
            {"title": title, "due_on": TOMORROW(), "priority": "normal"},
        )
    assert Task.dangerously_unscoped.filter(account=account, status="open").count() == 2


def test_it_refuses_a_task_for_someone_outside_the_workspace(login, alpha, bob, charlie):
    account = AccountFactory(workspace=alpha, owner=bob)
    response = login(bob).post(
        reverse("task_create", args=[account.pk]),
        {"title": "x", "due_on": TOMORROW(), "priority": "normal", "assignee": charlie.pk},
    )
    assert response.status_code == 400 and "assignee" in response.context["form"].errors
    assert not Task.dangerously_unscoped.filter(account=account).exists()


def test_it_snoozes_a_task_to_a_later_day(login, alpha, bob):
    task = task_of(alpha, bob)
    response = login(bob).post(reverse("task_snooze", args=[task.pk]), {"until": TOMORROW()})
    assert response.status_code == 302
    assert reload(task).snoozed_until == TOMORROW()
    assert AuditEvent.dangerously_unscoped.filter(action="task.snooze").count() == 1


def test_it_refuses_a_snooze_date_in_the_past_and_saves_nothing(login, alpha, bob):
    task = task_of(alpha, bob)
    for day in (YESTERDAY(), timezone.localdate()):
        response = login(bob).post(reverse("task_snooze", args=[task.pk]), {"until": day})
        assert response.status_code == 400
        assert response.context["snooze_form"].errors == {"until": ["Choose a day after today."]}
    assert reload(task).snoozed_until is None


def test_it_reassigns_a_task_to_a_member_who_owns_accounts(login, alpha, bob, carol):
    task = task_of(alpha, bob)
    response = login(bob).post(reverse("task_reassign", args=[task.pk]), {"assignee": carol.pk})
    assert response.status_code == 302 and reload(task).assignee == carol


def test_it_refuses_to_reassign_to_a_viewer_or_an_outsider(login, alpha, bob, vera, charlie):
    task = task_of(alpha, bob)
    for someone in (vera, charlie):
        response = login(bob).post(
            reverse("task_reassign", args=[task.pk]), {"assignee": someone.pk}
        )
        assert response.status_code == 400
        assert "assignee" in response.context["reassign_form"].errors
    assert reload(task).assignee == bob


def test_it_completes_a_task_with_its_outcome(login, alpha, bob):
    task = task_of(alpha, bob)
    response = login(bob).post(
        reverse("task_complete", args=[task.pk]),
        {"status": "done", "outcome": "Sponsor agreed to a review"},
    )
    assert response.status_code == 302
    assert (reload(task).status, reload(task).outcome) == ("done", "Sponsor agreed to a review")


def test_it_asks_for_the_outcome_when_completing(login, alpha, bob):
    task = task_of(alpha, bob)
    response = login(bob).post(reverse("task_complete", args=[task.pk]), {"status": "done"})
    assert response.status_code == 400 and reload(task).status == "open"


def test_it_keeps_another_csms_task_from_a_csm(login, alpha, bob, carol):
    task = task_of(alpha, carol)
    assert login(bob).get(reverse("task_detail", args=[task.pk])).status_code == 403
    response = login(bob).post(reverse("task_snooze", args=[task.pk]), {"until": TOMORROW()})
    assert response.status_code == 403 and reload(task).snoozed_until is None


def test_it_answers_404_for_a_task_of_another_workspace(login, alpha, bob, charlie):
    task = task_of(alpha, bob)
    client = login(charlie)
    assert client.get(reverse("task_detail", args=[task.pk])).status_code == 404
    response = client.post(reverse("task_snooze", args=[task.pk]), {"until": TOMORROW()})
    assert response.status_code == 404 and reload(task).snoozed_until is None


def test_it_closes_ticked_tasks_at_once(login, alpha, bob):
    tasks = [task_of(alpha, bob) for _ in range(3)]
    response = login(bob).post(
        reverse("my_tasks"),
        {"tasks": [tasks[0].pk, tasks[1].pk], "action": "close", "outcome": "Handled"},
    )
    assert response.status_code == 302
    assert [reload(task).status for task in tasks] == ["done", "done", "open"]


def test_it_reassigns_ticked_tasks_at_once(login, alpha, bob, carol, lena):
    tasks = [task_of(alpha, bob) for _ in range(2)]
    response = login(lena).post(
        reverse("my_tasks"),
        {"tasks": [task.pk for task in tasks], "action": "reassign", "assignee": carol.pk},
    )
    assert response.status_code == 302
    assert {reload(task).assignee for task in tasks} == {carol}


def test_it_changes_none_of_the_ticked_tasks_when_one_is_foreign(login, alpha, beta, bob, charlie):
    ours = task_of(alpha, bob)
    theirs = task_of(beta, charlie)
    response = login(bob).post(
        reverse("my_tasks"),
        {"tasks": [ours.pk, theirs.pk], "action": "close", "outcome": "Handled"},
    )
    assert response.status_code == 400 and "tasks" in response.context["bulk"].errors
    assert reload(ours).status == "open" and reload(theirs).status == "open"


def test_it_changes_none_of_the_ticked_tasks_a_csm_may_not_work(login, alpha, bob, carol):
    mine, carols = task_of(alpha, bob), task_of(alpha, carol)
    response = login(bob).post(
        reverse("my_tasks"),
        {"tasks": [mine.pk, carols.pk], "action": "close", "outcome": "Handled"},
    )
    assert response.status_code == 403
    assert reload(mine).status == "open" and reload(carols).status == "open"


def test_it_asks_who_takes_ticked_tasks(login, alpha, bob):
    task = task_of(alpha, bob)
    response = login(bob).post(reverse("my_tasks"), {"tasks": [task.pk], "action": "reassign"})
    assert response.status_code == 400 and "assignee" in response.context["bulk"].errors


def test_it_filters_tasks_by_overdue_cause_and_account_in_the_url(login, alpha, bob, lena):
    late = task_of(alpha, bob, title="Late one", due_on=YESTERDAY(), playbook="save")
    task_of(alpha, bob, title="Later one", due_on=TOMORROW(), playbook="outreach")
    other = task_of(alpha, lena, title="Lena's one", due_on=YESTERDAY(), playbook="save")

    def titles(user, **query) -> set[str]:
        page = login(user).get(reverse("my_tasks"), query)
        return {task.title for task in page.context["page"]}

    assert titles(bob) == {"Late one", "Later one"}
    assert titles(bob, overdue="on") == {"Late one"}
    assert titles(bob, cause="outreach") == {"Later one"}
    assert titles(bob, account=late.account_id) == {"Late one"}
    assert titles(lena, everyone="on", cause="save") == {"Late one", "Lena's one"}
    # A CSM asking for everyone's still sees their own.
    assert titles(bob, everyone="on", account=other.account_id) == set()


def test_it_answers_a_bad_filter_with_a_client_error(login, bob):
    assert login(bob).get(reverse("my_tasks"), {"cause": "nonsense"}).status_code == 400


def test_it_lists_an_unassigned_task_on_the_account_page(login, alpha, bob):
    task = task_of(alpha, bob, assignee=None, title="Nobody's task")
    page = login(bob).get(reverse("account_detail", args=[task.account_id])).content.decode()
    panel = page.split('id="panel-tasks"')[1].split("</section>")[0]
    assert "Nobody&#x27;s task" in panel and "Unassigned" in panel
