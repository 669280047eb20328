import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Segment
from accounts.retention import BookSums, quarter_ends, retention_rates, trailing_year_start
from accounts.selectors.retention import (
    retention_default_period,
    retention_report,
    workspace_retention,
)
from tests.factories import AccountFactory, ArrMovementFactory

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


def book(workspace, *movements, currency="USD", **account):
    """An account with its ledger: movements are (kind, date, amount)."""
    account = AccountFactory(workspace=workspace, currency=currency, **account)
    for kind, on, amount in movements:
        ArrMovementFactory(account=account, kind=kind, date=on, amount=amount)
    return account


def test_it_computes_nrr_and_grr_from_a_books_sums():
    rates = retention_rates(
        BookSums(
            starting_arr=Decimal(300),
            expansion=Decimal(50),
            contraction=Decimal(30),
            churn=Decimal(100),
            gross_loss=Decimal(130),
        )
    )
    assert rates.nrr == pytest.approx(220 / 300)
    assert rates.grr == pytest.approx(170 / 300)


def test_it_has_no_rates_without_a_starting_book_and_never_a_negative_nrr():
    empty = retention_rates(BookSums())
    assert (empty.starting_arr, empty.nrr, empty.grr) == (0, None, None)
    wiped = retention_rates(BookSums(starting_arr=Decimal(10), churn=Decimal(30)))
    assert wiped.nrr == 0.0


def test_it_adds_the_sums_of_two_books():
    one = BookSums(Decimal(1), Decimal(2), Decimal(3), Decimal(4), Decimal(5))
    assert one + one == BookSums(Decimal(2), Decimal(4), Decimal(6), Decimal(8), Decimal(10))


@pytest.mark.django_db
def test_it_computes_nrr_and_grr_of_the_starting_book(in_alpha, alpha):
    book(alpha, ("new", dt.date(2024, 1, 1), 100), ("expansion", dt.date(2025, 3, 1), 50))
    book(alpha, ("new", dt.date(2024, 6, 1), 100), ("contraction", dt.date(2025, 4, 1), 30))
    book(alpha, ("new", dt.date(2024, 6, 1), 100), ("churn", dt.date(2025, 5, 1), 100))
    book(alpha, ("new", dt.date(2025, 2, 1), 500))  # new business: not retention
    rates = workspace_retention(start=START, end=END)["USD"]
    assert rates.starting_arr == 300
    assert rates.nrr == pytest.approx(220 / 300)
    assert rates.grr == pytest.approx(170 / 300)
    assert (rates.expansion, rates.contraction, rates.churn) == (50, 30, 100)


@pytest.mark.django_db
def test_it_ignores_movements_outside_the_period(in_alpha, alpha):
    book(alpha, ("new", dt.date(2024, 1, 1), 100), ("expansion", dt.date(2026, 1, 5), 900))
    rates = workspace_retention(start=START, end=END)["USD"]
    assert (rates.nrr, rates.grr) == (1.0, 1.0)


@pytest.mark.django_db
def test_it_counts_an_account_churned_before_the_period_as_gone(in_alpha, alpha):
    book(
        alpha,
        ("new", dt.date(2023, 1, 1), 100),
        ("churn", dt.date(2024, 1, 1), 100),
        ("reactivation", dt.date(2025, 6, 1), 80),
    )
    book(alpha, ("new", dt.date(2024, 1, 1), 200))
    rates = workspace_retention(start=START, end=END)["USD"]
    assert rates.starting_arr == 200
    assert rates.nrr == 1.0


@pytest.mark.django_db
def test_it_caps_an_accounts_gross_loss_at_the_arr_it_started_with(in_alpha, alpha):
    book(
        alpha,
        ("new", dt.date(2024, 1, 1), 100),
        ("expansion", dt.date(2025, 2, 1), 100),
        ("churn", dt.date(2025, 8, 1), 200),
    )
    book(alpha, ("new", dt.date(2024, 1, 1), 100))
    rates = workspace_retention(start=START, end=END)["USD"]
    assert rates.nrr == pytest.approx(100 / 200)
    assert rates.grr == pytest.approx(100 / 200)  # the first account loses 100, not 200


@pytest.mark.django_db
def test_it_computes_each_currency_apart(in_alpha, alpha):
    book(alpha, ("new", dt.date(2024, 1, 1), 100), ("expansion", dt.date(2025, 3, 1), 50))
    book(
        alpha,
        ("new", dt.date(2024, 1, 1), 10_000_000),
        ("churn", dt.date(2025, 3, 1), 10_000_000),
        currency="JPY",
    )
    book(alpha, ("new", dt.date(2025, 3, 1), 70), currency="EUR")  # no EUR book at the start
    rates = workspace_retention(start=START, end=END)
    assert list(rates) == ["EUR", "JPY", "USD"]
    assert (rates["USD"].starting_arr, rates["USD"].nrr, rates["USD"].grr) == (100, 1.5, 1.0)
    assert (rates["JPY"].starting_arr, rates["JPY"].nrr, rates["JPY"].grr) == (1e7, 0.0, 0.0)
    assert (rates["EUR"].starting_arr, rates["EUR"].nrr) == (0, None)


@pytest.mark.django_db
def test_it_has_no_currencies_without_a_ledger(in_alpha, alpha):
    assert workspace_retention(start=START, end=END) == {}


@pytest.fixture
def team_ledger(alpha, bob, carol):
    """A small ledger whose retention per CSM and per segment is worked out by hand below.

    Bob: Small A (100, +20), Enterprise B (1,000, -100 contraction), and Small E, new in 2025.
    Carol: Small C (200, churned), Enterprise D (500, +250). Nobody: Small F (50, flat).
    """
    small, enterprise = Segment.SMALL, Segment.ENTERPRISE
    opened = dt.date(2024, 3, 1)
    book(alpha, ("new", opened, 100), ("expansion", dt.date(2025, 5, 1), 20), owner=bob)
    book(
        alpha,
        ("new", opened, 1000),
        ("contraction", dt.date(2025, 6, 1), 100),
        owner=bob,
        segment=enterprise,
    )
    book(alpha, ("new", dt.date(2025, 2, 1), 300), owner=bob, segment=small)
    book(alpha, ("new", opened, 200), ("churn", dt.date(2025, 7, 1), 200), owner=carol)
    book(
        alpha,
        ("new", opened, 500),
        ("expansion", dt.date(2025, 9, 1), 250),
        owner=carol,
        segment=enterprise,
    )
    book(alpha, ("new", opened, 50), owner=None, segment=small)


def _figures(rates):
    return (
        rates.starting_arr,
        rates.expansion,
        rates.contraction,
        rates.churn,
        round(rates.nrr, 4),
        round(rates.grr, 4),
    )


@pytest.mark.django_db
def test_it_breaks_retention_down_by_csm_and_by_segment(in_alpha, team_ledger):
    report = retention_report(start=START, end=END, quarters=0)
    by_csm = {row.label: _figures(row.rates) for row in report.by_csm}
    assert by_csm == {
        # (1,100 + 20 - 100) / 1,100 and (1,100 - 100) / 1,100
        "Bob Tester": (1100, 20, 100, 0, round(1020 / 1100, 4), round(1000 / 1100, 4)),
        # (700 + 250 - 200) / 700 and (700 - 200) / 700
        "Carol Tester": (700, 250, 0, 200, round(750 / 700, 4), round(500 / 700, 4)),
        "No CSM": (50, 0, 0, 0, 1.0, 1.0),
    }
    assert [row.label for row in report.by_csm] == ["Bob Tester", "Carol Tester", "No CSM"]
    by_segment = {row.label: _figures(row.rates) for row in report.by_segment}
    assert by_segment == {
        # A 100 (+20), C 200 (churned), F 50; E is new business
        "Small business": (350, 20, 0, 200, round(170 / 350, 4), round(150 / 350, 4)),
        # B 1,000 (-100), D 500 (+250)
        "Enterprise": (1500, 250, 100, 0, round(1650 / 1500, 4), round(1400 / 1500, 4)),
    }
    assert _figures(report.rates["USD"]) == (
        1850,
        270,
        100,
        200,
        round(1820 / 1850, 4),
        round(1550 / 1850, 4),
    )


@pytest.mark.django_db
def test_it_reports_one_csms_or_one_segments_book(in_alpha, team_ledger, bob):
    bobs = retention_report(start=START, end=END, owner_id=bob.pk, quarters=1)
    assert _figures(bobs.rates["USD"])[:4] == (1100, 20, 100, 0)
    assert [row.label for row in bobs.by_csm] == ["Bob Tester"]
    assert [row.label for row in bobs.by_segment] == ["Small business", "Enterprise"]
    assert bobs.trend[0]["quarters"] == [
        {"label": "2025 Q4", "nrr": round(102000 / 1100, 1), "grr": round(100000 / 1100, 1)}
    ]
    bobs_small = retention_report(
        start=START, end=END, owner_id=bob.pk, segment=Segment.SMALL, quarters=0
    )
    assert _figures(bobs_small.rates["USD"]) == (100, 20, 0, 0, 1.2, 1.0)


@pytest.mark.django_db
def test_it_counts_an_account_for_its_current_csm(in_alpha, alpha, bob, carol):
    account = book(
        alpha, ("new", dt.date(2024, 1, 1), 100), ("expansion", dt.date(2025, 3, 1), 50), owner=bob
    )
    account.owner = carol
    account.save()
    report = retention_report(start=START, end=END, quarters=0)
    assert [(row.label, row.rates.expansion) for row in report.by_csm] == [("Carol Tester", 50)]


@pytest.mark.parametrize(
    "end, start",
    [
        (dt.date(2024, 12, 31), dt.date(2024, 1, 1)),
        (dt.date(2025, 12, 31), dt.date(2025, 1, 1)),
        (dt.date(2024, 3, 31), dt.date(2023, 4, 1)),
        (dt.date(2024, 2, 29), dt.date(2023, 3, 1)),
        (dt.date(2025, 2, 28), dt.date(2024, 2, 29)),
        (dt.date(1, 6, 30), dt.date(1, 1, 1)),
        (dt.date(9999, 12, 31), dt.date(9999, 1, 1)),
    ],
)
def test_it_starts_the_trailing_year_the_day_after_the_same_date_a_year_earlier(end, start):
    assert trailing_year_start(end) == start


def test_it_lists_quarter_ends_up_to_the_end_and_stops_at_year_one():
    assert quarter_ends(dt.date(2025, 2, 10), count=3) == [
        dt.date(2024, 6, 30),
        dt.date(2024, 9, 30),
        dt.date(2024, 12, 31),
    ]
    assert quarter_ends(dt.date(2024, 3, 31), count=1) == [dt.date(2024, 3, 31)]
    assert quarter_ends(dt.date(1, 7, 1), count=8) == [dt.date(1, 3, 31), dt.date(1, 6, 30)]
    assert quarter_ends(dt.date(1, 1, 1), count=8) == []


def test_it_opens_the_page_on_exactly_one_year():
    assert retention_default_period(today=dt.date(2024, 12, 31)) == {
        "start": dt.date(2024, 1, 1),
        "end": dt.date(2024, 12, 31),
    }


@pytest.mark.django_db
def test_it_counts_a_churn_on_new_years_day_of_a_leap_year(in_alpha, alpha):
    account = AccountFactory(workspace=alpha, arr=Decimal("0"))
    ArrMovementFactory(account=account, kind="new", date=dt.date(2023, 1, 1), amount=100)
    ArrMovementFactory(account=account, kind="churn", date=dt.date(2024, 1, 1), amount=100)
    [usd] = retention_report(start=START, end=dt.date(2024, 12, 31), quarters=1).trend
    assert usd["quarters"] == [{"label": "2024 Q4", "nrr": 0.0, "grr": 0.0}]


@pytest.mark.django_db
def test_it_shows_retention_for_a_chosen_period(login, alpha, vera):
    account = AccountFactory(workspace=alpha, arr=Decimal("150"))
    ArrMovementFactory(account=account, kind="new", date=dt.date(2024, 1, 1), amount=100)
    ArrMovementFactory(account=account, kind="expansion", date=dt.date(2025, 6, 1), amount=50)
    response = login(vera).get(reverse("retention"), {"start": "2025-01-01", "end": "2025-12-31"})
    assert response.context["report"].rates["USD"].nrr == 1.5
    assert "150%" in response.content.decode()
    [usd] = response.context["report"].trend
    assert usd["chart"]["labels"][-1] == "2025 Q4"
    assert usd["chart"]["series"][0]["values"][-1] == 150.0


@pytest.mark.django_db
def test_it_shows_each_currency_apart_on_the_retention_page(login, alpha, vera):
    dollars = AccountFactory(workspace=alpha, arr=Decimal("150"), currency="USD")
    ArrMovementFactory(account=dollars, kind="new", date=dt.date(2024, 1, 1), amount=100)
    ArrMovementFactory(account=dollars, kind="expansion", date=dt.date(2025, 6, 1), amount=50)
    yen = AccountFactory(workspace=alpha, arr=Decimal("0"), currency="JPY")
    ArrMovementFactory(account=yen, kind="new", date=dt.date(2024, 1, 1), amount=10_000_000)
    ArrMovementFactory(account=yen, kind="churn", date=dt.date(2025, 6, 1), amount=10_000_000)
    response = login(vera).get(reverse("retention"), {"start": "2025-01-01", "end": "2025-12-31"})
    rates = response.context["report"].rates
    assert (rates["USD"].starting_arr, rates["USD"].nrr) == (100, 1.5)
    assert (rates["JPY"].starting_arr, rates["JPY"].nrr) == (10_000_000, 0.0)
    assert [trend["currency"] for trend in response.context["report"].trend] == ["JPY", "USD"]
    body = response.content.decode()
    assert "10,000,000 <span" in body and "10,000,100" not in body
    assert 'data-line-chart="retention-trend-JPY"' in body
    assert 'data-line-chart="retention-trend-USD"' in body


@pytest.mark.django_db
def test_it_gives_the_trend_chart_a_table_of_the_same_figures(login, alpha, vera):
    account = AccountFactory(workspace=alpha, arr=Decimal("150"))
    ArrMovementFactory(account=account, kind="new", date=dt.date(2024, 1, 1), amount=100)
    ArrMovementFactory(account=account, kind="expansion", date=dt.date(2025, 6, 1), amount=50)
    response = login(vera).get(reverse("retention"), {"start": "2025-01-01", "end": "2025-12-31"})
    body = response.content.decode()
    table = body[body.index("<details>") : body.index("</details>")]
    [usd] = response.context["report"].trend
    for quarter in usd["quarters"]:
        assert f'<th scope="row">{quarter["label"]}</th>' in table
    assert (
        '<th scope="row">2025 Q4</th><td class="num">150.0%</td><td class="num">100.0%</td>'
        in table
    )
    assert '<th scope="row">2024 Q1</th><td class="num">—</td><td class="num">—</td>' in table


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start, end, quarters",
    [
        (dt.date.min, dt.date.min, 0),
        (dt.date.min, dt.date(1, 12, 31), 4),
        (dt.date.min, dt.date.max, 8),
    ],
)
def test_it_reads_retention_for_periods_at_the_ends_of_the_calendar(
    in_alpha, alpha, start, end, quarters
):
    account = AccountFactory(workspace=alpha)
    ArrMovementFactory(account=account, kind="new", date=dt.date(1, 1, 1), amount=100)
    assert workspace_retention(start=start, end=end)["USD"].starting_arr == 0
    trend = retention_report(start=start, end=end).trend
    assert [len(currency["quarters"]) for currency in trend] == ([quarters] if quarters else [])


@pytest.mark.django_db
def test_it_names_a_reversed_retention_period(login, alpha, vera):
    response = login(vera).get(reverse("retention"), {"start": "2025-12-31", "end": "2025-01-01"})
    assert response.status_code == 400
    assert "end" in response.context["form"].errors


PERIOD = {"start": "2025-01-01", "end": "2025-12-31"}


@pytest.mark.django_db
def test_it_opens_a_csm_on_their_own_book_and_leaders_on_the_workspace(
    login, team_ledger, bob, lena
):
    as_bob = login(bob).get(reverse("retention"), PERIOD)
    assert as_bob.context["report"].rates["USD"].starting_arr == 1100
    assert as_bob.context["book"] == "Bob Tester's accounts"
    everyone = login(bob).get(reverse("retention"), {**PERIOD, "owner": ""})
    assert everyone.context["report"].rates["USD"].starting_arr == 1850
    as_lena = login(lena).get(reverse("retention"), PERIOD)
    assert as_lena.context["report"].rates["USD"].starting_arr == 1850
    assert as_lena.context["book"] == "All accounts"
    by_segment = login(lena).get(reverse("retention"), {**PERIOD, "segment": "enterprise"})
    assert by_segment.context["report"].rates["USD"].starting_arr == 1500


@pytest.mark.django_db
def test_it_opens_on_the_trailing_year_when_a_csm_gives_no_period(login, alpha, bob):
    response = login(bob).get(reverse("retention"))
    assert response.status_code == 200
    assert response.context["choice"]["owner"] == bob.pk


@pytest.mark.django_db
def test_it_names_an_unknown_csm_or_segment(login, alpha, lena):
    response = login(lena).get(reverse("retention"), {"owner": "999999", "segment": "huge"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"owner", "segment"}


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.django_db
def test_it_exports_the_retention_tables_of_the_chosen_book(login, team_ledger, bob, lena):
    by_csm = _csv(login(lena).get(reverse("retention_export_csm"), PERIOD))
    assert by_csm[0] == [
        "CSM",
        "Currency",
        "Starting ARR",
        "Expansion",
        "Contraction",
        "Churn",
        "NRR %",
        "GRR %",
    ]
    assert by_csm[1:] == [
        ["Bob Tester", "USD", "1100.00", "20.00", "100.00", "0.00", "92.7", "90.9"],
        ["Carol Tester", "USD", "700.00", "250.00", "0.00", "200.00", "107.1", "71.4"],
        ["No CSM", "USD", "50.00", "0.00", "0.00", "0.00", "100.0", "100.0"],
    ]
    bobs_segments = _csv(login(bob).get(reverse("retention_export_segment"), PERIOD))
    assert [row[:3] for row in bobs_segments[1:]] == [
        ["Small business", "USD", "100.00"],
        ["Enterprise", "USD", "1000.00"],
    ]
    trend = _csv(login(lena).get(reverse("retention_export_trend"), {**PERIOD, "owner": bob.pk}))
    assert trend[0] == ["Currency", "Quarter", "NRR %", "GRR %"]
    assert trend[-1] == ["USD", "2025 Q4", "92.7", "90.9"]
    assert len(trend) == 1 + 8


@pytest.mark.django_db
def test_it_refuses_an_export_with_a_filter_it_cannot_read(login, alpha, lena):
    response = login(lena).get(reverse("retention_export_csm"), {"end": "someday"})
    assert response.status_code == 400
    assert "End" in response.content.decode()


def _retention_queries(client, **query) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("retention"), {**PERIOD, **query})
        assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_it_runs_the_same_queries_for_a_short_or_a_long_ledger(login, alpha, lena, bob, carol):
    client = login(lena)
    book(alpha, ("new", dt.date(2024, 1, 1), 100), owner=bob)
    few = _retention_queries(client), _retention_queries(client, owner=bob.pk)
    for index in range(30):
        book(
            alpha,
            ("new", dt.date(2023, 1, 1), 100),
            ("expansion", dt.date(2024, 5, 1), 10),
            ("contraction", dt.date(2025, 5, 1), 5),
            currency=("USD", "EUR", "JPY")[index % 3],
            owner=(bob, carol, None)[index % 3],
            segment=Segment.values[index % 3],
        )
    assert (_retention_queries(client), _retention_queries(client, owner=bob.pk)) == few
