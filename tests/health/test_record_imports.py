"""CSV imports of support tickets and survey responses: mapped, checked by the API's rules,
previewed with every problem, then written whole."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from csos.models import ImportMapping
from health.models import ImportState, RecordImport, SupportTicket, SurveyResponse
from health.tasks import record_import_purge_all_task
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()


def upload(client, url_name, text, name="export.csv"):
    file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post(reverse(url_name), {"file": file})


def latest() -> RecordImport:
    return RecordImport.dangerously_unscoped.latest("pk")


@pytest.fixture
def account(alpha):
    return AccountFactory(workspace=alpha, external_id="CRM-1")


def test_it_imports_tickets_in_its_own_format_after_a_preview(login, alice, account):
    client = login(alice)
    response = upload(
        client,
        "ticket_import",
        "external_id,account_external_id,subject,priority,status,opened_on,closed_on\n"
        f"ZD-1,CRM-1,SSO fails,P1,open,{YESTERDAY},\n"
        f"ZD-2,CRM-1,Slow export,p3,closed,{YESTERDAY},{YESTERDAY}\n",
    )
    record_import = latest()
    assert response.url == reverse("record_import_detail", args=[record_import.pk])
    assert (record_import.status, record_import.error_count, record_import.row_count) == (
        ImportState.READY,
        0,
        2,
    )
    page = client.get(response.url).content.decode()
    assert "SSO fails" in page and "Import 2 rows" in page
    assert SupportTicket.dangerously_unscoped.count() == 0
    client.post(reverse("record_import_commit", args=[record_import.pk]))
    record_import.refresh_from_db()
    assert (record_import.status, record_import.created_count) == (ImportState.DONE, 2)
    assert sorted(SupportTicket.dangerously_unscoped.values_list("external_id", "priority")) == [
        ("ZD-1", "p1"),
        ("ZD-2", "p3"),
    ]


def test_it_lists_every_problem_by_spreadsheet_row_and_writes_nothing(login, alice, account):
    client = login(alice)
    upload(
        client,
        "survey_import",
        "external_id,account_external_id,kind,score,answered_on\n"
        f"S-1,CRM-1,nps,11,{YESTERDAY}\n"
        "\n"
        f"S-2,NOPE,csat,4,{YESTERDAY}\n"
        f"S-3,CRM-1,nps,nine,{TOMORROW}\n"
        f"S-1,CRM-1,nps,5,{YESTERDAY}\n",
    )
    record_import = latest()
    assert sorted((e["row"], e["field"]) for e in record_import.errors) == [
        (2, "score"),
        (4, "account_external_id"),
        (5, "answered_on"),
        (5, "score"),
        (6, "external_id"),
    ]
    page = client.get(reverse("record_import_detail", args=[record_import.pk])).content.decode()
    assert "A NPS score is from 0 to 10." in page
    assert "Import 4 rows" not in page
    client.post(reverse("record_import_commit", args=[record_import.pk]))
    assert latest().status == ImportState.READY
    assert SurveyResponse.dangerously_unscoped.count() == 0


def test_it_maps_a_helpdesk_export_and_remembers_the_mapping(login, alice, account):
    client = login(alice)
    export = (
        "Ticket ID,Organization ID,Title,Urgency,State,Created,Solved at,Assignee\n"
        f"101,CRM-1,Login,Urgent,Open,{YESTERDAY},,Kim\n"
        f"102,CRM-1,Export,Low,Solved,{YESTERDAY},{YESTERDAY},Kim\n"
    )
    upload(client, "ticket_import", export)
    record_import = latest()
    assert record_import.status == ImportState.MAPPING
    mapping_url = reverse("record_import_mapping", args=[record_import.pk])
    page = client.get(mapping_url)
    form = page.context["form"]
    data = {name: field.initial or "" for name, field in form.fields.items()}
    assert [data[f"column_{n}"] for n in range(8)] == [
        "external_id",
        "account_external_id",
        "subject",
        "priority",
        "status",
        "opened_on",
        "closed_on",
        "",
    ]
    for name, value in form.value_groups[0][2].items() | form.value_groups[1][2].items():
        data[name] = {"Urgent": "p1", "Low": "p4", "Open": "open", "Solved": "closed"}[value]
    data["values_shown"] = form.values_shown
    assert client.post(mapping_url, data).status_code == 302
    record_import.refresh_from_db()
    assert (record_import.status, record_import.errors) == (ImportState.READY, [])
    client.post(reverse("record_import_commit", args=[record_import.pk]))
    assert sorted(SupportTicket.dangerously_unscoped.values_list("external_id", "status")) == [
        ("101", "open"),
        ("102", "closed"),
    ]
    assert ImportMapping.dangerously_unscoped.filter(kind="support_tickets").count() == 1
    upload(client, "ticket_import", export.replace("101", "103"))
    assert latest().status == ImportState.READY


def test_it_lets_only_leaders_and_admins_import_and_links_the_pages(login, alice, bob, account):
    assert login(bob).get(reverse("ticket_import")).status_code == 403
    assert login(bob).get(reverse("survey_import")).status_code == 403
    signals = reverse("account_signals", args=[account.pk])
    assert reverse("ticket_import") not in login(bob).get(signals).content.decode()
    page = login(alice).get(signals).content.decode()
    assert reverse("ticket_import") in page and reverse("survey_import") in page
    template = login(alice).get(reverse("survey_import_template")).content.decode()
    assert template.startswith("external_id,account_external_id,kind,score")


def test_it_purges_old_files_in_every_workspace(alpha, beta):
    old = timezone.now() - dt.timedelta(days=31)

    def made(workspace, status, created_at=None) -> RecordImport:
        record_import = RecordImport.dangerously_unscoped.create(
            workspace=workspace, kind="tickets", filename="a.csv", content="x", status=status
        )
        if created_at:
            RecordImport.dangerously_unscoped.filter(pk=record_import.pk).update(
                created_at=created_at
            )
        return record_import

    done_old, ready_old = made(alpha, ImportState.DONE, old), made(alpha, ImportState.READY, old)
    ready_recent, beta_old = made(alpha, ImportState.READY), made(beta, ImportState.DONE, old)

    record_import_purge_all_task.delay()

    assert not RecordImport.dangerously_unscoped.filter(pk=ready_old.pk).exists()
    assert dict(
        RecordImport.dangerously_unscoped.filter(
            pk__in=[done_old.pk, ready_recent.pk, beta_old.pk]
        ).values_list("pk", "content")
    ) == {done_old.pk: "", ready_recent.pk: "x", beta_old.pk: ""}
