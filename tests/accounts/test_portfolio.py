import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.filters import SORT_FIELDS, PortfolioFilter
from accounts.models import Account, AccountStatus, Segment
from csos.models import Role
from csos.panels import panels_for
from health.models import HealthSnapshot
from tests.factories import (
    AccountFactory,
    AccountUseCaseFactory,
    MembershipFactory,
    UserFactory,
)


def _names(response):
    return [row["name"] for row in response.context["page"].object_list]


@pytest.mark.django_db
def test_it_shows_a_csm_their_own_accounts_by_default(login, alpha, bob, carol):
    AccountFactory(workspace=alpha, owner=bob, name="Bob's customer")
    AccountFactory(workspace=alpha, owner=carol, name="Carol's customer")
    response = login(bob).get(reverse("portfolio"))
    assert _names(response) == ["Bob's customer"]


@pytest.mark.django_db
def test_it_lets_a_csm_widen_to_the_whole_workspace(login, alpha, bob, carol):
    AccountFactory(workspace=alpha, owner=bob, name="B")
    AccountFactory(workspace=alpha, owner=carol, name="C")
    response = login(bob).get(reverse("portfolio"), {"owner": ""})
    assert _names(response) == ["B", "C"]


@pytest.mark.django_db
def test_it_shows_leaders_every_portfolio_with_a_csm_filter(login, alpha, lena, bob, carol):
    AccountFactory(workspace=alpha, owner=bob, name="B")
    AccountFactory(workspace=alpha, owner=carol, name="C")
    client = login(lena)
    assert _names(client.get(reverse("portfolio"))) == ["B", "C"]
    assert _names(client.get(reverse("portfolio"), {"owner": carol.pk})) == ["C"]


@pytest.mark.django_db
def test_it_filters_by_search_segment_stage_status_and_renewal(login, alpha, lena):
    today = dt.date.today()
    AccountFactory(
        workspace=alpha,
        name="Acme Corp",
        segment=Segment.ENTERPRISE,
        renewal_date=today + dt.timedelta(days=20),
    )
    AccountFactory(
        workspace=alpha,
        name="Globex",
        segment=Segment.SMALL,
        renewal_date=today + dt.timedelta(days=200),
        lifecycle_stage="adoption",
    )
    AccountFactory(
        workspace=alpha,
        name="Initech",
        segment=Segment.MID_MARKET,
        status=AccountStatus.CHURNED,
        arr=0,
        renewal_date=today - dt.timedelta(days=3),
    )
    client = login(lena)
    url = reverse("portfolio")
    assert _names(client.get(url, {"q": "acme"})) == ["Acme Corp"]
    assert _names(client.get(url, {"segment": "small"})) == ["Globex"]
    assert _names(client.get(url, {"lifecycle_stage": "adoption"})) == ["Globex"]
    assert _names(client.get(url, {"status": "churned"})) == ["Initech"]
    assert _names(client.get(url, {"renewal": "30"})) == ["Acme Corp"]
    assert _names(client.get(url, {"renewal": "overdue"})) == ["Initech"]


@pytest.mark.django_db
def test_it_sorts_by_each_column_both_ways(login, alpha, lena, bob, carol):
    AccountFactory(workspace=alpha, name="Small", arr=Decimal("100"), owner=carol)
    AccountFactory(workspace=alpha, name="Large", arr=Decimal("900"), owner=bob)
    client = login(lena)
    url = reverse("portfolio")
    assert _names(client.get(url, {"sort": "arr"})) == ["Small", "Large"]
    assert _names(client.get(url, {"sort": "-arr"})) == ["Large", "Small"]
    assert _names(client.get(url, {"sort": "owner"})) == ["Large", "Small"]
    for column in ("name", "renewal_date", "lifecycle_stage", "segment"):
        for direction in ("", "-"):
            assert client.get(url, {"sort": direction + column}).status_code == 200


@pytest.mark.django_db
def test_it_sorts_by_the_csm_name_not_by_who_joined_first(login, alpha, lena):
    csms = {}
    for first_name, last_name in (("Zoe", "Adams"), ("Adam", "Young"), ("Adam", "Baker")):
        csm = UserFactory(first_name=first_name, last_name=last_name)
        MembershipFactory(workspace=alpha, user=csm, role=Role.CSM)
        csms[f"{first_name} {last_name}"] = csm
    for full_name, csm in csms.items():
        AccountFactory(workspace=alpha, owner=csm, name=f"{full_name}'s customer")
    client = login(lena)
    url = reverse("portfolio")
    by_name = ["Adam Baker's customer", "Adam Young's customer", "Zoe Adams's customer"]
    assert _names(client.get(url, {"sort": "owner"})) == by_name
    assert _names(client.get(url, {"sort": "-owner"})) == by_name[::-1]


@pytest.mark.django_db
@pytest.mark.parametrize("param", [*SORT_FIELDS, *(f"-{param}" for param in SORT_FIELDS)])
def test_it_breaks_ties_by_id_under_every_sort(in_alpha, param):
    portfolio = PortfolioFilter({"sort": param}, queryset=Account.objects.all())
    direction = "-" if param.startswith("-") else ""
    fields = SORT_FIELDS[param.removeprefix("-")]
    assert portfolio.qs.query.order_by == (*(direction + field for field in fields), "id")


@pytest.mark.django_db
def test_it_names_a_bad_filter_value_instead_of_failing(login, alpha, lena):
    response = login(lena).get(reverse("portfolio"), {"segment": "galactic", "sort": "secret"})
    assert response.status_code == 200
    assert "segment" in response.context["filter"].form.errors


@pytest.mark.django_db
def test_it_pages_fifty_rows_at_a_time_with_totals(login, alpha, lena):
    AccountFactory.create_batch(120, workspace=alpha, arr=Decimal("1000"))
    client = login(lena)
    first = client.get(reverse("portfolio"))
    assert len(first.context["page"].object_list) == 50
    assert first.context["summary"]["count"] == 120
    assert first.context["summary"]["arr_by_currency"] == [("USD", Decimal("120000"))]
    last = client.get(reverse("portfolio"), {"page": 3})
    assert len(last.context["page"].object_list) == 20


def _portfolio_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("portfolio"), {"sort": "-arr"}).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_it_runs_the_same_queries_for_10_or_200_accounts(login, alpha, bob, carol):
    AccountFactory.create_batch(10, workspace=alpha, owner=bob)
    AccountFactory.create_batch(200, workspace=alpha, owner=carol)
    small = _portfolio_queries(login(bob))
    large = _portfolio_queries(login(carol))
    assert small == large
    # The page's own queries, then one budget per panel higher apps add to it.
    assert large <= 6 + sum(panel.query_budget for panel in panels_for("portfolio"))


@pytest.mark.django_db
def test_it_totals_arr_per_currency_never_across_them(login, alpha, lena):
    AccountFactory(workspace=alpha, arr=Decimal("1000"), currency="USD")
    AccountFactory(workspace=alpha, arr=Decimal("500"), currency="USD")
    AccountFactory(workspace=alpha, arr=Decimal("9000"), currency="EUR")
    response = login(lena).get(reverse("portfolio"))
    summary = response.context["summary"]
    assert summary["arr_by_currency"] == [("EUR", Decimal("9000")), ("USD", Decimal("1500"))]
    assert summary["count"] == 3
    body = response.content.decode()
    assert "9,000" in body and "1,500" in body and "10,500" not in body


def _exported(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="alpha-portfolio-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.django_db
def test_it_exports_every_filtered_account_not_only_one_page(login, alpha, lena, bob, carol):
    for number in range(120):
        AccountFactory(
            workspace=alpha,
            owner=(bob, carol)[number % 2],
            name=f"Customer {number:03d}",
            segment=(Segment.ENTERPRISE, Segment.SMALL, Segment.SMALL)[number % 3],
        )
    query = {"owner": bob.pk, "segment": Segment.SMALL, "sort": "-arr"}
    rows = _exported(login(lena).get(reverse("portfolio_export"), query))
    page = login(lena).get(reverse("portfolio"), query)
    expected = Account.dangerously_unscoped.filter(
        workspace=alpha, owner=bob, segment=Segment.SMALL
    ).order_by("-arr", "id")
    assert rows[0][:3] == ["Account", "External id", "CSM"]
    assert [row[0] for row in rows[1:]] == [account.name for account in expected]
    assert len(rows) - 1 == page.context["summary"]["count"] == 40
    assert {row[2] for row in rows[1:]} == {"Bob Tester"}
    assert {row[8] for row in rows[1:]} == {"Small business"}


@pytest.mark.django_db
def test_it_exports_a_csms_own_book_by_default(login, alpha, bob, carol):
    AccountFactory(workspace=alpha, owner=bob, name="Bob's customer")
    AccountFactory(workspace=alpha, owner=carol, name="Carol's customer")
    rows = _exported(login(bob).get(reverse("portfolio_export")))
    assert [row[0] for row in rows[1:]] == ["Bob's customer"]
    everyone = _exported(login(bob).get(reverse("portfolio_export"), {"owner": ""}))
    assert len(everyone) == 1 + 2


@pytest.mark.django_db
def test_it_exports_text_that_looks_like_a_formula_as_text(login, alpha, lena):
    AccountFactory(workspace=alpha, name='=HYPERLINK("http://x")', external_id="+1-555")
    [_, row] = _exported(login(lena).get(reverse("portfolio_export")))
    assert row[:2] == ['\'=HYPERLINK("http://x")', "'+1-555"]


@pytest.mark.django_db
def test_it_exports_only_a_header_when_nothing_matches(login, alpha, lena):
    rows = _exported(login(lena).get(reverse("portfolio_export"), {"q": "nothing like it"}))
    assert len(rows) == 1


@pytest.mark.django_db
def test_it_refuses_to_export_with_a_filter_it_cannot_read(login, alpha, lena):
    response = login(lena).get(reverse("portfolio_export"), {"segment": "huge"})
    assert response.status_code == 400
    assert "Segment" in response.content.decode()


@pytest.mark.django_db
def test_it_exports_health_band_and_score_and_proven_level(login, alpha, lena, bob, in_alpha):
    scored = AccountFactory(workspace=alpha, owner=bob, name="Scored")
    AccountFactory(workspace=alpha, owner=bob, name="Unscored")
    AccountUseCaseFactory(account=scored, level=3)
    HealthSnapshot.objects.create(
        workspace=alpha,
        account=scored,
        week=dt.date(2026, 11, 16),
        total=42.5,
        band="red",
        model_name="Default",
        model_version=1,
    )
    [header, *rows] = _exported(login(lena).get(reverse("portfolio_export"), {"sort": "name"}))
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    shown = ("Proven level", "Health", "Health score")
    assert [by_name["Scored"][key] for key in shown] == ["Use-case value", "Red", "42.5"]
    assert [by_name["Unscored"][key] for key in shown] == ["None proven", "", ""]
