"""Keys-first paging shows the same rows as slicing, and computes costly columns for them only."""

from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Value
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from csos.pagination import KeysFirstPaginator
from tests.factories import AccountFactory


@pytest.fixture
def accounts(alpha, in_alpha):
    # Ties on ARR, so the order rests on the id as its last key.
    for number in range(23):
        AccountFactory(workspace=alpha, arr=Decimal(1000 * (number % 4)))
    return Account.objects.order_by("-arr", "id")


def _rows(page) -> list[tuple[int, Decimal]]:
    return [(account.pk, account.arr) for account in page.object_list]


@pytest.mark.parametrize("orphans", [0, 3])
def test_it_shows_the_rows_plain_slicing_shows_on_every_page(accounts, orphans):
    plain = Paginator(accounts, 5, orphans=orphans)
    keys_first = KeysFirstPaginator(accounts, 5, orphans=orphans, page_rows=lambda rows: rows)

    assert keys_first.num_pages == plain.num_pages
    for number in plain.page_range:
        assert _rows(keys_first.page(number)) == _rows(plain.page(number))


def test_it_adds_the_page_columns_to_the_rows_shown_only(accounts):
    paginator = KeysFirstPaginator(
        accounts, 5, page_rows=lambda rows: rows.annotate(doubled=F("arr") * Value(2))
    )

    with CaptureQueriesContext(connection) as queries:
        rows = list(paginator.page(3).object_list)

    assert [row.doubled for row in rows] == [row.arr * 2 for row in rows]
    (page_query,) = [q["sql"] for q in queries if "LIMIT 5 OFFSET 10" in q["sql"]]
    outer, inner = page_query.split(" IN (SELECT ", 1)
    assert "* 2" in outer.split(" FROM ", 1)[0]
    assert "* 2" not in inner
