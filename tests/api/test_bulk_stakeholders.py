"""Bulk upsert of stakeholders keyed by account and e-mail."""

import datetime as dt

import pytest
from django.urls import reverse

from stakeholders.models import Stakeholder, StakeholderChange, StakeholderState
from tests.factories import AccountFactory

URL = reverse("api-stakeholder-bulk")
TODAY = dt.date.today()


def person(email="dana@acme.example", account="CRM-1", **fields):
    return {
        "account_external_id": account,
        "email": email,
        "name": "Dana Whitfield",
        "role": "champion",
        **fields,
    }


def stored():
    return sorted(
        Stakeholder.dangerously_unscoped.values_list(
            "workspace_id", "account_id", "email", "name", "role", "status", "left_on", "added_on"
        )
    )


@pytest.fixture
def account(alpha):
    return AccountFactory(workspace=alpha, external_id="CRM-1")


@pytest.mark.django_db
def test_it_creates_then_updates_a_person_named_by_e_mail_in_any_case(api, account):
    assert api.post(URL, {"records": [person(title="COO")]}).json() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
    }
    renamed = {"account_external_id": "CRM-1", "email": "DANA@acme.example", "name": "Dana W."}
    assert api.post(URL, {"records": [renamed]}).json() == {
        "created": 0,
        "updated": 1,
        "unchanged": 0,
    }
    dana = Stakeholder.dangerously_unscoped.get()
    assert (dana.name, dana.title, dana.role, dana.account_id) == (
        "Dana W.",
        "COO",
        "champion",
        account.pk,
    )


@pytest.mark.django_db
def test_it_leaves_stored_rows_identical_when_a_batch_is_replayed_three_times(api, account):
    records = [person(f"p{n}@acme.example", influence=1 + n % 5) for n in range(50)]
    api.post_gzip(URL, {"records": records})
    before = stored()
    for _ in range(3):
        assert api.post(URL, {"records": records}).json() == {
            "created": 0,
            "updated": 0,
            "unchanged": 50,
        }
        assert stored() == before


@pytest.mark.django_db
def test_it_records_the_departure_of_a_champion(api, account):
    api.post(URL, {"records": [person()]})
    left = TODAY.isoformat()
    gone = {"account_external_id": "CRM-1", "email": "dana@acme.example", "status": "left"}
    api.post(URL, {"records": [{**gone, "left_on": left}]})
    api.post(URL, {"records": [{**gone, "left_on": left}]})
    change = StakeholderChange.dangerously_unscoped.get()
    assert (change.role, change.left_on) == ("champion", TODAY)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("record", "field", "code"),
    [
        pytest.param(person(influence="5"), "influence", "wrong-type", id="string-influence"),
        pytest.param(person(influence=6), "influence", "too-large", id="influence-out-of-range"),
        pytest.param(person(role="boss"), "role", "invalid-choice", id="unknown-role"),
        pytest.param(person(email="nobody"), "email", "invalid-email", id="bad-email"),
        pytest.param(person(account="NOPE"), "account_external_id", "unknown-account", id="acct"),
        pytest.param(
            person(added_on=(TODAY + dt.timedelta(days=1)).isoformat()),
            "added_on",
            "in-future",
            id="future-date",
        ),
        pytest.param(person(nickname="D"), "nickname", "unknown-field", id="unknown-field"),
        pytest.param({**person(), "name": None}, "name", "wrong-type", id="null-name"),
        pytest.param(
            {"account_external_id": "CRM-1", "email": "new@acme.example"},
            "name",
            "required",
            id="new-without-name",
        ),
        pytest.param(person(status="left"), "left_on", "required", id="left-without-date"),
    ],
)
def test_it_rejects_a_bad_record_and_writes_nothing(api, account, record, field, code):
    response = api.post(URL, {"records": [person("ok@acme.example"), record]})
    assert response.status_code == 400
    assert {"index": 1, "field": field, "code": code} in [
        {k: e[k] for k in ("index", "field", "code")} for e in response.json()["errors"]
    ]
    assert Stakeholder.dangerously_unscoped.count() == 0


@pytest.mark.django_db
def test_it_rejects_the_same_person_twice_in_one_batch(api, account):
    response = api.post(URL, {"records": [person(), person("DANA@acme.example")]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "duplicate-key"
    assert Stakeholder.dangerously_unscoped.count() == 0


@pytest.mark.django_db
def test_it_never_matches_a_person_of_another_workspace(api, account, beta):
    other = AccountFactory(workspace=beta, external_id="CRM-1")
    Stakeholder.dangerously_unscoped.create(
        workspace=beta, account=other, email="dana@acme.example", name="Theirs", role="owner"
    )
    assert api.post(URL, {"records": [person()]}).json()["created"] == 1
    assert Stakeholder.dangerously_unscoped.get(workspace=beta).name == "Theirs"


@pytest.mark.django_db
def test_it_dates_the_roles_and_sentiments_a_batch_creates_and_changes(api, account):
    added = TODAY - dt.timedelta(days=30)
    api.post(URL, {"records": [person(added_on=added.isoformat(), sentiment="positive")]})
    api.post(URL, {"records": [person(role="owner")]})
    api.post(URL, {"records": [person(role="owner", title="COO")]})
    assert sorted(
        StakeholderState.dangerously_unscoped.values_list("role", "sentiment", "since")
    ) == [("champion", "positive", added), ("owner", "positive", TODAY)]
