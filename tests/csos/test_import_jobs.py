"""Every batch import kind goes through one job pipeline: upload stores a job, the check
previews it, a commit writes it and records its counts, and the kind's history lists it."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from csos.celery import app as celery_app
from csos.imports import jobs, sweeps
from csos.models import DomainEvent, ImportJob, ImportMapping, ImportStatus
from csos.tasks import import_job_recover_all_task
from csos.tenancy import workspace_scope
from tests.factories import AccountFactory, UsageMetricFactory, import_step
from value.models import UsageRecord
from value.usage_import import USAGE_CSV

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
    return import_step(client, url, {"step": "upload", "file": upload})


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
    assert import_step(client, url, {"step": "commit", "job": job.pk}).status_code == 200
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
    assert (
        import_step(client, reverse(url_name), {"step": "commit", "job": job.pk}).status_code == 200
    )
    again = import_step(client, reverse(url_name), {"step": "commit", "job": job.pk})
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


def _lost(job: ImportJob, **state) -> None:
    """What a worker that died (or a lost task) leaves: the job as it was, long ago."""
    ImportJob.dangerously_unscoped.filter(pk=job.pk).update(
        queued_at=timezone.now() - sweeps.RESUME_AFTER - dt.timedelta(minutes=1), **state
    )


def test_it_checks_again_a_usage_file_whose_worker_died_mid_check(alpha, lena, known):
    with workspace_scope(alpha):
        job = jobs.batch_job_create(
            USAGE_CSV, workspace=alpha, by=lena, filename="usage.csv", content=KINDS["usage"][1]
        )
    _lost(job)

    import_job_recover_all_task.delay()

    job.refresh_from_db()
    assert (job.status, job.preview["counts"]["created"]) == (ImportStatus.READY, 1)


def test_it_commits_again_a_usage_file_whose_worker_died_mid_write(alpha, lena, known):
    with workspace_scope(alpha):
        job = jobs.batch_job_create(
            USAGE_CSV, workspace=alpha, by=lena, filename="usage.csv", content=KINDS["usage"][1]
        )
        jobs.batch_job_check(job_id=job.pk)
        assert jobs.batch_job_queue(job=job, by=lena)
    _lost(job, status=ImportStatus.RUNNING, attempts=1)

    import_job_recover_all_task.delay()

    job.refresh_from_db()
    assert (job.status, job.attempts, job.created_count) == (ImportStatus.DONE, 2, 1)
    assert job.queued_by == lena
    assert UsageRecord.dangerously_unscoped.get().value == 12


def test_it_polls_a_job_a_worker_has_then_reloads_its_page(login, alice, known):
    url_name, text = KINDS["usage"]
    client = login(alice)
    upload = SimpleUploadedFile("export.csv", text.encode(), content_type="text/csv")
    response = client.post(reverse(url_name), {"step": "upload", "file": upload})  # not run
    job = ImportJob.dangerously_unscoped.get()
    assert response.url == f"{reverse(url_name)}?job={job.pk}"
    page = client.get(response.url)
    assert 'hx-trigger="every 1s"' in page.content.decode()
    assert page.context["mapping_form"] is None
    polled = client.get(reverse(url_name), {"job": job.pk, "progress": 1})
    assert "HX-Redirect" not in polled
    with workspace_scope(job.workspace):
        jobs.batch_job_check(job_id=job.pk)
    polled = client.get(reverse(url_name), {"job": job.pk, "progress": 1})
    assert polled["HX-Redirect"] == f"{reverse(url_name)}?job={job.pk}"


def test_it_lets_an_admin_edit_a_batch_kinds_remembered_mapping(login, alice, known):
    url_name, _ = KINDS["usage"]
    client = login(alice)
    text = f"Customer ID,Date,Event,Count\nCRM-1,{YESTERDAY},logins,7\n"
    _upload(client, reverse(url_name), text)
    job = ImportJob.dangerously_unscoped.get()
    import_step(client, reverse(url_name), {"step": "commit", "job": job.pk})
    remembered = ImportMapping.dangerously_unscoped.get(kind="usage")
    page = client.get(reverse("import_mapping_change", args=[remembered.pk]))
    assert page.status_code == 200
    assert page.context["form"]["column_3"].initial == "value"


def test_it_says_on_the_page_when_no_worker_runs_the_jobs(login, alice):
    url = reverse(KINDS["usage"][0])
    client = login(alice)
    assert "No task worker is configured" in client.get(url).content.decode()
    celery_app.conf.task_always_eager = False
    try:
        assert "No task worker is configured" not in client.get(url).content.decode()
    finally:
        celery_app.conf.task_always_eager = True
