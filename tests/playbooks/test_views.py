import datetime as dt

from django.urls import reverse

from playbooks.models import Task
from tests.factories import AccountFactory


def make_task(account, assignee, title):
    return Task.dangerously_unscoped.create(
        workspace=account.workspace,
        account=account,
        playbook="outreach",
        title=title,
        reason="Health 60, Yellow",
        assignee=assignee,
        due_on=dt.date(2026, 12, 1),
        priority="high",
        cause=title,
    )


def test_it_shows_a_csm_their_own_open_tasks(login, alpha, bob, carol):
    account = AccountFactory(workspace=alpha, owner=bob)
    make_task(account, bob, "Bob's outreach")
    make_task(account, carol, "Carol's outreach")
    page = login(bob).get(reverse("my_tasks")).content.decode()
    assert "Bob&#x27;s outreach" in page and "Carol" not in page.split("<tbody>")[1]


def test_it_closes_a_task_of_an_owned_account_only(login, alpha, bob, carol):
    task = make_task(AccountFactory(workspace=alpha, owner=bob), bob, "Call them")
    url = reverse("task_close", args=[task.pk])
    assert login(carol).post(url, {"status": "done"}).status_code == 403
    assert login(bob).post(url, {"status": "done"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "done"
