"""The cockpit's account groups: each top parent with the figures of every account below it
rolled up (``health.rollup``), per currency as the group's page shows them."""

from __future__ import annotations

from dashboards.figures import RENEWAL_DAYS, drill_url, money_text
from dashboards.forms import Filters
from dashboards.tables import Cell, Table
from health import selectors as health_selectors

PROVEN_LEVEL = 3  # use-case value: the first level only evidence reaches


def groups_table(*, filters: Filters) -> Table:
    """Per top parent in the book and currency: accounts below it, their ARR, renewals in the
    next 120 days, the share of ARR proven at use-case value or above, and ARR-weighted
    health."""
    rows = []
    for group in health_selectors.group_rollups(today=filters.today, book=filters.book()):
        for total in group.rollups:
            coverage = dict(total.coverage)[PROVEN_LEVEL]
            rows.append(
                [
                    Cell(group.top.name),
                    Cell(total.currency),
                    Cell(
                        total.accounts,
                        href=drill_url(filters, "group", top=group.top.pk, currency=total.currency),
                    ),
                    Cell(total.arr, money_text(total.arr)),
                    Cell(total.renewing),
                    Cell(total.renewing_arr, money_text(total.renewing_arr)),
                    Cell(None if coverage is None else round(coverage, 1)),
                    Cell(None if total.health is None else round(total.health, 1)),
                ]
            )
    return Table(
        key="groups",
        title="Account groups",
        caption="Each group's accounts at every depth, rolled up per currency",
        headers=[
            "Group",
            "Currency",
            "Accounts below",
            "ARR",
            f"Renewing in {RENEWAL_DAYS} days",
            "ARR renewing",
            "ARR proven use-case value or ROI %",
            "Health, weighted by ARR",
        ],
        rows=rows,
        numeric_from=2,
        note="Accounts without a health score are left out of the weighted health.",
    )
