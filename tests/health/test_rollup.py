"""A group account's roll-up: every figure hand-computed, and the panel drills to the children."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from health.models import HealthSnapshot
from health.rollup import ChildRow, in_home_currency, rollup
from health.scoring import iso_week
from tests.factories import AccountFactory, AccountUseCaseFactory

TODAY = dt.date(2026, 6, 1)


def child(account_id, arr, *, currency="USD", renewal=None, level=0, total=None):
    return ChildRow(
        account_id=account_id,
        name=f"Child {account_id}",
        currency=currency,
        arr=Decimal(arr),
        renewal_date=renewal,
        level=level,
        band=None if total is None else "green",
        total=total,
    )


def test_it_rolls_up_arr_renewals_coverage_and_arr_weighted_health():
    (figures,) = rollup(
        [
            child(1, "30000", renewal=TODAY + dt.timedelta(days=30), level=3, total=80),
            child(2, "10000", renewal=TODAY + dt.timedelta(days=120), level=1, total=40),
            child(3, "60000", renewal=TODAY + dt.timedelta(days=121), level=4),
            child(4, "0", renewal=TODAY - dt.timedelta(days=1), level=2, total=10),
        ],
        today=TODAY,
    )
    assert (figures.accounts, figures.arr) == (4, Decimal("100000"))
    # Children 1 and 2 renew within 120 days; 3 is a day past the window, 4 renewed already.
    assert (figures.renewing, figures.renewing_arr) == (2, Decimal("40000"))
    assert figures.next_renewal == TODAY + dt.timedelta(days=30)
    # Level 1+: 30k + 10k + 60k; 2+: 30k + 60k (child 4 has no ARR); 3+: same; 4+: 60k.
    assert figures.coverage == ((1, 100.0), (2, 90.0), (3, 90.0), (4, 60.0))
    # (30000 * 80 + 10000 * 40 + 0 * 10) / 40000 = 70; child 3 has no score.
    assert figures.health == pytest.approx(70.0)
    assert (figures.scored_arr, figures.unscored) == (Decimal("40000"), 1)


def test_it_rolls_up_converted_currencies_together_and_one_without_a_rate_apart():
    children = [
        child(1, "1000", level=3, total=30),
        child(2, "2000", currency="EUR", level=1, total=80),
        child(3, "500", currency="GBP"),
    ]

    usd, gbp = rollup(
        in_home_currency(children, rates={"USD": Decimal(1), "EUR": Decimal("1.5")}, home="USD"),
        today=TODAY,
    )

    assert (usd.currency, usd.accounts, usd.arr) == ("USD", 2, Decimal(4000))
    assert dict(usd.coverage)[3] == 25.0
    assert usd.health == 67.5  # (30 * 1000 + 80 * 3000) / 4000
    assert (gbp.currency, gbp.accounts, gbp.arr) == ("GBP", 1, Decimal(500))


def test_it_never_adds_amounts_in_different_currencies():
    rollups = rollup(
        [child(1, "100", currency="EUR", total=50), child(2, "500", total=90)], today=TODAY
    )
    assert [(r.currency, r.arr, r.health) for r in rollups] == [
        ("USD", Decimal("500"), 90.0),
        ("EUR", Decimal("100"), 50.0),
    ]


def test_it_gives_no_shares_or_health_to_children_without_arr_or_scores():
    (figures,) = rollup([child(1, "0", level=4)], today=TODAY)
    assert figures.coverage == ((1, None), (2, None), (3, None), (4, None))
    assert figures.health is None
    assert figures.next_renewal is None


def test_it_rolls_up_nothing_for_an_account_without_children():
    assert rollup([], today=TODAY) == []


@pytest.fixture
def holding(alpha):
    group = AccountFactory(workspace=alpha, name="Holding plc")
    week = iso_week(timezone.localdate())
    for name, arr, total, level in (
        ("North Ltd", "30000", 80.0, 3),
        ("South Ltd", "10000", 40.0, 1),
    ):
        account = AccountFactory(workspace=alpha, name=name, parent=group, arr=Decimal(arr))
        HealthSnapshot.dangerously_unscoped.create(
            workspace=alpha,
            account=account,
            week=week,
            total=total,
            band="green" if total > 75 else "red",
            model_name="Default",
            model_version=1,
        )
        AccountUseCaseFactory(account=account, level=level)
    return group


@pytest.mark.django_db
def test_it_shows_the_roll_up_on_the_parent_page_and_drills_to_each_child(login, lena, holding):
    response = login(lena).get(reverse("account_detail", args=[holding.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-figure="arr">40,000' in page
    assert 'data-figure="health">70' in page
    for child_account in holding.children(manager="dangerously_unscoped").all():
        assert reverse("account_detail", args=[child_account.pk]) in page


@pytest.mark.django_db
def test_it_links_a_child_to_its_group(login, lena, holding, alpha):
    child_account = AccountFactory(workspace=alpha, parent=holding)
    page = login(lena).get(reverse("account_detail", args=[child_account.pk])).content.decode()
    assert f"{reverse('account_detail', args=[holding.pk])}#panel-group" in page


@pytest.mark.django_db
def test_it_answers_404_to_another_workspace_for_a_group_account(login, charlie, holding):
    assert login(charlie).get(reverse("account_detail", args=[holding.pk])).status_code == 404


@pytest.mark.django_db
def test_it_exports_the_child_accounts_as_csv(login, lena, holding):
    response = login(lena).get(reverse("account_children_csv", args=[holding.pk]))
    assert response.status_code == 200
    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert rows[0].startswith("Account,Page,Parent account,ARR,Currency,Renewal date,Highest")
    assert [row.split(",")[0] for row in rows[1:]] == ["North Ltd", "South Ltd"]
    assert rows[1].split(",")[2] == "Holding plc"
    assert rows[1].split(",")[6:9] == ["3", "Green", "80.0"]


@pytest.mark.django_db
def test_it_answers_404_to_another_workspace_for_the_child_accounts_csv(login, charlie, holding):
    assert login(charlie).get(reverse("account_children_csv", args=[holding.pk])).status_code == 404


@pytest.mark.django_db
def test_it_rolls_up_the_grandchildren_on_the_top_parents_page(login, lena, holding, alpha):
    """Holding plc > Europe (a group of no ARR of its own) > West GmbH, 60,000 at 20 of 100,
    level 4, renewing in 30 days; North (30,000 at 80) and South (10,000 at 40) sit directly
    under the holding and renew in 300 days."""
    holding.children(manager="dangerously_unscoped").update(
        renewal_date=timezone.localdate() + dt.timedelta(days=300)
    )
    europe = AccountFactory(
        workspace=alpha, name="Europe", parent=holding, arr=Decimal(0), renewal_date=None
    )
    west = AccountFactory(
        workspace=alpha,
        name="West GmbH",
        parent=europe,
        arr=Decimal(60000),
        renewal_date=timezone.localdate() + dt.timedelta(days=30),
    )
    HealthSnapshot.dangerously_unscoped.create(
        workspace=alpha,
        account=west,
        week=iso_week(timezone.localdate()),
        total=20.0,
        band="red",
        model_name="Default",
        model_version=1,
    )
    AccountUseCaseFactory(account=west, level=4)
    client = login(lena)
    (total,) = client.get(reverse("account_detail", args=[holding.pk])).context["rollups"]
    assert total.accounts == 4
    assert total.arr == Decimal(100000)
    assert (total.renewing, total.renewing_arr) == (1, Decimal(60000))
    # (30,000 x 80 + 10,000 x 40 + 60,000 x 20) / 100,000; Europe has no score.
    assert total.health == pytest.approx(40.0) and total.unscored == 1
    # Level 3 or above: North 30,000 and West 60,000 of 100,000; level 4: West alone.
    assert dict(total.coverage)[3] == pytest.approx(90.0)
    assert dict(total.coverage)[4] == pytest.approx(60.0)
    rows = b"".join(
        client.get(reverse("account_children_csv", args=[holding.pk])).streaming_content
    ).decode("utf-8-sig")
    assert "West GmbH" in rows and ",Europe," in rows
    (europe_total,) = client.get(reverse("account_detail", args=[europe.pk])).context["rollups"]
    assert europe_total.accounts == 1 and europe_total.arr == Decimal(60000)
