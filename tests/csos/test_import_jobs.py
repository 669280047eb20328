"""Every batch import kind goes through one job pipeline: upload stores a job, the check
previews it, a commit writes it and records its counts, and the kind's history lists it."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from csos.models import DomainEvent, ImportJob, ImportStatus
from tests.factories import AccountFactory, UsageMetricFactory

YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()

KINDS = {
    "usage": (
        "value_usage_import",
        f"account_external_id,metric,day,value\nCRM-1,logins,{YESTERDAY},12\n",
    ),
    "stakeholders": (
        "stakeholder_import",
        "account_external_id,email,name,role\nCRM-1,dana@acme.example,Dana,owner\n",
    ),
    "support_tickets": (
        "ticket_import",
        "external_id,account_external_id,priority,status,opened_on\n"
        f"ZD-1,CRM-1,p1,open,{YESTERDAY}\n",
    ),
    "survey_responses": (
        "survey_import",
        f"external_id,account_external_id,kind,score,answered_on\nS-1,CRM-1,nps,9,{YESTERDAY}\n",
    ),
}


@pytest.fixture
def known(alpha):
    AccountFactory(workspace=alpha, external_id="CRM-1")
    UsageMetricFactory(workspace=alpha, key="logins")


def _upload(client, url: str, text: str):
    upload = SimpleUploadedFile("export.csv", text.encode(), content_type="text/csv")
    return client.post(url, {"step": "upload", "file": upload})


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_it_takes_every_kind_through_the_same_job_pipeline(login, alice, known, kind):
    url_name, text = KINDS[kind]
    url = reverse(url_name)
    client = login(alice)
    response = _upload(client, url, text)
    job = ImportJob.dangerously_unscoped.get()
    assert (job.kind, job.status, job.row_count, job.created_by) == (
        kind,
        ImportStatus.READY,
        1,
        alice,
    )
    assert response.context["outcome"].counts.created == 1
    assert client.post(url, {"step": "commit", "job": job.pk}).status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created_count, job.updated_count) == (ImportStatus.DONE, 1, 0)
    assert job.finished_at is not None
    (finished,) = DomainEvent.dangerously_unscoped.filter(event_type="import.finished")
    assert (finished.body["kind"], finished.body["id"]) == (kind, job.pk)
    history = client.get(url).context["history"]
    assert list(history) == [job]
    page = client.get(url, {"job": job.pk})
    assert page.context["job"] == job and page.context["mapping_form"] is None


def test_it_commits_a_job_once(login, alice, known):
    url_name, text = KINDS["usage"]
    client = login(alice)
    _upload(client, reverse(url_name), text)
    job = ImportJob.dangerously_unscoped.get()
    assert client.post(reverse(url_name), {"step": "commit", "job": job.pk}).status_code == 302
    again = client.post(reverse(url_name), {"step": "commit", "job": job.pk})
    assert again.status_code == 400
    assert DomainEvent.dangerously_unscoped.filter(event_type="import.finished").count() == 1


def test_it_answers_404_for_another_workspaces_job_or_another_kinds(
    login, alice, charlie, known, beta
):
    url_name, text = KINDS["usage"]
    _upload(login(charlie), reverse(url_name), text)
    theirs = ImportJob.dangerously_unscoped.get(workspace=beta)
    client = login(alice)
    assert client.get(reverse(url_name), {"job": theirs.pk}).status_code == 404
    assert client.post(reverse(url_name), {"step": "commit", "job": theirs.pk}).status_code == 404
    _upload(client, reverse(url_name), text)
    ours = ImportJob.dangerously_unscoped.get(workspace__slug="alpha")
    assert client.get(reverse("ticket_import"), {"job": ours.pk}).status_code == 404
    assert client.get(reverse(url_name), {"job": ours.pk}).status_code == 200
