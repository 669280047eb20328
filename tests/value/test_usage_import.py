"""Daily usage uploaded as CSV: checked by the usage bulk endpoint's own code, previewed with
row-level errors, written only on commit."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from csos.models import DomainEvent, ImportMapping, ImportStatus
from tests.factories import AccountFactory, UsageMetricFactory, import_step, latest_import_job_id
from value.ingest import USAGE_RECORD
from value.models import UsageRecord
from value.usage_import import USAGE_SPEC

URL = reverse("value_usage_import")
YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()


@pytest.fixture
def known(alpha):
    AccountFactory(workspace=alpha, external_id="CRM-1")
    UsageMetricFactory(workspace=alpha, key="logins")


def _upload(client, text: str, name="usage.csv"):
    upload = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return import_step(client, URL, {"file": upload})


def _step_url(step: str, job_id) -> str:
    return reverse(f"value_usage_import_{step}", args=[job_id])


def _commit(client):
    return import_step(client, _step_url("commit", latest_import_job_id()), {})


def test_it_offers_exactly_the_fields_of_the_bulk_endpoint():
    assert set(USAGE_SPEC.keys) == set(USAGE_RECORD.fields)
    assert {spec.key for spec in USAGE_SPEC.required_fields} == USAGE_RECORD.required


def test_it_previews_a_file_without_writing_and_commits_it(login, lena, known):
    client = login(lena)
    text = f"account_external_id,metric,day,value\nCRM-1,logins,{YESTERDAY},12\n"
    response = _upload(client, text)
    assert response.status_code == 200
    assert response.context["outcome"].counts.as_dict() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
    }
    assert not UsageRecord.dangerously_unscoped.exists()
    response = _commit(client)
    assert response.status_code == 200
    record = UsageRecord.dangerously_unscoped.get()
    assert record.value == 12
    assert ImportMapping.dangerously_unscoped.filter(kind="usage").exists()
    (finished,) = DomainEvent.dangerously_unscoped.filter(event_type="import.finished")
    assert finished.body == {
        "kind": "usage", "id": latest_import_job_id(), "filename": "usage.csv", "created": 1,
        "updated": 0,
        "unchanged": 0, "skipped": 0, "url": finished.body["url"],
    }  # fmt: skip
    assert finished.body["url"].endswith(reverse("value_framework"))


def test_it_lists_each_error_at_its_spreadsheet_row_and_writes_nothing(login, lena, known):
    client = login(lena)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    text = (
        "account_external_id,metric,day,value\n"
        f"CRM-1,logins,{YESTERDAY},3\n"
        "\n"
        f"CRM-404,logins,{YESTERDAY},1\n"
        f"CRM-1,logins,{tomorrow},1\n"
        f"CRM-1,logins,{YESTERDAY[:4]}-02-30,-4\n"
    )
    response = _upload(client, text)
    job = response.context["job"]
    assert job.status == ImportStatus.INVALID
    listed = {(error["row"], error["field"]) for error in job.errors}
    assert listed == {
        (4, "account_external_id"),
        (5, "day"),
        (6, "day"),
        (6, "value"),
    }
    assert "CRM-404" in response.content.decode()
    refused = _commit(client).content.decode()
    assert "Only an import that is ready to commit can be committed." in refused
    assert not UsageRecord.dangerously_unscoped.exists()


def test_it_guesses_other_headers_and_takes_a_corrected_mapping(login, lena, known):
    client = login(lena)
    text = f"Customer ID,Date,Event,Count,Notes\nCRM-1,{YESTERDAY},logins,7,x\n"
    response = _upload(client, text)
    assert response.context["outcome"].counts.created == 1
    # Map the notes column as the value instead: "x" is no number, and the error says so.
    mapping_url = _step_url("mapping", latest_import_job_id())
    answer = {
        "values_shown": "",
        "column_0": "account_external_id",
        "column_1": "day",
        "column_2": "metric",
        "column_3": "",
        "column_4": "value",
    }
    response = import_step(client, mapping_url, answer)
    errors = response.context["job"].errors
    assert [(e["row"], e["field"]) for e in errors] == [(2, "value")]
    answer.update(column_3="value", column_4="")
    assert import_step(client, mapping_url, answer).context["outcome"].counts.created == 1
    assert _commit(client).status_code == 200
    assert UsageRecord.dangerously_unscoped.get().value == 7


def test_it_refuses_a_file_that_is_no_csv_and_a_commit_of_no_such_import(login, lena):
    client = login(lena)
    response = _upload(client, "a,b\n1,2\n", name="usage.xlsx")
    assert response.status_code == 400
    assert client.post(_step_url("commit", 404)).status_code == 404
    assert client.post(f"{URL}x/commit/").status_code == 404


@pytest.mark.parametrize("user", ["bob", "vera"])
def test_it_lets_only_leaders_and_admins_import(login, request, user, known):
    client = login(request.getfixturevalue(user))
    assert client.get(URL).status_code == 403
    text = f"account_external_id,metric,day,value\nCRM-1,logins,{YESTERDAY},12\n"
    assert _upload(client, text).status_code == 403
    assert not UsageRecord.dangerously_unscoped.exists()


def test_it_links_the_import_from_the_framework_page_for_leaders(login, lena, bob):
    assert URL in login(lena).get(reverse("value_framework")).content.decode()
    assert URL not in login(bob).get(reverse("value_framework")).content.decode()
