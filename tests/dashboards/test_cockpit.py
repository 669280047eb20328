"""The cockpit's figures against a small book worked out by hand, and the accounts behind each."""

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import MovementKind, Segment
from csos.models import ExchangeRate
from dashboards.forms import current_quarter_end
from health.models import HealthSnapshot
from health.scoring import iso_week
from playbooks.models import Task, TaskPriority
from tests.factories import AccountFactory, AccountUseCaseFactory, ArrMovementFactory
from tests.stakeholders.factories import (
    InteractionFactory,
    InteractionParticipantFactory,
    StakeholderFactory,
)

URL = reverse("cockpit")
TODAY = dt.date.today()
WEEK = iso_week(TODAY)
QUARTER_START = current_quarter_end(TODAY).replace(
    day=1, month=current_quarter_end(TODAY).month - 2
)


def snapshot(account, week, band, total, theatre=""):
    return HealthSnapshot.objects.create(
        workspace=account.workspace,
        account=account,
        week=week,
        total=total,
        band=band,
        scores={"usage": 5.0},
        drivers={},
        model_name="Default",
        model_version=1,
        theatre=theatre,
    )


@pytest.fixture
def book(alpha, beta, bob, carol, charlie):
    """Three accounts in USD, EUR (rate 1.5) and GBP (no rate), worked out in each test."""
    ExchangeRate.objects.create(
        workspace=alpha, currency="EUR", rate=Decimal("1.5"), valid_from=dt.date(2020, 1, 1)
    )
    usd = AccountFactory(
        workspace=alpha,
        name="Acme",
        owner=bob,
        segment=Segment.ENTERPRISE,
        arr=Decimal(1000),
        currency="USD",
        renewal_date=TODAY + dt.timedelta(days=30),
    )
    ArrMovementFactory(account=usd, kind=MovementKind.NEW, date=dt.date(2024, 6, 1), amount=1200)
    ArrMovementFactory(account=usd, kind=MovementKind.CONTRACTION, date=QUARTER_START, amount=200)
    AccountUseCaseFactory(account=usd, level=3)
    snapshot(usd, WEEK, "red", 30)
    snapshot(usd, WEEK - dt.timedelta(weeks=1), "yellow", 60)
    Task.objects.create(
        workspace=alpha,
        account=usd,
        playbook="save",
        title="Save play",
        reason="Red",
        due_on=TODAY,
        priority=TaskPriority.URGENT,
        cause="save",
    )
    eur = AccountFactory(
        workspace=alpha,
        name="Bolt",
        owner=carol,
        segment=Segment.SMALL,
        arr=Decimal(2000),
        currency="EUR",
        renewal_date=TODAY + dt.timedelta(days=200),
    )
    ArrMovementFactory(account=eur, kind=MovementKind.NEW, date=dt.date(2024, 6, 1), amount=2000)
    AccountUseCaseFactory(account=eur, level=1)
    snapshot(eur, WEEK, "green", 80, theatre="engagement 3 → 9")
    snapshot(eur, WEEK - dt.timedelta(weeks=1), "yellow", 62)
    gbp = AccountFactory(
        workspace=alpha,
        name="Crane",
        owner=bob,
        segment=Segment.SMALL,
        arr=Decimal(500),
        currency="GBP",
        renewal_date=TODAY + dt.timedelta(days=10),
    )
    for days in range(6):
        meeting = InteractionFactory(account=gbp, occurred_on=TODAY - dt.timedelta(days=days))
        InteractionParticipantFactory(
            interaction=meeting, stakeholder=StakeholderFactory(account=gbp)
        )
    AccountFactory(workspace=beta, owner=charlie, name="Foreign", segment=Segment.SMALL)
    return {"usd": usd, "eur": eur, "gbp": gbp}


def table(response, key):
    tables = [
        *response.context["coverage"],
        response.context["health"]["now"],
        response.context["health"]["trend"],
        response.context["renewals"],
        response.context["retention"],
        response.context["theatre"],
        response.context["load"],
        response.context["groups"],
    ]
    return next(t for t in tables if t.key == key)


def rows(response, key):
    return {row[0].value: [cell.value for cell in row] for row in table(response, key).rows}


def drilled(client, href):
    response = client.get(href)
    assert response.status_code == 200
    return {account.name for account in response.context["page"].object_list}


@pytest.mark.django_db
def test_it_counts_coverage_by_highest_level_with_converted_arr(login, lena, book):
    response = login(lena).get(URL)
    by_segment = rows(response, "coverage-segment")
    # Enterprise: Acme at level 3, 1000 USD. Small: Bolt at 1 (2000 EUR = 3000 USD), Crane at 0
    # in GBP, which has no rate and is counted but not converted.
    assert by_segment["Enterprise"][1:3] == [1, Decimal(1000)]
    assert by_segment["Enterprise"][3:8] == [0, 0, 0, 1, 0]
    assert by_segment["Small business"][1:3] == [2, Decimal(3000)]
    assert by_segment["Small business"][3:8] == [1, 1, 0, 0, 0]
    assert by_segment["Small business"][8:13] == [0.0, 100.0, 0.0, 0.0, 0.0]
    at_least = rows(response, "coverage-csm-at-least")
    assert at_least["Bob Tester"][3:7] == [1, 1, 1, 0]
    assert "GBP" in table(response, "coverage-segment").note


@pytest.mark.django_db
def test_it_lists_exactly_the_accounts_behind_a_coverage_figure(login, lena, book):
    client = login(lena)
    cells = table(client.get(URL), "coverage-segment-at-least").rows
    small = next(row for row in cells if row[0].value == "Small business")
    assert drilled(client, small[1].href) == {"Bolt", "Crane"}
    assert drilled(client, small[3].href) == {"Bolt"}


@pytest.mark.django_db
def test_it_counts_bands_and_their_arr_as_the_ledger_stood_each_week(login, lena, book):
    client = login(lena)
    response = client.get(URL)
    now = rows(response, "health-now")
    assert now["Red"][1:] == [1, Decimal(1000)]
    assert now["Green"][1:] == [1, Decimal(3000)]
    assert now["Yellow"][1:] == [0, Decimal(0)]
    trend = rows(response, "health-trend")
    assert len(trend) == 26
    last_week = trend[(WEEK - dt.timedelta(weeks=1)).isoformat()]
    # Yellow: Acme at 1200 before the quarter's contraction or 1000 after it, plus Bolt's 3000.
    acme_then = (
        1200 if WEEK - dt.timedelta(weeks=1) + dt.timedelta(days=6) < QUARTER_START else 1000
    )
    assert last_week[1:5] == [0, 2, 0, 0]
    assert last_week[6] == Decimal(3000 + acme_then)
    yellow = table(response, "health-trend").rows[-2][2].href
    assert drilled(client, yellow) == {"Acme", "Bolt"}
    red_now = table(response, "health-now").rows[2][1].href
    assert drilled(client, red_now) == {"Acme"}


@pytest.mark.django_db
def test_it_groups_renewals_in_the_next_120_days_by_quarter_and_band(login, lena, book):
    client = login(lena)
    response = client.get(URL)
    renewals = table(response, "renewals").rows
    by_band = {(row[0].value, row[1].value): [cell.value for cell in row[2:]] for row in renewals}
    quarter_of = {
        name: f"{day.year} Q{(day.month - 1) // 3 + 1}"
        for name, day in (("Acme", book["usd"].renewal_date), ("Crane", book["gbp"].renewal_date))
    }
    # Acme: red, 1000 USD, proven use-case value, an open save play. Crane: no snapshot, GBP
    # without a rate. Bolt renews in 200 days, outside the window.
    assert by_band[quarter_of["Acme"], "Red"] == [1, Decimal(1000), 1, 1, Decimal(1000)]
    assert by_band[quarter_of["Crane"], "Insufficient data"] == [1, Decimal(0), 0, 0, Decimal(0)]
    assert "GBP" in table(response, "renewals").note
    red = next(row for row in renewals if row[1].value == "Red")
    assert drilled(client, red[2].href) == {"Acme"}
    assert drilled(client, red[5].href) == {"Acme"}
    insufficient = next(row for row in renewals if row[1].value == "Insufficient data")
    assert drilled(client, insufficient[2].href) == {"Crane"}


@pytest.mark.django_db
def test_it_measures_nrr_and_grr_in_the_workspace_currency(login, lena, book):
    # Bolt gains 100 EUR the day before the quarter opens; Crane's 500 GBP has no rate.
    ArrMovementFactory(
        account=book["eur"],
        kind=MovementKind.EXPANSION,
        date=QUARTER_START - dt.timedelta(days=1),
        amount=100,
    )
    ArrMovementFactory(
        account=book["gbp"], kind=MovementKind.NEW, date=dt.date(2024, 6, 1), amount=500
    )
    client = login(lena)
    response = client.get(URL)
    retention = {(row[0].value, row[1].value): row for row in table(response, "retention").rows}
    quarter = retention[f"{TODAY.year} Q{(TODAY.month - 1) // 3 + 1}", "USD"]
    # Quarter: Acme 1200 USD + Bolt 2100 EUR x 1.5 = 4350 at the start; Acme loses 200.
    # NRR = GRR = 4150 / 4350.
    assert [cell.value for cell in quarter[2:8]] == [4350, 95.4, 95.4, 0, 200, 0]
    # Year: 1200 + 2000 x 1.5 = 4200 at the start, Bolt's 100 EUR (150 USD) an expansion.
    # NRR = (4200 + 150 - 200) / 4200, GRR = (4200 - 200) / 4200.
    year = retention["Trailing year", "USD"]
    assert [cell.value for cell in year[2:8]] == [4200, 98.8, 95.2, 150, 200, 0]
    assert [cell.value for cell in retention["Trailing year", "GBP"][2:5]] == [500, 100.0, 100.0]
    assert ("Trailing year", "EUR") not in retention
    assert "GBP" in table(response, "retention").note
    assert drilled(client, quarter[2].href) == {"Acme", "Bolt", "Crane"}


@pytest.mark.django_db
def test_it_applies_the_period_to_retention_renewals_and_the_trend(login, lena, book):
    previous_end = QUARTER_START - dt.timedelta(days=1)
    # Left at last quarter's last day: its renewal was due then and is not recorded yet.
    AccountFactory(
        workspace=book["usd"].workspace,
        name="Dune",
        arr=Decimal(300),
        currency="USD",
        renewal_date=previous_end,
    )
    snapshot(book["usd"], iso_week(previous_end), "green", 80)
    client = login(lena)
    assert "Dune" not in {row[0].value for row in table(client.get(URL), "renewals").rows}

    response = client.get(URL, {"period": previous_end.isoformat()})
    assert response.status_code == 200
    labels = {row[0].value for row in table(response, "retention").rows}
    assert labels == {f"{previous_end.year} Q{(previous_end.month - 1) // 3 + 1}", "Trailing year"}
    trend = table(response, "health-trend").rows
    assert len(trend) == 26 and trend[-1][0].value == iso_week(previous_end).isoformat()
    renewals = table(response, "renewals").rows
    # The renewals of the 120 days from the quarter's last day hold Dune, due that day.
    href = next(row[2].href for row in renewals if row[1].value == "Insufficient data")
    assert parse_qs(urlparse(href).query)["period"] == [previous_end.isoformat()]
    assert "Dune" in drilled(client, href)

    year = client.get(URL, {"period": "year"})
    assert {row[0].value for row in table(year, "retention").rows} == {"Trailing year"}
    assert len(table(year, "health-trend").rows) == 52
    assert client.get(URL, {"period": "1999-12-31"}).status_code == 400


@pytest.mark.django_db
def test_it_counts_both_theatre_flags_and_lists_their_accounts(login, lena, book):
    client = login(lena)
    response = client.get(URL)
    theatre = table(response, "theatre").rows
    measurement, relationship = theatre
    assert [cell.value for cell in measurement[1:]] == [1, Decimal(3000)]
    assert [cell.value for cell in relationship[1:]] == [1, Decimal(0)]
    assert drilled(client, measurement[1].href) == {"Bolt"}
    assert drilled(client, relationship[1].href) == {"Crane"}


@pytest.mark.django_db
def test_it_shows_csm_load_and_narrows_every_section_to_the_filters(login, lena, bob, book):
    client = login(lena)
    load = rows(client.get(URL), "load")
    assert load["Bob Tester"][1] == 2
    assert load["Carol Tester"][1] == 1
    assert drilled(client, table(client.get(URL), "load").rows[0][1].href) == {"Acme", "Crane"}
    narrowed = client.get(URL, {"csm": bob.pk, "segment": Segment.SMALL})
    assert rows(narrowed, "coverage-segment")["Small business"][1] == 1
    assert rows(narrowed, "health-now")["Green"][1] == 0
    assert list(rows(narrowed, "load")) == ["Bob Tester"]
    href = table(narrowed, "coverage-segment").rows[0][1].href
    assert parse_qs(urlparse(href).query)["csm"] == [str(bob.pk)]
    assert drilled(client, href) == {"Crane"}


@pytest.mark.django_db
def test_it_rolls_up_each_group_over_its_grandchildren_converted_into_the_workspace_currency(
    login, lena, alpha, book
):
    """Holding > Group > Acme (USD), Holding > Bolt (EUR at 1.5) and Holding > Crane (GBP, no
    rate): USD and EUR roll up together in USD, GBP on its own line."""
    holding = AccountFactory(workspace=alpha, name="Holding", arr=Decimal(0), renewal_date=None)
    group = AccountFactory(
        workspace=alpha, name="Group", parent=holding, arr=Decimal(0), renewal_date=None
    )
    for account, parent in ((book["usd"], group), (book["eur"], holding), (book["gbp"], holding)):
        account.parent = parent
        account.save(update_fields=["parent"])
    client = login(lena)
    groups_table = table(client.get(URL), "groups")
    groups = {(row[0].value, row[1].value): row for row in groups_table.rows}
    assert set(groups) == {("Holding", "USD"), ("Holding", "GBP")}
    # Group (no ARR, no score), Acme (1000, level 3, Red at 30, renews in 30 days) and Bolt
    # (2000 EUR = 3000 USD, level 1, Green at 80, renews in 200 days).
    usd = [cell.value for cell in groups["Holding", "USD"][2:]]
    assert usd == [3, Decimal(4000), 1, Decimal(1000), 25.0, 67.5]
    # Crane (500 GBP, no use case, no score, renews in 10 days).
    gbp = [cell.value for cell in groups["Holding", "GBP"][2:]]
    assert gbp == [1, Decimal(500), 1, Decimal(500), 0.0, None]
    assert "Without a rate, rolled up on their own: GBP." in groups_table.note
    assert drilled(client, groups["Holding", "USD"][2].href) == {"Group", "Acme", "Bolt"}
    assert drilled(client, groups["Holding", "GBP"][2].href) == {"Crane"}


@pytest.mark.django_db
def test_it_exports_each_table_and_each_drill_as_csv(login, lena, book):
    client = login(lena)
    response = client.get(reverse("cockpit_export"), {"table": "health-now"})
    assert response["Content-Type"] == "text/csv"
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "Band,Accounts,ARR USD"
    assert "Red,1,1000" in lines
    href = table(client.get(URL), "theatre").rows[0][1].href
    export = client.get(
        href.replace(reverse("cockpit_accounts"), reverse("cockpit_accounts_export"))
    )
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("Bolt,")
    assert client.get(reverse("cockpit_export"), {"table": "nothing"}).status_code == 404


@pytest.mark.django_db
def test_it_refuses_filters_and_figures_it_does_not_understand_by_name(login, lena, book):
    client = login(lena)
    assert client.get(URL, {"segment": "galactic"}).status_code == 400
    refused = client.get(reverse("cockpit_accounts"), {"figure": "band", "band": "red"})
    assert refused.status_code == 400
    assert "week" in refused.content.decode()
    refused = client.get(
        reverse("cockpit_accounts"), {"figure": "coverage", "by": "segment", "group": "x"}
    )
    assert "group" in refused.content.decode()


@pytest.mark.django_db
def test_it_keeps_the_cockpit_to_leaders_and_admins(login, alice, lena, bob, vera, charlie, book):
    drill = f"{reverse('cockpit_accounts')}?figure=load&owner={bob.pk}"
    for url in (URL, drill, f"{reverse('cockpit_export')}?table=load", reverse("renewal_forecast")):
        assert login(alice).get(url).status_code == 200
        assert login(bob).get(url).status_code == 403
        assert login(vera).get(url).status_code == 403


@pytest.mark.django_db
def test_it_never_lists_another_workspaces_accounts(login, charlie, bob, book):
    client = login(charlie)
    drill = client.get(reverse("cockpit_accounts"), {"figure": "load", "owner": bob.pk})
    assert drill.status_code == 200
    assert list(drill.context["page"].object_list) == []
    assert rows(client.get(URL), "coverage-segment")["Small business"][1] == 1


@pytest.mark.django_db
def test_it_runs_the_same_queries_for_few_or_many_accounts_and_weeks(login, alpha, lena, bob, book):
    client = login(lena)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(20):
        account = AccountFactory(workspace=alpha, owner=bob, currency="EUR")
        ArrMovementFactory(account=account, amount=100)
        for back in range(30):
            snapshot(account, WEEK - dt.timedelta(weeks=back), "yellow", 60)
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(few) == len(many)
