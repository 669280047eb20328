"""The leader's cockpit: coverage, health, renewals, retention, theatre and load on one page,
each figure a link to the accounts behind it (``dashboards.drill``) and each table a CSV.

Every section reads another app's selector and asks the database for grouped rows, so the
page costs the same number of queries for ten accounts or twenty thousand, for one week of
snapshots or two years.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from csos import selectors as core_selectors
from csos.charts import bar_chart, line_chart
from csos.currencies import RateTable
from csos.tenancy import current_workspace
from dashboards.figures import (
    BAND_LABELS,
    BAND_ORDER,
    TREND_WEEKS,
    Money,
    drill_url,
    filter_params,
    money_text,
    unconverted_note,
)
from dashboards.forms import Filters
from dashboards.groups import groups_table
from dashboards.risk import (
    load_table,
    renewals_chart,
    renewals_table,
    retention_table,
    theatre_table,
)
from dashboards.tables import Cell, Table
from health.selectors import leaders as health_leaders
from value import selectors as value_selectors
from value.selectors import coverage as coverage_selectors

__all__ = ["cockpit", "cockpit_table", "filter_params"]


# ----------------------------------------------------------------------------- coverage


def coverage_table(*, filters: Filters, by: str, at_least: bool) -> Table:
    """Active accounts and converted ARR by the highest level proven (or, ``at_least``, that
    level or a higher one), per segment or CSM."""
    coverage = coverage_selectors.value_coverage(by=by, as_of=filters.today, book=filters.book())
    levels = coverage["proven_levels"] if at_least else coverage["levels"]
    prefix = "At least " if at_least else ""
    headers = [
        coverage["label"],
        "Accounts",
        f"ARR {coverage['currency']}",
        *(f"{prefix}{level} · {name}: accounts" for level, name in levels),
        *(f"{prefix}{level} · {name}: ARR %" for level, name in levels),
    ]
    rows = []
    for group in coverage["groups"]:
        counts = group["at_least"]["counts"] if at_least else group["counts"]
        count_shares = group["at_least"]["count_shares"] if at_least else group["count_shares"]
        arr_shares = (
            group["at_least"]["converted_shares"] if at_least else group["converted_shares"]
        )
        key = value_selectors.UNASSIGNED if group["key"] is None else group["key"]
        converted = sum(group["converted"].values(), Decimal(0)).quantize(Decimal("1"))
        rows.append(
            [
                Cell(group["name"]),
                Cell(group["count"], href=drill_url(filters, "coverage", by=by, group=key)),
                Cell(converted, money_text(converted)),
                *(
                    Cell(
                        counts[level],
                        f"{counts[level]} · {count_shares[level] or 0:g}%",
                        drill_url(
                            filters,
                            "coverage",
                            by=by,
                            group=key,
                            level=level,
                            **({"at_least": "on"} if at_least else {}),
                        ),
                    )
                    for level, _ in levels
                ),
                *(Cell(arr_shares[level]) for level, _ in levels),
            ]
        )
    label = coverage["label"].lower()
    return Table(
        key=f"coverage-{by}{'-at-least' if at_least else ''}",
        title=f"By {label}, {'proven at least each level' if at_least else 'highest level'}",
        caption=f"Active accounts and ARR by {'at least ' if at_least else 'highest '}proven "
        f"level, per {label}",
        headers=headers,
        rows=rows,
        note=unconverted_note(set(coverage["unconverted_currencies"])),
    )


def coverage_chart(table: Table) -> dict:
    """The share of each group's ARR that proved at least each level."""
    levels = (len(table.headers) - 3) // 2
    series = {
        header.removesuffix(": ARR %"): [row[3 + levels + i].value for row in table.rows]
        for i, header in enumerate(table.headers[3 + levels :])
    }
    return bar_chart([row[0].value for row in table.rows], series, value_format="percent")


# ----------------------------------------------------------------------------- health


def trend_weeks(latest: date | None, *, filters: Filters) -> list[date]:
    """The weeks up to ``latest``: at least ``TREND_WEEKS``, and the whole period when it is
    longer (a trailing year shows 52)."""
    if latest is None:
        return []
    count = max(TREND_WEEKS, (filters.end - filters.start).days // 7)
    return [latest - timedelta(weeks=back) for back in range(count - 1, -1, -1)]


def health_tables(*, filters: Filters, rates: RateTable, latest: date | None) -> dict:
    """Band counts and ARR now (the latest scored week) and over the 26 weeks up to it, ARR
    as the ledger stood each week, converted at that week's rates."""
    home = current_workspace().default_currency
    weeks = trend_weeks(latest, filters=filters)
    counts = {(week, band): 0 for week in weeks for band in BAND_ORDER}
    money = {(week, band): Money(home) for week in weeks for band in BAND_ORDER}
    unconverted = set()
    for row in health_leaders.band_weeks(weeks=weeks, book=filters.book(via="account__")):
        key = (row["week"], row["band"])
        counts[key] += row["accounts"]
        money[key].add(row["arr"], row["account__currency"], rates=rates, on=row["week"])
        unconverted |= set(money[key].unconverted)
    note = unconverted_note(unconverted)
    labels = [BAND_LABELS[band] for band in BAND_ORDER]
    now = Table(
        key="health-now",
        title=f"Week of {weeks[-1]:%d %b %Y}" if weeks else "No week scored yet",
        caption="Accounts and ARR per health band in the latest scored week",
        headers=["Band", "Accounts", f"ARR {home}"],
        rows=[
            [
                Cell(BAND_LABELS[band]),
                Cell(
                    counts[weeks[-1], band],
                    href=drill_url(filters, "band", band=band, week=weeks[-1].isoformat()),
                ),
                Cell(money[weeks[-1], band].rounded, money_text(money[weeks[-1], band].rounded)),
            ]
            for band in BAND_ORDER
        ]
        if weeks
        else [],
        note=note,
    )
    trend = Table(
        key="health-trend",
        title="Band counts and ARR per week",
        caption=f"Accounts and ARR per health band in each of the {len(weeks)} weeks up to "
        f"{filters.end:%d %b %Y}",
        headers=["Week", *labels, *(f"{label} ARR {home}" for label in labels)],
        rows=[
            [
                Cell(week.isoformat(), f"{week:%d %b %Y}"),
                *(
                    Cell(
                        counts[week, band],
                        href=drill_url(filters, "band", band=band, week=week.isoformat()),
                    )
                    for band in BAND_ORDER
                ),
                *(
                    Cell(money[week, band].rounded, money_text(money[week, band].rounded))
                    for band in BAND_ORDER
                ),
            ]
            for week in weeks
        ],
        note=note,
    )
    week_labels = [f"{week:%d %b}" for week in weeks]
    return {
        "now": now,
        "trend": trend,
        "counts_chart": line_chart(
            week_labels,
            {BAND_LABELS[b]: [counts[w, b] for w in weeks] for b in BAND_ORDER},
            value_format="count",
        ),
        "arr_chart": line_chart(
            week_labels,
            {BAND_LABELS[b]: [float(money[w, b].converted) for w in weeks] for b in BAND_ORDER},
            value_format="money",
            unit=home,
        ),
    }


# ----------------------------------------------------------------------------- the page


def cockpit(*, filters: Filters) -> dict:
    """Every section of the cockpit for ``filters``; a fixed number of queries."""
    rates = core_selectors.exchange_rate_table()
    latest = health_leaders.latest_week(today=filters.end)
    health = health_tables(filters=filters, rates=rates, latest=latest)
    coverage = {
        (by, at_least): coverage_table(filters=filters, by=by, at_least=at_least)
        for by in ("segment", "csm")
        for at_least in (False, True)
    }
    renewals = renewals_table(filters=filters, rates=rates)
    return {
        "currency": current_workspace().default_currency,
        "coverage": [coverage[key] for key in sorted(coverage)],
        "coverage_chart": coverage_chart(coverage["segment", True]),
        "health": health,
        "renewals": renewals,
        "trend_weeks": len(health["trend"].rows),
        "renewals_chart": renewals_chart(renewals),
        "retention": retention_table(filters=filters, rates=rates),
        "theatre": theatre_table(filters=filters, rates=rates, week=latest),
        "load": load_table(filters=filters),
        "groups": groups_table(filters=filters, rates=rates),
    }


def cockpit_table(*, filters: Filters, key: str) -> Table | None:
    """One table of the cockpit by its key, for its CSV export."""
    page = cockpit(filters=filters)
    tables = [
        *page["coverage"],
        page["health"]["now"],
        page["health"]["trend"],
        page["renewals"],
        page["retention"],
        page["theatre"],
        page["load"],
        page["groups"],
    ]
    return next((table for table in tables if table.key == key), None)
