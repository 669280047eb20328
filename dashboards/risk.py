"""The cockpit's revenue and attention sections: renewals at risk, retention, theatre flags
and CSM load, each a table whose figures link to the accounts behind them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncQuarter

from accounts import selectors as account_selectors
from accounts.selectors import retention as retention_selectors
from csos.charts import bar_chart
from csos.currencies import RateTable, rate_on
from csos.tenancy import current_workspace
from dashboards.figures import (
    BAND_LABELS,
    BAND_ORDER,
    RENEWAL_DAYS,
    Money,
    drill_url,
    money_text,
    unconverted_note,
)
from dashboards.forms import Filters
from dashboards.selectors import book_loads
from dashboards.tables import Cell, Table
from health import selectors as health_selectors
from health.selectors import leaders as health_leaders
from playbooks import selectors as playbook_selectors
from stakeholders import selectors as stakeholder_selectors
from value import selectors as value_selectors

# ----------------------------------------------------------------------------- renewals


def renewals_in_window(filters: Filters):
    """The active accounts renewing in the 120 days from the period's last day (today while it
    runs), with their band, highest proven level and open risks (open risk-playbook tasks,
    disputed claims)."""
    return (
        account_selectors.account_list()
        .filter(
            filters.book(),
            status=account_selectors.AccountStatus.ACTIVE,
            renewal_date__gte=filters.end,
            renewal_date__lte=filters.end + timedelta(days=RENEWAL_DAYS),
        )
        .annotate(
            band=health_selectors.latest_band_subquery(),
            highest_level=value_selectors.highest_level_subquery(),
            risk_tasks=playbook_selectors.open_risk_tasks_subquery(),
            disputed=value_selectors.disputed_claims_subquery(),
        )
        .annotate(quarter=TruncQuarter("renewal_date"))
    )


def renewals_title(filters: Filters) -> str:
    if filters.end == filters.today:
        return f"Renewals in the next {RENEWAL_DAYS} days"
    return f"Renewals in the {RENEWAL_DAYS} days from {filters.end:%d %b %Y}"


AT_RISK = Q(risk_tasks__gt=0) | Q(disputed__gt=0)


def renewals_table(*, filters: Filters, rates: RateTable) -> Table:
    """Renewals in the next 120 days per quarter and band: accounts, ARR, accounts proven at
    use-case value or above, and the accounts and ARR with open risks."""
    home = current_workspace().default_currency
    rows = (
        renewals_in_window(filters)
        .order_by()
        .values("quarter", "band", "currency")
        .annotate(
            accounts=Count("id"),
            booked=Sum("arr"),
            proven=Count("id", filter=Q(highest_level__gte=3)),
            risky=Count("id", filter=AT_RISK),
            booked_at_risk=Sum("arr", filter=AT_RISK),
        )
    )
    cells: dict[tuple, dict] = {}
    unconverted = set()
    for row in rows:
        band = row["band"] or health_selectors.Band.INSUFFICIENT
        cell = cells.setdefault(
            (row["quarter"], band),
            {"accounts": 0, "proven": 0, "risky": 0, "arr": Money(home), "risky_arr": Money(home)},
        )
        for name in ("accounts", "proven", "risky"):
            cell[name] += row[name]
        for name, column in (("arr", "booked"), ("risky_arr", "booked_at_risk")):
            cell[name].add(row[column], row["currency"], rates=rates, on=filters.end)
            unconverted |= set(cell[name].unconverted)
    table_rows = []
    for quarter, band in sorted(cells, key=lambda key: (key[0], BAND_ORDER.index(key[1]))):
        table_rows.append(
            _renewals_row(filters, quarter=quarter, band=band, cell=cells[quarter, band])
        )
    return Table(
        key="renewals",
        title=renewals_title(filters),
        caption=f"{renewals_title(filters)}: active accounts per quarter and band",
        headers=[
            "Quarter",
            "Band",
            "Accounts",
            f"ARR {home}",
            "Proven use-case value or ROI",
            "With open risks",
            f"ARR at stake {home}",
        ],
        rows=table_rows,
        numeric_from=2,
        note=unconverted_note(unconverted),
    )


def _renewals_row(filters: Filters, *, quarter, band: str, cell: dict) -> list[Cell]:
    """One quarter and band of the renewals table, its counts linking to their accounts."""
    where = {"quarter": quarter.isoformat(), "band": band}
    return [
        Cell(retention_selectors.quarter_label(quarter)),
        Cell(BAND_LABELS[band]),
        Cell(cell["accounts"], href=drill_url(filters, "renewals", **where)),
        Cell(cell["arr"].rounded, money_text(cell["arr"].rounded)),
        Cell(cell["proven"], href=drill_url(filters, "renewals", **where, proven="on")),
        Cell(cell["risky"], href=drill_url(filters, "renewals", **where, risk="on")),
        Cell(cell["risky_arr"].rounded, money_text(cell["risky_arr"].rounded)),
    ]


def renewals_chart(table: Table) -> dict:
    quarters = list(dict.fromkeys(row[0].value for row in table.rows))
    series = {
        BAND_LABELS[band]: [
            next(
                (
                    float(row[3].value)
                    for row in table.rows
                    if row[0].value == q and row[1].value == BAND_LABELS[band]
                ),
                0.0,
            )
            for q in quarters
        ]
        for band in BAND_ORDER
    }
    return bar_chart(quarters, series, value_format="money", stacked=True)


# ----------------------------------------------------------------------------- retention


def retention_periods(filters: Filters) -> dict[str, tuple[date, date]]:
    """The chosen period and, for a quarter, the year closing on the same day."""
    periods = {filters.label: (filters.start, filters.end)}
    if not filters.is_trailing_year:
        periods["Trailing year"] = (
            retention_selectors.trailing_year_start(filters.end),
            filters.end,
        )
    return periods


def _retention_row(filters: Filters, *, label: str, start: date, currency: str, sums) -> list:
    figures = retention_selectors.retention_rates(sums)
    return [
        Cell(label),
        Cell(currency),
        Cell(
            figures.starting_arr.quantize(Decimal("1")),
            money_text(figures.starting_arr),
            drill_url(filters, "retention", start=start.isoformat()),
        ),
        Cell(None if figures.nrr is None else retention_selectors.percent(figures.nrr)),
        Cell(None if figures.grr is None else retention_selectors.percent(figures.grr)),
        *(
            Cell(amount.quantize(Decimal("1")), money_text(amount))
            for amount in (figures.expansion, figures.contraction, figures.churn)
        ),
    ]


def retention_table(*, filters: Filters, rates: RateTable) -> Table:
    """NRR and GRR for the period and the trailing year closing with it, from the ARR ledger:
    every currency with a rate converted into the workspace's at the rates of the period's
    last day, and added up; a currency without a rate measured on its own."""
    home = current_workspace().default_currency
    periods = retention_periods(filters)
    by_currency = retention_selectors.retention_sums_by_currency(
        periods=list(periods.values()), owner_id=filters.owner_id, segment=filters.segment
    )
    rows, unconverted = [], set()
    for label, (start, end) in periods.items():
        converted, apart = retention_selectors.BookSums(), []
        for currency, sums in by_currency.items():
            rate = rate_on(rates, currency=currency, on=end, home=home)
            if rate is None:
                unconverted.add(currency)
                apart.append((currency, sums[start, end]))
            else:
                converted = converted + sums[start, end].converted(rate)
        if converted.starting_arr or not apart:
            rows.append(
                _retention_row(filters, label=label, start=start, currency=home, sums=converted)
            )
        rows += [
            _retention_row(filters, label=label, start=start, currency=currency, sums=sums)
            for currency, sums in apart
        ]
    note = f"Through {filters.end:%d %b %Y}, in {home} at the exchange rates of that day."
    if unconverted:
        note += f" Without a rate, measured on their own: {', '.join(sorted(unconverted))}."
    return Table(
        key="retention",
        title="Net and gross revenue retention",
        caption="NRR and GRR for the chosen period and the trailing year closing with it",
        headers=[
            "Period",
            "Currency",
            "Starting ARR",
            "NRR %",
            "GRR %",
            "Expansion",
            "Contraction",
            "Churn",
        ],
        rows=rows,
        numeric_from=2,
        note=note,
    )


# ----------------------------------------------------------------------------- theatre, load


def theatre_table(*, filters: Filters, rates: RateTable, week: date | None) -> Table:
    """How many active accounts (and how much ARR) each theatre flag names now: measurement
    theatre from the latest scored week, relationship theatre from today's meetings and
    changes."""
    home = current_workspace().default_currency
    active = account_selectors.account_list().filter(
        filters.book(), status=account_selectors.AccountStatus.ACTIVE
    )
    flagged = {
        "relationship": active.filter(
            pk__in=stakeholder_selectors.relationship_theatre_accounts(
                today=filters.today, book=filters.book()
            ).values("pk")
        )
    }
    if week is not None:
        flagged["measurement"] = active.filter(
            health_leaders.measurement_theatre_accounts(week=week)
        )
    names = {
        "measurement": "Measurement theatre: the score rose, usage and proof did not",
        "relationship": "Relationship theatre: many meetings, no evidence or plan changed",
    }
    rows, unconverted = [], set()
    for kind in names:
        if kind not in flagged:
            continue
        count, money = 0, Money(home)
        for row in (
            flagged[kind].order_by().values("currency").annotate(n=Count("id"), booked=Sum("arr"))
        ):
            count += row["n"]
            money.add(row["booked"], row["currency"], rates=rates, on=filters.today)
        unconverted |= set(money.unconverted)
        rows.append(
            [
                Cell(names[kind]),
                Cell(count, href=drill_url(filters, "theatre", kind=kind)),
                Cell(money.rounded, money_text(money.rounded)),
            ]
        )
    return Table(
        key="theatre",
        title="Theatre flags",
        caption="Active accounts each theatre flag names now, and their ARR",
        headers=["Flag", "Accounts", f"ARR {home}"],
        rows=rows,
        note=unconverted_note(unconverted),
    )


def load_table(*, filters: Filters) -> Table:
    """Each CSM's book (the CSM load page's figures) within the filters."""
    loads = book_loads(today=filters.today, book=filters.book())
    if filters.owner_id is not None:
        loads = [
            load
            for load in loads
            if load.membership and load.membership.user_id == filters.owner_id
        ]
    currencies = sorted({code for load in loads for code in load.arr_by_currency})
    return Table(
        key="load",
        title="CSM load",
        caption="Active accounts, ARR per currency and renewals within 90 days, per CSM",
        headers=["CSM", "Accounts", *(f"ARR {code}" for code in currencies), "Renewing in 90 days"],
        rows=[
            [
                Cell(load.name),
                Cell(
                    load.accounts,
                    href=drill_url(
                        filters,
                        "load",
                        owner=load.membership.user_id if load.membership else "none",
                    ),
                ),
                *(
                    Cell(
                        load.arr_by_currency.get(code),
                        money_text(load.arr_by_currency[code])
                        if code in load.arr_by_currency
                        else "",
                    )
                    for code in currencies
                ),
                Cell(load.renewing_90),
            ]
            for load in loads
        ],
    )
