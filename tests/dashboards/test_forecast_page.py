"""The renewal forecast page on a built renewal history, as it stands now and as it stood."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import MovementKind, Segment
from health.models import HealthSnapshot
from health.scoring import iso_week
from tests.factories import AccountFactory, ArrMovementFactory

URL = reverse("renewal_forecast")
TODAY = dt.date.today()
RENEWED_ON = TODAY - dt.timedelta(days=100)


def snapshot(account, week, band, ladder):
    HealthSnapshot.objects.create(
        workspace=account.workspace,
        account=account,
        week=week,
        total=50,
        band=band,
        scores={"ladder": ladder},
        drivers={},
        model_name="Default",
        model_version=1,
    )


def past_renewal(workspace, band, *, churned):
    """An account whose one anniversary fell 100 days ago, scored ``band`` 90 days before it."""
    start = RENEWED_ON.replace(year=RENEWED_ON.year - 1)
    account = AccountFactory(
        workspace=workspace, segment=Segment.SMALL, contract_start=start, renewal_date=None
    )
    ArrMovementFactory(account=account, kind=MovementKind.NEW, date=start, amount=1000)
    if churned:
        ArrMovementFactory(account=account, kind=MovementKind.CHURN, date=RENEWED_ON, amount=1000)
    snapshot(account, iso_week(RENEWED_ON - dt.timedelta(days=90)), band, 0.0)
    return account


@pytest.mark.django_db
def test_it_says_so_instead_of_forecasting_on_too_little_history(login, alpha, lena):
    for _ in range(19):
        past_renewal(alpha, "green", churned=False)
    response = login(lena).get(URL)
    assert response.context["enough"] is False
    assert "Too little history to forecast" in response.content.decode()
    assert "19 settled past renewals" in response.content.decode()


@pytest.mark.django_db
def test_it_forecasts_from_the_workspaces_own_renewal_rates(login, alpha, beta, lena):
    for _ in range(20):
        past_renewal(alpha, "green", churned=False)
    for churned in (True, True, True, False, False):
        past_renewal(alpha, "red", churned=churned)
    for _ in range(10):
        past_renewal(beta, "red", churned=True)
    due = AccountFactory(
        workspace=alpha,
        name="Due soon",
        segment=Segment.SMALL,
        arr=Decimal(1000),
        renewal_date=TODAY + dt.timedelta(days=1),
        contract_start=TODAY - dt.timedelta(days=200),
    )
    snapshot(due, iso_week(TODAY), "red", 0.0)
    response = login(lena).get(URL)
    context = response.context
    assert context["history_count"] == 25
    cells = {(c["band"], c["segment"], c["level"]): c for c in context["cells"]}
    assert cells["red", "small", 0]["renewals"] == 5
    assert cells["red", "small", 0]["rate"] == pytest.approx(0.4)
    # Smoothed with the weight of 5 renewals: overall 22/25, red band (2 + 5 x 0.88) / 10,
    # the red cell (all the red renewals) (2 + 5 x 0.64) / 10.
    assert cells["red", "small", 0]["probability"] == pytest.approx(0.52)
    _label, quarter = context["quarters"][0]
    assert quarter["expected"] == pytest.approx(520)
    assert quarter["low"] < 520 < quarter["high"]
    assert context["movers"][0]["name"] == "Due soon"


@pytest.mark.django_db
def test_it_forecasts_past_quarters_only_from_renewals_settled_by_their_first_day(
    login, alpha, lena
):
    for _ in range(25):
        past_renewal(alpha, "green", churned=False)
    backtest = login(lena).get(URL).context["backtest"]
    for row in backtest:
        settled = row["start"] - dt.timedelta(days=60) >= RENEWED_ON
        assert row["history"] == (25 if settled else 0)
        assert row["enough"] is (settled and row["renewals"] > 0)


@pytest.mark.django_db
def test_it_counts_renewals_without_a_snapshot_as_insufficient_data(login, alpha, lena):
    for _ in range(20):
        account = past_renewal(alpha, "green", churned=False)
        HealthSnapshot.dangerously_unscoped.filter(account=account).delete()
    cells = login(lena).get(URL).context["cells"]
    assert [(c["band"], c["renewals"]) for c in cells] == [("insufficient", 20)]


@pytest.mark.django_db
def test_it_offers_the_book_filters_but_not_the_period_it_ignores(login, lena):
    response = login(lena).get(URL, {"segment": "small", "period": "year"})

    page = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["segment", "csm"]
    assert 'name="segment"' in page
    assert 'name="period"' not in page
    assert 'aria-label="Accounts"' in page
