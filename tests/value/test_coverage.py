"""Value-proof coverage on a hand-built book, against figures computed by hand."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AccountFactory, AccountUseCaseFactory, UseCaseFactory
from value.selectors import value_coverage

pytestmark = pytest.mark.django_db


def book(alpha, bob, carol):
    """Five active accounts and a churned one; levels set as the ladder would store them.

    | account | segment    | CSM   | ARR          | highest level |
    | A1      | small      | Bob   | 10,000 USD   | 3 (and a 1)   |
    | A2      | small      | Bob   | 30,000 USD   | 0 (pursues nothing) |
    | A3      | small      | Carol | 20,000 EUR   | 1             |
    | A4      | enterprise | Carol | 100,000 USD  | 4             |
    | A5      | enterprise | Carol | 50,000 USD   | 2             |
    | A6      | enterprise | Carol | churned, not counted |
    """
    triage = UseCaseFactory(workspace=alpha, name="Triage")
    reporting = UseCaseFactory(workspace=alpha, name="Reporting")

    def account(name, segment, owner, arr, currency="USD", levels=(), status="active"):
        created = AccountFactory(
            workspace=alpha, name=name, segment=segment, owner=owner, arr=Decimal(arr),
            currency=currency, status=status,
        )  # fmt: skip
        for use_case, level in zip((triage, reporting), levels, strict=False):
            AccountUseCaseFactory(account=created, use_case=use_case, level=level)
        return created

    account("A1", "small", bob, 10_000, levels=(3, 1))
    account("A2", "small", bob, 30_000)
    account("A3", "small", carol, 20_000, currency="EUR", levels=(1,))
    account("A4", "enterprise", carol, 100_000, levels=(4, 2))
    account("A5", "enterprise", carol, 50_000, levels=(2,))
    account("A6", "enterprise", carol, 0, levels=(4,), status="churned")
    return triage


def more_accounts(alpha, owner, use_case, count):
    for number in range(count):
        AccountUseCaseFactory(
            account=AccountFactory(workspace=alpha, segment="mid_market", owner=owner),
            use_case=use_case,
            level=number % 5,
        )


def groups_by_name(coverage):
    return {group["name"]: group for group in coverage["groups"]}


def test_it_matches_hand_computed_shares_by_segment(alpha, bob, carol, in_alpha):
    book(alpha, bob, carol)
    groups = groups_by_name(value_coverage(by="segment"))
    small, enterprise = groups["Small business"], groups["Enterprise"]
    assert small["counts"] == {0: 1, 1: 1, 2: 0, 3: 1, 4: 0}
    assert small["count_shares"] == {0: 33.3, 1: 33.3, 2: 0.0, 3: 33.3, 4: 0.0}
    assert small["arr_shares"] == {
        "EUR": {0: 0.0, 1: 100.0, 2: 0.0, 3: 0.0, 4: 0.0},
        "USD": {0: 75.0, 1: 0.0, 2: 0.0, 3: 25.0, 4: 0.0},
    }
    assert enterprise["count"] == 2  # the churned account is not counted
    assert enterprise["count_shares"] == {0: 0.0, 1: 0.0, 2: 50.0, 3: 0.0, 4: 50.0}
    assert enterprise["arr_shares"] == {"USD": {0: 0.0, 1: 0.0, 2: 33.3, 3: 0.0, 4: 66.7}}
    assert enterprise["arr"]["USD"][4] == Decimal(100_000)


def test_it_matches_hand_computed_shares_by_csm(alpha, bob, carol, in_alpha):
    book(alpha, bob, carol)
    groups = groups_by_name(value_coverage(by="csm"))
    bob_row, carol_row = groups["Bob Tester"], groups["Carol Tester"]
    assert bob_row["count_shares"] == {0: 50.0, 1: 0.0, 2: 0.0, 3: 50.0, 4: 0.0}
    assert bob_row["arr_shares"] == {"USD": {0: 75.0, 1: 0.0, 2: 0.0, 3: 25.0, 4: 0.0}}
    assert carol_row["count_shares"] == {0: 0.0, 1: 33.3, 2: 33.3, 3: 0.0, 4: 33.3}
    assert carol_row["arr_shares"] == {
        "EUR": {0: 0.0, 1: 100.0, 2: 0.0, 3: 0.0, 4: 0.0},
        "USD": {0: 0.0, 1: 0.0, 2: 33.3, 3: 0.0, 4: 66.7},
    }


def test_it_never_adds_arr_across_currencies(alpha, bob, carol, in_alpha):
    book(alpha, bob, carol)
    small = groups_by_name(value_coverage(by="segment"))["Small business"]
    assert small["arr"]["EUR"][1] == Decimal(20_000)
    assert small["arr"]["USD"][1] == Decimal(0)


@pytest.mark.parametrize("by", ["segment", "csm"])
def test_it_reads_coverage_in_the_same_queries_at_any_size(alpha, bob, carol, in_alpha, by):
    triage = book(alpha, bob, carol)
    with CaptureQueriesContext(connection) as small:
        value_coverage(by=by)
    more_accounts(alpha, bob, triage, 40)
    with CaptureQueriesContext(connection) as large:
        value_coverage(by=by)
    assert len(small) == len(large) <= 2


def test_it_drills_down_to_the_accounts_of_a_cell(alpha, bob, carol, login, lena):
    book(alpha, bob, carol)
    response = login(lena).get(
        reverse("value_coverage_accounts"), {"by": "segment", "group": "small", "level": "3"}
    )
    assert response.status_code == 200
    names = [account.name for account in response.context["page"].object_list]
    assert names == ["A1"]


def test_it_exports_the_drill_down_as_csv(alpha, bob, carol, login, lena):
    book(alpha, bob, carol)
    response = login(lena).get(reverse("value_coverage_csv"), {"by": "csm", "group": bob.pk})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["external_id", "account", "segment", "csm", "arr", "currency", "level"]
    assert sorted((row[1], row[6]) for row in rows[1:]) == [
        ("A1", "Use-case value"),
        ("A2", "None proven"),
    ]


def test_it_shows_the_coverage_page_to_leaders_and_admins_only(login, alice, lena, bob, vera):
    url = reverse("value_coverage")
    for person, status in ((alice, 200), (lena, 200), (bob, 403), (vera, 403)):
        assert login(person).get(url, {"by": "csm"}).status_code == status, person
    for name in ("value_coverage_accounts", "value_coverage_csv"):
        assert login(bob).get(reverse(name)).status_code == 403
