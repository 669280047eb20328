"""Every read endpoint: pages by cursor in its ordering, filters, and costs the same number of
queries for a page of 5 rows as for a page of 50."""

import base64
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from health.models import HealthSnapshot
from playbooks.models import Task
from stakeholders.models import Objective
from tests.factories import AccountFactory, AccountUseCaseFactory, EvidenceFactory
from tests.stakeholders.factories import ObjectiveFactory, StakeholderFactory, SuccessPlanFactory

ROWS = 55
MONDAY = dt.date(2026, 11, 16)


def _accounts(alpha, bob, count):
    accounts = AccountFactory.create_batch(count, workspace=alpha, owner=bob)
    for index, account in enumerate(accounts):
        AccountUseCaseFactory(account=account, level=1 + index % 4)
        for weeks in (1, 0):
            HealthSnapshot.dangerously_unscoped.create(
                workspace=alpha,
                account=account,
                week=MONDAY - dt.timedelta(weeks=weeks),
                total=20 + index,
                band="red" if index % 2 else "green",
                model_name="Default",
                model_version=1,
            )
    return accounts


def _evidence(alpha, bob, count):
    return EvidenceFactory.create_batch(count, account__workspace=alpha, account__owner=bob)


def _plans(alpha, bob, count):
    plans = SuccessPlanFactory.create_batch(count, account__workspace=alpha, account__owner=bob)
    for plan in plans:
        owner = StakeholderFactory(account=plan.account)
        ObjectiveFactory.create_batch(2, plan=plan, owner=owner)
    return plans


def _tasks(alpha, bob, count):
    account = AccountFactory(workspace=alpha, owner=bob)
    return [
        Task.dangerously_unscoped.create(
            workspace=alpha,
            account=account,
            playbook="save",
            title=f"Task {index}",
            reason="Health turned red.",
            assignee=bob,
            due_on=MONDAY + dt.timedelta(days=index % 7),
            priority="urgent",
            cause=f"cause-{index}",
        )
        for index in range(count)
    ]


def _snapshots(alpha, bob, count):
    return [
        HealthSnapshot.dangerously_unscoped.create(
            workspace=alpha,
            account=AccountFactory(workspace=alpha, owner=bob),
            week=MONDAY - dt.timedelta(weeks=index % 3),
            total=30 + index,
            band=("red", "yellow", "green")[index % 3],
            model_name="Default",
            model_version=1,
        )
        for index in range(count)
    ]


def _stakeholders(alpha, bob, count):
    return StakeholderFactory.create_batch(count, account__workspace=alpha, account__owner=bob)


# url name, rows builder, an ordering field other than id
LISTS = [
    ("api-account-list", _accounts, "name"),
    ("api-evidence-list", _evidence, "updated_at"),
    ("api-success-plan-list", _plans, "starts_on"),
    ("api-task-list", _tasks, "due_on"),
    ("api-health-snapshot-list", _snapshots, "week"),
    ("api-stakeholder-list", _stakeholders, None),
]


def _count_queries(api, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, **params)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


@pytest.mark.parametrize(("name", "build", "_ordering"), LISTS)
def test_it_reads_a_page_of_50_with_the_queries_of_a_page_of_5(
    api, alpha, bob, name, build, _ordering
):
    build(alpha, bob, ROWS)
    url = reverse(name)
    api.get(url)  # the token's first use records it
    small, small_page = _count_queries(api, url, page_size=5)
    large, large_page = _count_queries(api, url, page_size=50)
    assert (len(small_page["results"]), len(large_page["results"])) == (5, 50)
    assert small == large


@pytest.mark.parametrize(("name", "build", "ordering"), [row for row in LISTS if row[2]])
def test_it_walks_every_row_once_by_cursor_in_the_asked_order(
    api, alpha, bob, name, build, ordering
):
    build(alpha, bob, 12)
    url = reverse(name)
    for order in (ordering, f"-{ordering}"):
        seen, values = [], []
        page = api.get(url, page_size=5, ordering=order).json()
        while True:
            seen += [row["id"] for row in page["results"]]
            values += [row[ordering] for row in page["results"]]
            if not page["next"]:
                break
            page = api.get(page["next"]).json()
        assert (
            len(seen) == len(set(seen)) == api.get(url, page_size=1000).json()["results"].__len__()
        )
        assert values == sorted(values, reverse=order.startswith("-"))


def _refused_parameters(response) -> list[str]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


def test_it_answers_a_cursor_position_that_is_no_value_of_the_ordering_with_400(api, alpha):
    cursor = base64.b64encode(b"p=not-a-date").decode()
    response = api.get(reverse("api-task-list"), cursor=cursor)
    assert _refused_parameters(response) == ["cursor"]


@pytest.mark.parametrize("page_size", ["0", "-1", "1001", "2.5", "abc", "", "١٢"])
def test_it_refuses_a_page_size_outside_1_to_1000_naming_it(api, alpha, page_size):
    response = api.get(reverse("api-account-list"), page_size=page_size)
    assert _refused_parameters(response) == ["page_size"]


@pytest.mark.parametrize("ordering", ["owner", "-", "", "name,arr", "--name"])
def test_it_refuses_an_ordering_the_endpoint_does_not_offer_naming_it(api, alpha, ordering):
    response = api.get(reverse("api-account-list"), ordering=ordering)
    assert _refused_parameters(response) == ["ordering"]


@pytest.mark.parametrize(
    ("name", "parameter"),
    [
        ("api-account-list", "status"),
        ("api-account-list", "renewal_after"),
        ("api-account-list", "external_id"),
        ("api-evidence-list", "account"),
        ("api-stakeholder-list", "role"),
        ("api-success-plan-list", "starts_before"),
    ],
)
def test_it_refuses_a_blank_filter_naming_it(api, alpha, name, parameter):
    response = api.get(reverse(name), **{parameter: " "})
    assert _refused_parameters(response) == [parameter]


@pytest.mark.parametrize("parameter", ["by", "as_of"])
def test_it_refuses_a_blank_coverage_parameter_rather_than_taking_its_default(api, parameter):
    response = api.get(reverse("api-value-coverage"), **{parameter: ""})
    assert _refused_parameters(response) == [parameter]


def test_it_sends_no_document_and_no_email_as_null_not_an_empty_string(api, alpha, bob):
    evidence = _evidence(alpha, bob, 1)[0]
    person = StakeholderFactory(account=evidence.account, email="")
    row = api.get(reverse("api-evidence-detail", args=[evidence.pk])).json()
    assert (evidence.document_url, row["document_url"]) == ("", None)
    row = api.get(reverse("api-stakeholder-detail", args=[person.pk])).json()
    assert row["email"] is None


def test_it_shows_each_account_with_owner_health_and_proven_level(api, alpha, bob):
    account = _accounts(alpha, bob, 2)[1]
    row = api.get(reverse("api-account-detail", args=[account.pk])).json()
    assert row["owner_email"] == bob.email
    assert row["owner_name"] == "Bob Tester"
    assert (row["health_band"], row["health_score"]) == ("red", 21.0)
    assert row["proven_level"] == 2
    bare = AccountFactory(workspace=alpha)
    row = api.get(reverse("api-account-detail", args=[bare.pk])).json()
    assert (row["owner_email"], row["health_band"], row["health_score"]) == (None, None, None)
    assert row["proven_level"] == 0


def test_it_filters_evidence_by_account_status_and_level(api, alpha, bob):
    first, second = _evidence(alpha, bob, 2)
    EvidenceFactory(account=first.account, use_case=first.use_case, level=4, status="disputed")
    rows = api.get(reverse("api-evidence-list"), account=first.account_id).json()["results"]
    assert len(rows) == 2
    rows = api.get(reverse("api-evidence-list"), level=4, status="disputed").json()["results"]
    assert [row["account"] for row in rows] == [first.account_id]
    by_external = api.get(
        reverse("api-evidence-list"), account_external_id=second.account.external_id
    ).json()["results"]
    assert [row["id"] for row in by_external] == [second.pk]


def test_it_filters_health_snapshots_by_account_week_and_band(api, alpha, bob):
    snapshots = _snapshots(alpha, bob, 6)
    url = reverse("api-health-snapshot-list")
    rows = api.get(url, week=MONDAY.isoformat(), band="red").json()["results"]
    assert [row["id"] for row in rows] == [
        s.pk for s in snapshots if s.week == MONDAY and s.band == "red"
    ]
    rows = api.get(url, account=snapshots[1].account_id).json()["results"]
    assert [row["id"] for row in rows] == [snapshots[1].pk]
    assert api.get(url, band="purple").status_code == 400


def test_it_filters_plans_and_tasks(api, alpha, bob):
    plan = _plans(alpha, bob, 3)[0]
    rows = api.get(reverse("api-success-plan-list"), account=plan.account_id).json()["results"]
    assert [row["id"] for row in rows] == [plan.pk]
    assert [o["title"] for o in rows[0]["objectives"]] == [
        o.title for o in Objective.dangerously_unscoped.filter(plan=plan).order_by("id")
    ]
    tasks = _tasks(alpha, bob, 8)
    rows = api.get(
        reverse("api-task-list"), due_before=(MONDAY + dt.timedelta(days=1)).isoformat()
    ).json()["results"]
    assert {row["id"] for row in rows} == {
        t.pk for t in tasks if t.due_on <= MONDAY + dt.timedelta(days=1)
    }
    assert [row["due_on"] for row in rows] == sorted(row["due_on"] for row in rows)
