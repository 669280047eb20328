import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.retention import (
    quarter_ends,
    retention_by_currency,
    retention_rates,
    trailing_year_start,
)
from accounts.selectors import (
    retention_default_period,
    workspace_retention,
    workspace_retention_trend,
)
from tests.factories import AccountFactory, ArrMovementFactory

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


def ledger(*rows):
    return pd.DataFrame(list(rows), columns=["account_id", "kind", "date", "amount"])


def test_it_computes_nrr_and_grr_of_the_starting_book():
    rates = retention_rates(
        ledger(
            (1, "new", dt.date(2024, 1, 1), 100.0),
            (2, "new", dt.date(2024, 6, 1), 100.0),
            (3, "new", dt.date(2024, 6, 1), 100.0),
            (1, "expansion", dt.date(2025, 3, 1), 50.0),
            (2, "contraction", dt.date(2025, 4, 1), 30.0),
            (3, "churn", dt.date(2025, 5, 1), 100.0),
            (4, "new", dt.date(2025, 2, 1), 500.0),  # new business: not retention
        ),
        start=START,
        end=END,
    )
    assert rates.starting_arr == 300.0
    assert rates.nrr == pytest.approx(220 / 300)
    assert rates.grr == pytest.approx(170 / 300)
    assert (rates.expansion, rates.contraction, rates.churn) == (50.0, 30.0, 100.0)


def test_it_ignores_movements_outside_the_period():
    rates = retention_rates(
        ledger(
            (1, "new", dt.date(2024, 1, 1), 100.0),
            (1, "expansion", dt.date(2026, 1, 5), 900.0),
        ),
        start=START,
        end=END,
    )
    assert (rates.nrr, rates.grr) == (1.0, 1.0)


def test_it_counts_an_account_churned_before_the_period_as_gone():
    rates = retention_rates(
        ledger(
            (1, "new", dt.date(2023, 1, 1), 100.0),
            (1, "churn", dt.date(2024, 1, 1), 100.0),
            (1, "reactivation", dt.date(2025, 6, 1), 80.0),
            (2, "new", dt.date(2024, 1, 1), 200.0),
        ),
        start=START,
        end=END,
    )
    assert rates.starting_arr == 200.0
    assert rates.nrr == 1.0


def test_it_has_no_rates_without_a_starting_book():
    empty = retention_rates(ledger(), start=START, end=END)
    assert (empty.starting_arr, empty.nrr, empty.grr) == (0.0, None, None)


def test_it_handles_a_single_row_and_nan_amounts():
    single = retention_rates(ledger((1, "new", dt.date(2024, 1, 1), 10.0)), start=START, end=END)
    assert single.grr == 1.0
    with_nan = retention_rates(
        ledger(
            (1, "new", dt.date(2024, 1, 1), 10.0),
            (1, "expansion", dt.date(2025, 2, 1), float("nan")),
        ),
        start=START,
        end=END,
    )
    assert with_nan.nrr == 1.0


def test_it_refuses_a_ledger_without_its_columns_and_a_reversed_period():
    with pytest.raises(ValueError, match="amount"):
        retention_rates(
            pd.DataFrame({"account_id": [], "kind": [], "date": []}), start=START, end=END
        )
    with pytest.raises(ValueError, match="starts after"):
        retention_rates(ledger(), start=END, end=START)


def test_it_computes_each_currency_apart():
    books = pd.DataFrame(
        [
            (1, "USD", "new", dt.date(2024, 1, 1), 100.0),
            (1, "USD", "expansion", dt.date(2025, 3, 1), 50.0),
            (2, "JPY", "new", dt.date(2024, 1, 1), 10_000_000.0),
            (2, "JPY", "churn", dt.date(2025, 3, 1), 10_000_000.0),
            (3, "EUR", "new", dt.date(2025, 3, 1), 70.0),  # no EUR book when the period opened
        ],
        columns=["account_id", "currency", "kind", "date", "amount"],
    )
    rates = retention_by_currency(books, start=START, end=END)
    assert list(rates) == ["EUR", "JPY", "USD"]
    assert (rates["USD"].starting_arr, rates["USD"].nrr, rates["USD"].grr) == (100.0, 1.5, 1.0)
    assert (rates["JPY"].starting_arr, rates["JPY"].nrr, rates["JPY"].grr) == (1e7, 0.0, 0.0)
    assert (rates["EUR"].starting_arr, rates["EUR"].nrr) == (0.0, None)


def test_it_has_no_currencies_in_an_empty_ledger_and_refuses_one_without_currency():
    empty = pd.DataFrame(columns=["account_id", "currency", "kind", "date", "amount"])
    assert retention_by_currency(empty, start=START, end=END) == {}
    with pytest.raises(ValueError, match="currency"):
        retention_by_currency(ledger(), start=START, end=END)


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
    [usd] = workspace_retention_trend(end=dt.date(2024, 12, 31), quarters=1)
    assert usd["quarters"] == [{"label": "2024 Q4", "nrr": 0.0, "grr": 0.0}]


@pytest.mark.django_db
def test_it_shows_retention_for_a_chosen_period(login, alpha, vera):
    account = AccountFactory(workspace=alpha, arr=Decimal("150"))
    ArrMovementFactory(account=account, kind="new", date=dt.date(2024, 1, 1), amount=100)
    ArrMovementFactory(account=account, kind="expansion", date=dt.date(2025, 6, 1), amount=50)
    response = login(vera).get(reverse("retention"), {"start": "2025-01-01", "end": "2025-12-31"})
    assert response.context["rates"]["USD"].nrr == 1.5
    assert "150%" in response.content.decode()
    [usd] = response.context["trend"]
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
    rates = response.context["rates"]
    assert (rates["USD"].starting_arr, rates["USD"].nrr) == (100.0, 1.5)
    assert (rates["JPY"].starting_arr, rates["JPY"].nrr) == (10_000_000.0, 0.0)
    assert [trend["currency"] for trend in response.context["trend"]] == ["JPY", "USD"]
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
    [usd] = response.context["trend"]
    for quarter in usd["quarters"]:
        assert f'<th scope="row">{quarter["label"]}</th>' in table
    assert (
        '<th scope="row">2025 Q4</th><td class="num">150.0%</td><td class="num">100.0%</td>'
        in table
    )
    assert '<th scope="row">2024 Q1</th><td class="num">—</td><td class="num">—</td>' in table


def _retention_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("retention"), {"start": "2025-01-01", "end": "2025-12-31"})
        assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_it_runs_the_same_queries_for_1_or_30_accounts_in_several_currencies(login, alpha, vera):
    client = login(vera)
    AccountFactory(workspace=alpha, currency="USD")
    few = _retention_queries(client)
    for index in range(30):
        account = AccountFactory(workspace=alpha, currency=("USD", "EUR", "JPY")[index % 3])
        ArrMovementFactory(account=account, kind="new", date=dt.date(2024, 1, 1), amount=100)
    assert _retention_queries(client) == few


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
    assert workspace_retention(start=start, end=end)["USD"].starting_arr == 0.0
    trend = workspace_retention_trend(end=end)
    assert [len(currency["quarters"]) for currency in trend] == ([quarters] if quarters else [])


@pytest.mark.django_db
def test_it_names_a_reversed_retention_period(login, alpha, vera):
    response = login(vera).get(reverse("retention"), {"start": "2025-12-31", "end": "2025-01-01"})
    assert response.status_code == 400
    assert "end" in response.context["form"].errors
