"""Value-proof coverage on a hand-built book, against figures computed by hand."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from csos.models import ExchangeRate
from tests.factories import AccountFactory, AccountUseCaseFactory, UseCaseFactory
from value.selectors.coverage import value_coverage

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 30)


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
        currency = ("USD", "EUR", "GBP", "JPY")[number % 4]
        AccountUseCaseFactory(
            account=AccountFactory(
                workspace=alpha, segment="mid_market", owner=owner, currency=currency
            ),
            use_case=use_case,
            level=number % 5,
        )


def groups_by_name(coverage):
    return {group["name"]: group for group in coverage["groups"]}


def test_it_matches_hand_computed_shares_by_segment(alpha, bob, carol, in_alpha):
    book(alpha, bob, carol)
    groups = groups_by_name(value_coverage(by="segment", as_of=TODAY))
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
    groups = groups_by_name(value_coverage(by="csm", as_of=TODAY))
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
    small = groups_by_name(value_coverage(by="segment", as_of=TODAY))["Small business"]
    assert small["arr"]["EUR"][1] == Decimal(20_000)
    assert small["arr"]["USD"][1] == Decimal(0)


@pytest.mark.parametrize("by", ["segment", "csm"])
def test_it_reads_coverage_in_the_same_queries_at_any_size(alpha, bob, carol, in_alpha, by):
    triage = book(alpha, bob, carol)
    rates(alpha, on=TODAY)
    with CaptureQueriesContext(connection) as small:
        value_coverage(by=by, as_of=TODAY)
    more_accounts(alpha, bob, triage, 40)
    with CaptureQueriesContext(connection) as large:
        value_coverage(by=by, as_of=TODAY)
    assert len(small) == len(large) <= 2


def rates(alpha, *, on):
    """EUR: 0.9 superseded by 1.1 on the report date ``on``, and 1.5 not valid yet; JPY too.
    GBP has none."""
    for currency, rate, days in (
        ("EUR", "0.9", -200),
        ("EUR", "1.1", -29),
        ("EUR", "1.5", 1),
        ("JPY", "0.0067", -10),
    ):
        ExchangeRate.dangerously_unscoped.create(
            workspace=alpha, currency=currency, rate=Decimal(rate),
            valid_from=on + timedelta(days=days),
        )  # fmt: skip


def pound_account(alpha, carol, triage):
    """A7: enterprise, Carol, 40,000 GBP at level 3; GBP has no rate."""
    AccountUseCaseFactory(
        account=AccountFactory(
            workspace=alpha, name="A7", segment="enterprise", owner=carol,
            arr=Decimal(40_000), currency="GBP",
        ),
        use_case=triage,
        level=3,
    )  # fmt: skip


def test_it_converts_arr_by_segment_at_the_rate_valid_on_the_report_date(
    alpha, bob, carol, in_alpha
):
    pound_account(alpha, carol, book(alpha, bob, carol))
    rates(alpha, on=TODAY)
    groups = groups_by_name(value_coverage(by="segment", as_of=TODAY))
    small, enterprise = groups["Small business"], groups["Enterprise"]
    # A3's 20,000 EUR at 1.1 (the 0.9 is superseded, the 1.5 not valid yet) is 22,000 USD.
    assert small["converted"] == {0: 30_000, 1: 22_000, 2: 0, 3: 10_000, 4: 0}
    assert small["converted_shares"] == {0: 48.4, 1: 35.5, 2: 0.0, 3: 16.1, 4: 0.0}
    assert small["unconverted"] == {}
    # A7's pounds are listed, never added to the dollars.
    assert enterprise["converted"] == {0: 0, 1: 0, 2: 50_000, 3: 0, 4: 100_000}
    assert enterprise["converted_shares"] == {0: 0.0, 1: 0.0, 2: 33.3, 3: 0.0, 4: 66.7}
    assert enterprise["unconverted"] == {"GBP": {"count": 1, "arr": Decimal(40_000)}}
    assert enterprise["count_shares"] == {0: 0.0, 1: 0.0, 2: 33.3, 3: 33.3, 4: 33.3}


def test_it_converts_arr_by_csm_and_lists_the_currencies_left_unconverted(
    alpha, bob, carol, in_alpha
):
    pound_account(alpha, carol, book(alpha, bob, carol))
    rates(alpha, on=TODAY)
    coverage = value_coverage(by="csm", as_of=TODAY)
    groups = groups_by_name(coverage)
    bob_row, carol_row = groups["Bob Tester"], groups["Carol Tester"]
    assert bob_row["converted_shares"] == {0: 75.0, 1: 0.0, 2: 0.0, 3: 25.0, 4: 0.0}
    assert carol_row["converted"] == {0: 0, 1: 22_000, 2: 50_000, 3: 0, 4: 100_000}
    assert carol_row["converted_shares"] == {0: 0.0, 1: 12.8, 2: 29.1, 3: 0.0, 4: 58.1}
    assert carol_row["unconverted"] == {"GBP": {"count": 1, "arr": Decimal(40_000)}}
    assert coverage["currency"] == "USD"
    assert coverage["unconverted_currencies"] == ["GBP"]


def test_it_uses_the_rate_valid_on_the_report_date(alpha, bob, carol, in_alpha):
    book(alpha, bob, carol)
    rates(alpha, on=TODAY)
    small = "Small business"
    earlier = groups_by_name(value_coverage(by="segment", as_of=TODAY - timedelta(days=30)))
    later = groups_by_name(value_coverage(by="segment", as_of=TODAY + timedelta(days=1)))
    before_any = groups_by_name(value_coverage(by="segment", as_of=TODAY - timedelta(days=300)))
    assert earlier[small]["converted"][1] == 18_000  # 20,000 EUR at 0.9
    assert later[small]["converted"][1] == 30_000  # at 1.5
    assert before_any[small]["converted"][1] == 0
    assert before_any[small]["unconverted"] == {"EUR": {"count": 1, "arr": Decimal(20_000)}}


def test_it_shows_converted_and_unconverted_arr_on_the_page(alpha, bob, carol, login, lena):
    pound_account(alpha, carol, book(alpha, bob, carol))
    rates(alpha, on=timezone.localdate())
    body = login(lena).get(reverse("value_coverage"), {"by": "segment"}).content.decode()
    assert "ARR in USD, converted" in body
    assert "22,000" in body
    assert "Not converted, no rate: 40,000 GBP (1 account)" in body


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
    assert rows[0] == [
        "external_id", "account", "segment", "csm", "arr", "currency", "rate", "converted_arr",
        "converted_currency", "level",
    ]  # fmt: skip
    assert sorted((row[1], row[9]) for row in rows[1:]) == [
        ("A1", "Use-case value"),
        ("A2", "None proven"),
    ]


def test_it_exports_converted_arr_and_leaves_it_empty_without_a_rate(
    alpha, bob, carol, login, lena
):
    pound_account(alpha, carol, book(alpha, bob, carol))
    rates(alpha, on=timezone.localdate())
    response = login(lena).get(reverse("value_coverage_csv"), {"by": "csm", "group": carol.pk})
    rows = {row[1]: row[4:9] for row in csv.reader(io.StringIO(response.content.decode()))}
    assert rows["A3"] == ["20000.00", "EUR", "1.1", "22000.00", "USD"]
    assert rows["A4"] == ["100000.00", "USD", "1", "100000.00", "USD"]
    assert rows["A7"] == ["40000.00", "GBP", "", "", ""]


def test_it_shows_the_coverage_page_to_leaders_and_admins_only(login, alice, lena, bob, vera):
    url = reverse("value_coverage")
    for person, status in ((alice, 200), (lena, 200), (bob, 403), (vera, 403)):
        assert login(person).get(url, {"by": "csm"}).status_code == status, person
    for name in ("value_coverage_accounts", "value_coverage_csv"):
        assert login(bob).get(reverse(name)).status_code == 403


# ----------------------------------------------------------------------------- at least a level


def test_it_matches_hand_computed_at_least_shares_by_segment(alpha, bob, carol, in_alpha):
    pound_account(alpha, carol, book(alpha, bob, carol))
    rates(alpha, on=TODAY)
    groups = groups_by_name(value_coverage(by="segment", as_of=TODAY))
    small = groups["Small business"]["at_least"]
    # A1 at 3, A2 at 0, A3 at 1: two have proven presence, one engagement and use-case value.
    assert small["counts"] == {1: 2, 2: 1, 3: 1, 4: 0}
    assert small["count_shares"] == {1: 66.7, 2: 33.3, 3: 33.3, 4: 0.0}
    # Of 40,000 USD, A1's 10,000 reaches level 3; A3's 20,000 EUR only level 1.
    assert small["arr_shares"] == {
        "EUR": {1: 100.0, 2: 0.0, 3: 0.0, 4: 0.0},
        "USD": {1: 25.0, 2: 25.0, 3: 25.0, 4: 0.0},
    }
    # Converted: A1 10,000 + A2 30,000 + A3 22,000 = 62,000 USD.
    assert small["converted"] == {1: 32_000, 2: 10_000, 3: 10_000, 4: 0}
    assert small["converted_shares"] == {1: 51.6, 2: 16.1, 3: 16.1, 4: 0.0}
    enterprise = groups["Enterprise"]["at_least"]
    # A4 at 4, A5 at 2, A7 (pounds, no rate) at 3.
    assert enterprise["counts"] == {1: 3, 2: 3, 3: 2, 4: 1}
    assert enterprise["count_shares"] == {1: 100.0, 2: 100.0, 3: 66.7, 4: 33.3}
    assert enterprise["arr"]["GBP"] == {1: 40_000, 2: 40_000, 3: 40_000, 4: 0}
    assert enterprise["converted"] == {1: 150_000, 2: 150_000, 3: 100_000, 4: 100_000}
    assert enterprise["converted_shares"] == {1: 100.0, 2: 100.0, 3: 66.7, 4: 66.7}


def test_it_matches_hand_computed_at_least_shares_by_csm(alpha, bob, carol, in_alpha):
    book(alpha, bob, carol)
    rates(alpha, on=TODAY)
    groups = groups_by_name(value_coverage(by="csm", as_of=TODAY))
    bob_row, carol_row = groups["Bob Tester"]["at_least"], groups["Carol Tester"]["at_least"]
    assert bob_row["count_shares"] == {1: 50.0, 2: 50.0, 3: 50.0, 4: 0.0}
    assert bob_row["arr_shares"] == {"USD": {1: 25.0, 2: 25.0, 3: 25.0, 4: 0.0}}
    # Carol: A3 at 1 (22,000 USD converted), A5 at 2 (50,000), A4 at 4 (100,000).
    assert carol_row["counts"] == {1: 3, 2: 2, 3: 1, 4: 1}
    assert carol_row["count_shares"] == {1: 100.0, 2: 66.7, 3: 33.3, 4: 33.3}
    assert carol_row["converted"] == {1: 172_000, 2: 150_000, 3: 100_000, 4: 100_000}
    assert carol_row["converted_shares"] == {1: 100.0, 2: 87.2, 3: 58.1, 4: 58.1}


def test_it_shows_the_at_least_shares_on_the_page(alpha, bob, carol, login, lena):
    book(alpha, bob, carol)
    body = login(lena).get(reverse("value_coverage"), {"by": "segment"}).content.decode()
    assert "Proven at least each level" in body
    at_least = reverse("value_coverage_accounts") + "?by=segment&amp;group=small&amp;level=1"
    assert f'<a href="{at_least}&amp;at_least=on">2 · 66.7%</a>' in body


@pytest.mark.parametrize(
    ("by", "group", "level", "names"),
    [
        ("segment", "small", 1, ["A1", "A3"]),
        ("segment", "enterprise", 3, ["A4"]),
        ("csm", "carol", 2, ["A4", "A5"]),
        ("csm", "bob", 4, []),
    ],
)
def test_it_drills_down_to_exactly_the_accounts_at_a_level_or_above(
    alpha, bob, carol, login, lena, by, group, level, names
):
    book(alpha, bob, carol)
    key = {"bob": bob.pk, "carol": carol.pk}.get(group, group)
    query = {"by": by, "group": key, "level": level, "at_least": "on"}
    client = login(lena)
    page = client.get(reverse("value_coverage_accounts"), query)
    assert [account.name for account in page.context["page"].object_list] == names
    rows = list(csv.reader(io.StringIO(client.get(reverse("value_coverage_csv"), query).text)))
    assert [row[1] for row in rows[1:]] == names


def test_it_refuses_an_at_least_drill_down_without_a_level(login, lena):
    response = login(lena).get(reverse("value_coverage_accounts"), {"at_least": "on"})
    assert response.status_code == 400
