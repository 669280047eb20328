import datetime as dt

import pandas as pd
import pytest

from accounts.retention import retention_rates

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


@pytest.mark.django_db
def test_it_shows_retention_for_a_chosen_period(login, alpha, vera):
    from decimal import Decimal

    from django.urls import reverse

    from tests.factories import AccountFactory, ArrMovementFactory

    account = AccountFactory(workspace=alpha, arr=Decimal("150"))
    ArrMovementFactory(account=account, kind="new", date=dt.date(2024, 1, 1), amount=100)
    ArrMovementFactory(account=account, kind="expansion", date=dt.date(2025, 6, 1), amount=50)
    response = login(vera).get(reverse("retention"), {"start": "2025-01-01", "end": "2025-12-31"})
    assert response.context["rates"].nrr == 1.5
    assert "150%" in response.content.decode()
    trend = response.context["trend"]
    assert trend["labels"][-1] == "2025 Q4"
    assert trend["series"][0]["values"][-1] == 150.0


@pytest.mark.django_db
def test_it_names_a_reversed_retention_period(login, alpha, vera):
    from django.urls import reverse

    response = login(vera).get(reverse("retention"), {"start": "2025-12-31", "end": "2025-01-01"})
    assert response.status_code == 400
    assert "end" in response.context["form"].errors
