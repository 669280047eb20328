import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AccountFactory

URL = reverse("csm_load")


def _rows(response):
    return {load.name: load for load in response.context["loads"]}


@pytest.mark.django_db
def test_it_shows_each_owners_book_per_currency(login, alpha, beta, lena, bob, carol, charlie):
    soon = dt.date.today() + dt.timedelta(days=30)
    later = dt.date.today() + dt.timedelta(days=200)
    AccountFactory(workspace=alpha, owner=bob, arr=Decimal(100), currency="USD", renewal_date=soon)
    AccountFactory(workspace=alpha, owner=bob, arr=Decimal(50), currency="EUR", renewal_date=later)
    AccountFactory(workspace=alpha, owner=bob, arr=Decimal(0), status="churned")
    AccountFactory(workspace=alpha, owner=None, arr=Decimal(70), currency="USD")
    AccountFactory(workspace=beta, owner=charlie, arr=Decimal(999), currency="USD")
    rows = _rows(login(lena).get(URL))
    assert rows["Bob Tester"].accounts == 2
    assert rows["Bob Tester"].arr_by_currency == {"USD": Decimal(100), "EUR": Decimal(50)}
    assert rows["Bob Tester"].renewing_90 == 1
    assert rows["Carol Tester"].accounts == 0
    assert rows["Unassigned"].arr_by_currency == {"USD": Decimal(70)}
    assert "Charlie Tester" not in rows


@pytest.mark.django_db
def test_it_keeps_the_page_to_leaders_and_admins(login, alice, lena, bob, vera):
    assert login(alice).get(URL).status_code == 200
    assert login(lena).get(URL).status_code == 200
    assert login(bob).get(URL).status_code == 403
    assert login(vera).get(URL).status_code == 403


@pytest.mark.django_db
def test_it_runs_the_same_queries_for_few_or_many_accounts(login, alpha, lena, bob, carol):
    client = login(lena)
    AccountFactory(workspace=alpha, owner=bob)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    AccountFactory.create_batch(30, workspace=alpha, owner=carol, currency="EUR")
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(few) == len(many)
