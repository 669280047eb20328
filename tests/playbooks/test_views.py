import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from csos.models import AuditEvent
from csos.tenancy import workspace_scope
from playbooks.models import PlaybookSettings, Task
from playbooks.selectors import PANEL_TASKS, portfolio_tasks_panel
from tests.factories import AccountFactory


def make_task(account, assignee, title, due_on=dt.date(2026, 12, 1), status="open"):
    return Task.dangerously_unscoped.create(
        workspace=account.workspace,
        account=account,
        playbook="outreach",
        title=title,
        reason="Health 60, Yellow",
        assignee=assignee,
        due_on=due_on,
        priority="high",
        cause=title,
        status=status,
    )


def test_it_shows_a_csm_their_own_open_tasks(login, alpha, bob, carol):
    account = AccountFactory(workspace=alpha, owner=bob)
    make_task(account, bob, "Bob's outreach")
    make_task(account, carol, "Carol's outreach")
    page = login(bob).get(reverse("my_tasks")).content.decode()
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    assert "Bob&#x27;s outreach" in rows and "Carol" not in rows


def test_it_closes_a_task_of_an_owned_account_only(login, alpha, bob, carol):
    task = make_task(AccountFactory(workspace=alpha, owner=bob), bob, "Call them")
    url = reverse("task_close", args=[task.pk])
    assert login(carol).post(url, {"status": "done"}).status_code == 403
    assert login(bob).post(url, {"status": "done"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "done"


def test_it_lists_a_csms_open_tasks_on_the_portfolio_soonest_due_first(login, alpha, bob, carol):
    account = AccountFactory(workspace=alpha, owner=bob, name="Acme Rockets")
    later = make_task(account, bob, "Later call", due_on=dt.date(2026, 12, 20))
    sooner = make_task(account, bob, "Sooner call", due_on=dt.date(2026, 12, 2))
    make_task(account, bob, "Closed call", status="done")
    make_task(account, carol, "Carol's call")
    page = login(bob).get(reverse("portfolio")).content.decode()
    panel = page.split('id="panel-tasks"')[1].split("</section>")[0]
    assert panel.index("Sooner call") < panel.index("Later call")
    assert "Closed call" not in panel and "Carol" not in panel
    assert f'href="{reverse("my_tasks")}#task-{sooner.pk}"' in panel
    assert f'href="{reverse("account_detail", args=[account.pk])}"' in panel
    my_tasks = login(bob).get(reverse("my_tasks")).content.decode()
    assert f'id="task-{later.pk}"' in my_tasks


def test_it_reads_the_portfolio_task_panel_in_one_query_however_many_tasks(rf, alpha, bob):
    account = AccountFactory(workspace=alpha, owner=bob)
    request = rf.get("/")
    request.user = bob
    counts = []
    for title in ("First", *(f"More {n}" for n in range(PANEL_TASKS + 5))):
        make_task(account, bob, title)
        with workspace_scope(alpha), CaptureQueriesContext(connection) as queries:
            panel = portfolio_tasks_panel(request=request)
        counts.append(len(queries))
    assert set(counts) == {1}
    assert len(panel["tasks"]) == PANEL_TASKS and panel["more"]


SETTINGS = {
    "band_margin": "1.5",
    "expansion_usage_score": "8",
    "renewal_windows": "30,180, 90",
    "escalate_after_days": "5",
    "next_action_days": "14",
}


def test_it_saves_the_playbook_settings_of_an_admin_audited(login, alpha, alice):
    response = login(alice).post(reverse("playbook_settings"), SETTINGS)
    assert response.status_code == 302
    with workspace_scope(alpha):
        settings = PlaybookSettings.objects.get()
        event = AuditEvent.objects.get(action="playbook_settings.save")
    assert (settings.band_margin, settings.windows) == (1.5, (180, 90, 30))
    assert settings.renewal_windows == "180, 90, 30"
    assert event.after["escalate_after_days"] == 5
    page = login(alice).get(reverse("playbook_settings")).content.decode()
    assert 'value="180, 90, 30"' in page


def test_it_keeps_the_playbook_settings_to_admins(login, alpha, lena, bob):
    for person in (lena, bob):
        assert login(person).post(reverse("playbook_settings"), SETTINGS).status_code == 403
    with workspace_scope(alpha):
        assert not PlaybookSettings.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("renewal_windows", "120, soon", "Give whole numbers of days separated by commas."),
        ("renewal_windows", "90, 90", "Each window appears once."),
        ("renewal_windows", "0", "Each window is between 1 and 730 days."),
        ("renewal_windows", " , ", "Give at least one number of days"),
        ("band_margin", "-1", "greater than or equal to 0"),
        ("expansion_usage_score", "11", "less than or equal to 10"),
        ("escalate_after_days", "0", "greater than or equal to 1"),
        ("next_action_days", "", "This field is required."),
    ],
)
def test_it_answers_bad_playbook_settings_with_the_fields_error_and_saves_nothing(
    login, alpha, alice, field, value, error
):
    response = login(alice).post(reverse("playbook_settings"), {**SETTINGS, field: value})
    assert response.status_code == 400
    assert any(error in message for message in response.context["form"].errors[field])
    with workspace_scope(alpha):
        assert not PlaybookSettings.objects.exists()
