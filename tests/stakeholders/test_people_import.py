"""Stakeholders uploaded as CSV: the stakeholder bulk endpoint's checks, a preview with
row-level errors, written only on commit."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from csos.models import DomainEvent, ImportStatus
from stakeholders.ingest import STAKEHOLDER_RECORD
from stakeholders.models import Stakeholder
from stakeholders.people_import import STAKEHOLDER_SPEC
from tests.factories import AccountFactory, import_step, latest_import_job_id
from tests.stakeholders.factories import StakeholderFactory

URL = reverse("stakeholder_import")


@pytest.fixture
def account(alpha):
    return AccountFactory(workspace=alpha, external_id="CRM-1")


def _upload(client, text: str):
    upload = SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")
    return import_step(client, URL, {"file": upload})


def _step_url(step: str) -> str:
    return reverse(f"stakeholder_import_{step}", args=[latest_import_job_id()])


def test_it_offers_exactly_the_fields_of_the_bulk_endpoint():
    assert set(STAKEHOLDER_SPEC.keys) == set(STAKEHOLDER_RECORD.fields)
    assert {spec.key for spec in STAKEHOLDER_SPEC.required_fields} == STAKEHOLDER_RECORD.required


def test_it_maps_a_crm_export_previews_it_and_commits_it(login, lena, account):
    StakeholderFactory(account=account, email="dana@acme.example", name="Dana", influence=2)
    client = login(lena)
    text = (
        "Account ID,Email Address,Full Name,Job Title,Buying Role,Influence,Mood\n"
        "CRM-1,dana@acme.example,Dana,COO,Decision Maker,5,Happy\n"
        "CRM-1,eli@acme.example,Eli,IT lead,Admin,3,\n"
    )
    response = _upload(client, text)
    assert response.status_code == 200
    # Role and sentiment values the file spells its own way are asked for on the page.
    form = client.get(_step_url("mapping")).context["form"]
    assert {key for key, _label, _names in form.value_groups} == {"role", "sentiment"}
    answer = {"values_shown": form.values_shown}
    for position, (bound, _samples) in enumerate(form.column_rows()):
        answer[f"column_{position}"] = bound.initial
    meanings = {"Decision Maker": "owner", "Admin": "enabler", "Happy": "positive"}
    for _key, _label, names in form.value_groups:
        answer.update({name: meanings[value] for name, value in names.items()})
    response = import_step(client, _step_url("mapping"), answer)
    assert response.context["outcome"].counts.as_dict() == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
    }
    assert Stakeholder.dangerously_unscoped.count() == 1
    assert import_step(client, _step_url("commit"), {}).status_code == 200
    people = {p.email: p for p in Stakeholder.dangerously_unscoped.all()}
    assert (people["dana@acme.example"].role, people["dana@acme.example"].influence) == (
        "owner",
        5,
    )
    assert people["eli@acme.example"].role == "enabler"
    (finished,) = DomainEvent.dangerously_unscoped.filter(event_type="import.finished")
    assert {key: finished.body[key] for key in ("kind", "filename", "created", "updated")} == {
        "kind": "stakeholders",
        "filename": "people.csv",
        "created": 1,
        "updated": 1,
    }


def test_it_lists_each_error_at_its_row_and_writes_nothing(login, lena, account):
    client = login(lena)
    text = (
        "account_external_id,email,name,role,influence\n"
        "CRM-1,ok@acme.example,Ok,owner,3\n"
        "CRM-404,who@acme.example,Who,owner,3\n"
        "CRM-1,new@acme.example,,,9\n"
        "CRM-1,not-an-email,X,owner,3\n"
    )
    job = _upload(client, text).context["job"]
    assert job.status == ImportStatus.INVALID
    listed = {(error["row"], error["field"]) for error in job.errors}
    assert {(3, "account_external_id"), (4, "influence"), (5, "email")} <= listed
    refused = import_step(client, _step_url("commit"), {}).content.decode()
    assert "Only an import that is ready to commit can be committed." in refused
    assert not Stakeholder.dangerously_unscoped.exists()


@pytest.mark.parametrize("user", ["bob", "vera"])
def test_it_lets_only_leaders_and_admins_import(login, request, user, account):
    client = login(request.getfixturevalue(user))
    assert client.get(URL).status_code == 403
    assert _upload(client, "account_external_id,email\nCRM-1,a@b.example\n").status_code == 403


def test_it_links_the_import_from_the_stakeholder_map_for_leaders(login, lena, bob, account):
    page = reverse("stakeholder_map", args=[account.pk])
    assert URL in login(lena).get(page).content.decode()
    assert URL not in login(bob).get(page).content.decode()
