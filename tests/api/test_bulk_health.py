"""Bulk upsert of support tickets and survey responses keyed by the source's id."""

import datetime as dt

import pytest
from django.urls import reverse

from health.models import SupportTicket, SurveyResponse
from stakeholders.models import Stakeholder
from tests.factories import AccountFactory

TICKETS = reverse("api-support-ticket-bulk")
SURVEYS = reverse("api-survey-response-bulk")
TODAY = dt.date.today()
TOMORROW = (TODAY + dt.timedelta(days=1)).isoformat()


def day(offset: int) -> str:
    return (TODAY - dt.timedelta(days=offset)).isoformat()


def ticket(external_id="ZD-1", account="CRM-1", **fields):
    return {
        "external_id": external_id,
        "account_external_id": account,
        "subject": "SSO fails",
        "priority": "P1",
        "status": "open",
        "opened_on": day(3),
        **fields,
    }


def survey(external_id="NPS-1", account="CRM-1", **fields):
    return {
        "external_id": external_id,
        "account_external_id": account,
        "kind": "nps",
        "score": 9,
        "answered_on": day(2),
        **fields,
    }


def stored(model):
    fields = [f.attname for f in model._meta.concrete_fields]
    return sorted(model.dangerously_unscoped.values_list(*fields))


ENDPOINTS = {
    "tickets": (TICKETS, SupportTicket, ticket),
    "surveys": (SURVEYS, SurveyResponse, survey),
}
BOTH_ENDPOINTS = pytest.mark.parametrize(
    ("url", "model", "make"), list(ENDPOINTS.values()), ids=list(ENDPOINTS)
)


@pytest.fixture
def account(alpha):
    return AccountFactory(workspace=alpha, external_id="CRM-1")


@pytest.mark.django_db
def test_it_creates_updates_and_closes_tickets(api, account):
    assert api.post(TICKETS, {"records": [ticket(), ticket("ZD-2")]}).json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    closed = ticket(status="closed", closed_on=day(1))
    assert api.post(TICKETS, {"records": [closed, ticket("ZD-2")]}).json() == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
    }
    zd1 = SupportTicket.dangerously_unscoped.get(external_id="ZD-1")
    assert (zd1.priority, zd1.status, zd1.closed_on, zd1.account_id) == (
        "p1",
        "closed",
        TODAY - dt.timedelta(days=1),
        account.pk,
    )


@pytest.mark.django_db
def test_it_stores_a_survey_answer_linked_to_the_respondents_stakeholder(api, account, alpha):
    dana = Stakeholder.dangerously_unscoped.create(
        workspace=alpha, account=account, email="Dana@Acme.example", name="Dana", role="owner"
    )
    records = [
        survey(respondent_email="dana@acme.example", comment="Great"),
        survey("CSAT-1", kind="CSAT", score=4, respondent_email="stranger@acme.example"),
    ]
    assert api.post(SURVEYS, {"records": records}).json()["created"] == 2
    nps = SurveyResponse.dangerously_unscoped.get(external_id="NPS-1")
    assert (nps.respondent_id, nps.comment, nps.kind) == (dana.pk, "Great", "nps")
    csat = SurveyResponse.dangerously_unscoped.get(external_id="CSAT-1")
    assert (csat.respondent_id, csat.respondent_email, csat.kind) == (
        None,
        "stranger@acme.example",
        "csat",
    )


@pytest.mark.django_db
@BOTH_ENDPOINTS
def test_it_leaves_stored_rows_identical_when_a_batch_is_replayed_three_times(
    api, account, url, model, make
):
    records = [make(f"X-{n}") for n in range(40)]
    api.post_gzip(url, {"records": records})
    before = stored(model)
    for _ in range(3):
        assert api.post(url, {"records": records}).json() == {
            "created": 0,
            "updated": 0,
            "unchanged": 40,
        }
        assert stored(model) == before


# (endpoint, test id, fields of the bad record, field at fault, error code)
BAD_RECORDS = [
    ("tickets", "priority-out-of-range", {"priority": "P5"}, "priority", "invalid-choice"),
    ("tickets", "number-priority", {"priority": 1}, "priority", "wrong-type"),
    ("tickets", "unknown-status", {"status": "solved"}, "status", "invalid-choice"),
    ("tickets", "future-opened", {"opened_on": TOMORROW}, "opened_on", "in-future"),
    ("tickets", "bad-date", {"opened_on": "24/11/2026"}, "opened_on", "invalid-date"),
    ("tickets", "account", {"account": "NOPE"}, "account_external_id", "unknown-account"),
    ("tickets", "unknown-field", {"assignee": "x"}, "assignee", "unknown-field"),
    ("tickets", "closed-without-date", {"status": "closed"}, "closed_on", "required"),
    ("tickets", "open-with-closed-on", {"closed_on": day(1)}, "closed_on", "not-closed"),
    (
        "tickets",
        "backwards",
        {"status": "closed", "closed_on": day(5)},
        "closed_on",
        "before-opened",
    ),
    ("surveys", "nps-over-10", {"score": 11}, "score", "out-of-range"),
    ("surveys", "csat-zero", {"kind": "csat", "score": 0}, "score", "out-of-range"),
    ("surveys", "string-score", {"score": "9"}, "score", "wrong-type"),
    ("surveys", "fractional-score", {"score": 8.5}, "score", "wrong-type"),
    ("surveys", "unknown-kind", {"kind": "ces"}, "kind", "invalid-choice"),
    ("surveys", "future-answer", {"answered_on": TOMORROW}, "answered_on", "in-future"),
    ("surveys", "account", {"account": "NOPE"}, "account_external_id", "unknown-account"),
    ("surveys", "email", {"respondent_email": "x"}, "respondent_email", "invalid-email"),
    ("surveys", "unknown-field", {"channel": "web"}, "channel", "unknown-field"),
]


def assert_refused(response, model, field, code):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert {"index": 1, "field": field, "code": code} in [
        {k: e[k] for k in ("index", "field", "code")} for e in response.json()["errors"]
    ]
    assert model.dangerously_unscoped.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("endpoint", "fields", "field", "code"),
    [(endpoint, fields, field, code) for endpoint, _, fields, field, code in BAD_RECORDS],
    ids=[f"{endpoint}-{name}" for endpoint, name, *_ in BAD_RECORDS],
)
def test_it_rejects_a_bad_record_and_writes_nothing(api, account, endpoint, fields, field, code):
    url, model, make = ENDPOINTS[endpoint]
    response = api.post(url, {"records": [make("OK"), make(**fields)]})
    assert_refused(response, model, field, code)


@pytest.mark.django_db
@BOTH_ENDPOINTS
def test_it_rejects_a_key_sent_twice_in_one_batch(api, account, url, model, make):
    response = api.post(url, {"records": [make("A"), make("A")]})
    assert_refused(response, model, "external_id", "duplicate-key")
