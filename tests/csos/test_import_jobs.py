"""Every import kind goes through one job pipeline and one set of pages: upload stores a job,
the check previews it, a commit writes it and records its counts, and the kind's history lists
it."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from csos.celery import app as celery_app
from csos.imports import jobs, pages, sweeps
from csos.imports.registry import registered_kinds, registered_pages
from csos.models import DomainEvent, ImportJob, ImportMapping, ImportStatus
from csos.tasks import import_job_recover_all_task
from csos.tenancy import workspace_scope
from tests.factories import AccountFactory, UsageMetricFactory, import_step
from value.models import UsageRecord
from value.usage_import import USAGE_CSV

YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()

KINDS = {
    "accounts": ("account_import", "external_id,name\nNEW-1,Newco\n"),
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
    return import_step(client, url, {"file": upload})


def _commit(client, url_name: str, job: ImportJob):
    return import_step(client, reverse(f"{url_name}_commit", args=[job.pk]), {})


def _job_page(client, url_name: str, job_id: int):
    return client.get(reverse(f"{url_name}_detail", args=[job_id]))


def test_it_has_a_test_file_for_every_registered_kind():
    assert sorted(KINDS) == registered_kinds()


@pytest.mark.parametrize("kind", registered_kinds())
def test_it_serves_every_kind_through_the_same_pages(login, alice, known, kind):
    url_name, text = KINDS[kind]
    url = reverse(url_name)
    client = login(alice)
    upload_page = client.get(url)
    assert upload_page.resolver_match.func.__name__ == pages.import_upload.__name__
    assert reverse(f"{url_name}_template") in upload_page.content.decode()
    response = _upload(client, url, text)
    job = ImportJob.dangerously_unscoped.get(kind=kind)
    assert (job.status, job.row_count, job.created_by) == (ImportStatus.READY, 1, alice)
    assert response.resolver_match.func.__name__ == pages.import_job.__name__
    assert response.context["job"] == job
    assert "Commit import" in response.content.decode()

    done = _commit(client, url_name, job)

    job.refresh_from_db()
    assert (job.status, job.created_count, job.updated_count) == (ImportStatus.DONE, 1, 0)
    assert job.finished_at is not None
    noun = registered_pages(kind).noun
    assert f'<div class="label">{noun} created</div><div class="value">1</div>' in (
        done.content.decode()
    )
    history = client.get(url)
    assert list(history.context["history"]) == [job]
    assert reverse(f"{url_name}_detail", args=[job.pk]) in history.content.decode()


@pytest.mark.parametrize("kind", sorted(set(KINDS) - {"accounts"}))
def test_it_announces_a_batch_kinds_import_once_committed(login, alice, known, kind):
    url_name, text = KINDS[kind]
    client = login(alice)
    _upload(client, reverse(url_name), text)
    job = ImportJob.dangerously_unscoped.get()
    _commit(client, url_name, job)
    (finished,) = DomainEvent.dangerously_unscoped.filter(event_type="import.finished")
    assert (finished.body["kind"], finished.body["id"]) == (kind, job.pk)


def test_it_asks_for_the_columns_of_a_batch_file_missing_a_required_field(login, alice, known):
    client = login(alice)
    _upload(
        client,
        reverse("value_usage_import"),
        f"account_external_id,day,value\nCRM-1,{YESTERDAY},1\n",
    )
    job = ImportJob.dangerously_unscoped.get()
    assert job.status == ImportStatus.MAPPING
    page = client.get(reverse("value_usage_import_detail", args=[job.pk]), follow=True)
    assert page.resolver_match.url_name == "value_usage_import_mapping"
    assert "No column fills Metric" in page.content.decode()


def test_it_refuses_a_new_mapping_for_a_committed_job(login, alice, known):
    url_name, text = KINDS["usage"]
    client = login(alice)
    _upload(client, reverse(url_name), text)
    job = ImportJob.dangerously_unscoped.get()
    _commit(client, url_name, job)
    mapping_url = reverse(f"{url_name}_mapping", args=[job.pk])
    answer = {"values_shown": "", "column_0": "", "column_1": "", "column_2": "", "column_3": ""}
    refused = import_step(client, mapping_url, answer)
    assert "This file is being imported or is done" in refused.content.decode()
    job.refresh_from_db()
    assert (job.status, job.columns) == (
        ImportStatus.DONE,
        ["account_external_id", "metric", "day", "value"],
    )


def test_it_commits_a_job_once(login, alice, known):
    url_name, text = KINDS["usage"]
    client = login(alice)
    _upload(client, reverse(url_name), text)
    job = ImportJob.dangerously_unscoped.get()
    assert _commit(client, url_name, job).status_code == 200
    again = _commit(client, url_name, job)
    assert "Only an import that is ready to commit can be committed." in again.content.decode()
    assert DomainEvent.dangerously_unscoped.filter(event_type="import.finished").count() == 1


def test_it_answers_404_for_another_workspaces_job_or_another_kinds(
    login, alice, charlie, known, beta
):
    url_name, text = KINDS["usage"]
    _upload(login(charlie), reverse(url_name), text)
    theirs = ImportJob.dangerously_unscoped.get(workspace=beta)
    client = login(alice)
    assert _job_page(client, url_name, theirs.pk).status_code == 404
    commit_url = reverse(f"{url_name}_commit", args=[theirs.pk])
    assert client.post(commit_url).status_code == 404
    _upload(client, reverse(url_name), text)
    ours = ImportJob.dangerously_unscoped.get(workspace__slug="alpha")
    assert _job_page(client, "ticket_import", ours.pk).status_code == 404
    assert _job_page(client, "account_import", ours.pk).status_code == 404
    assert _job_page(client, url_name, ours.pk).status_code == 200


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
    response = client.post(reverse(url_name), {"file": upload})  # its check is not run
    job = ImportJob.dangerously_unscoped.get()
    assert response.url == reverse(f"{url_name}_detail", args=[job.pk])
    page = client.get(response.url)
    assert 'hx-trigger="every 1s"' in page.content.decode()
    assert "commit_form" not in page.context
    progress_url = reverse(f"{url_name}_progress", args=[job.pk])
    polled = client.get(progress_url)
    assert "HX-Redirect" not in polled
    with workspace_scope(job.workspace):
        jobs.batch_job_check(job_id=job.pk)
    polled = client.get(progress_url)
    assert polled["HX-Redirect"] == response.url


def test_it_lets_an_admin_edit_a_batch_kinds_remembered_mapping(login, alice, known):
    url_name, _ = KINDS["usage"]
    client = login(alice)
    text = f"Customer ID,Date,Event,Count\nCRM-1,{YESTERDAY},logins,7\n"
    _upload(client, reverse(url_name), text)
    job = ImportJob.dangerously_unscoped.get()
    _commit(client, url_name, job)
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
