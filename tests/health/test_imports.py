"""CSV imports of support tickets and survey responses: mapped, checked by the bulk endpoints'
own code, previewed with every problem, then written whole."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from csos.models import DomainEvent, ImportMapping, ImportStatus
from health.imports import SURVEY_SPEC, TICKET_SPEC
from health.ingest import SURVEY_RECORD, TICKET_RECORD
from health.models import SupportTicket, SurveyResponse
from tests.factories import AccountFactory, import_step, latest_import_job_id

pytestmark = pytest.mark.django_db

YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()


def upload(client, url_name, text, name="export.csv"):
    file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return import_step(client, reverse(url_name), {"file": file})


@pytest.fixture
def account(alpha):
    return AccountFactory(workspace=alpha, external_id="CRM-1")


@pytest.mark.parametrize(
    ("spec", "record"), [(TICKET_SPEC, TICKET_RECORD), (SURVEY_SPEC, SURVEY_RECORD)]
)
def test_it_offers_exactly_the_fields_of_the_bulk_endpoint(spec, record):
    assert set(spec.keys) == set(record.fields)
    assert {field.key for field in spec.required_fields} == record.required


def commit(client, url_name: str):
    """Commit the file uploaded last."""
    return import_step(client, reverse(f"{url_name}_commit", args=[latest_import_job_id()]), {})


def test_it_imports_tickets_in_its_own_format_after_a_preview(login, alice, account):
    client = login(alice)
    response = upload(
        client,
        "ticket_import",
        "external_id,account_external_id,subject,priority,status,opened_on,closed_on\n"
        f"ZD-1,CRM-1,SSO fails,P1,open,{YESTERDAY},\n"
        f"ZD-2,CRM-1,Slow export,p3,closed,{YESTERDAY},{YESTERDAY}\n",
    )
    outcome = response.context["outcome"]
    assert (outcome.records, outcome.counts.created, outcome.errors.total) == (2, 2, 0)
    page = response.content.decode()
    assert "SSO fails" in page and "Commit import" in page
    assert SupportTicket.dangerously_unscoped.count() == 0
    assert commit(client, "ticket_import").status_code == 200
    assert sorted(SupportTicket.dangerously_unscoped.values_list("external_id", "priority")) == [
        ("ZD-1", "p1"),
        ("ZD-2", "p3"),
    ]
    (finished,) = DomainEvent.dangerously_unscoped.filter(event_type="import.finished")
    assert (finished.body["kind"], finished.body["filename"], finished.body["created"]) == (
        "support_tickets",
        "export.csv",
        2,
    )


def test_it_imports_survey_responses_and_announces_it(login, alice, account):
    client = login(alice)
    upload(
        client,
        "survey_import",
        f"external_id,account_external_id,kind,score,answered_on\nS-1,CRM-1,nps,9,{YESTERDAY}\n",
        name="nps.csv",
    )
    assert commit(client, "survey_import").status_code == 200
    assert SurveyResponse.dangerously_unscoped.count() == 1
    (finished,) = DomainEvent.dangerously_unscoped.filter(event_type="import.finished")
    assert (finished.body["kind"], finished.body["filename"], finished.body["created"]) == (
        "survey_responses",
        "nps.csv",
        1,
    )


def test_it_lists_every_problem_by_spreadsheet_row_and_writes_nothing(login, alice, account):
    client = login(alice)
    response = upload(
        client,
        "survey_import",
        "external_id,account_external_id,kind,score,answered_on\n"
        f"S-1,CRM-1,nps,11,{YESTERDAY}\n"
        "\n"
        f"S-2,NOPE,csat,4,{YESTERDAY}\n"
        f"S-3,CRM-1,nps,nine,{TOMORROW}\n"
        f"S-1,CRM-1,nps,5,{YESTERDAY}\n",
    )
    job = response.context["job"]
    assert job.status == ImportStatus.INVALID
    assert sorted((e["row"], e["field"]) for e in job.errors) == [
        (2, "score"),
        (4, "account_external_id"),
        (5, "answered_on"),
        (5, "score"),
        (6, "external_id"),
    ]
    page = response.content.decode()
    assert "A NPS score is from 0 to 10." in page
    assert "Commit import" not in page
    refused = commit(client, "survey_import").content.decode()
    assert "Only an import that is ready to commit can be committed." in refused
    assert SurveyResponse.dangerously_unscoped.count() == 0
    assert not DomainEvent.dangerously_unscoped.filter(event_type="import.finished").exists()


def test_it_maps_a_helpdesk_export_and_remembers_the_mapping(login, alice, account):
    client = login(alice)
    export = (
        "Ticket ID,Organization ID,Title,Urgency,State,Created,Solved at,Assignee\n"
        f"101,CRM-1,Login,Urgent,Open,{YESTERDAY},,Kim\n"
        f"102,CRM-1,Export,Low,Solved,{YESTERDAY},{YESTERDAY},Kim\n"
    )
    response = upload(client, "ticket_import", export)
    # The helpdesk's own words for priority and status need a meaning before the file passes.
    assert {e["field"] for e in response.context["job"].errors} >= {"priority"}
    mapping_url = reverse("ticket_import_mapping", args=[latest_import_job_id()])
    assert mapping_url in response.content.decode()
    form = client.get(mapping_url).context["form"]
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
    response = import_step(client, mapping_url, data)
    assert response.context["outcome"].errors.total == 0
    assert commit(client, "ticket_import").status_code == 200
    assert sorted(SupportTicket.dangerously_unscoped.values_list("external_id", "status")) == [
        ("101", "open"),
        ("102", "closed"),
    ]
    assert ImportMapping.dangerously_unscoped.filter(kind="support_tickets").count() == 1
    response = upload(client, "ticket_import", export.replace("101", "103"))
    assert response.context["outcome"].counts.as_dict() == {
        "created": 1,
        "updated": 0,
        "unchanged": 1,
    }


def test_it_lets_only_leaders_and_admins_import_and_links_the_pages(login, alice, bob, account):
    assert login(bob).get(reverse("ticket_import")).status_code == 403
    assert login(bob).get(reverse("survey_import")).status_code == 403
    signals = reverse("account_signals", args=[account.pk])
    assert reverse("ticket_import") not in login(bob).get(signals).content.decode()
    page = login(alice).get(signals).content.decode()
    assert reverse("ticket_import") in page and reverse("survey_import") in page
    assert (
        reverse("survey_import_template")
        in login(alice).get(reverse("survey_import")).content.decode()
    )
    template = login(alice).get(reverse("survey_import_template")).content.decode()
    assert template.startswith("external_id,account_external_id,kind,score")
