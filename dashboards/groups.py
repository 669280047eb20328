"""The cockpit's account groups: each top parent with the figures of every account below it
rolled up (``health.rollup``), converted into the workspace's currency like the rest of the
cockpit."""

from __future__ import annotations

from decimal import Decimal

from csos.currencies import RateTable, rate_on
from csos.tenancy import current_workspace
from dashboards.figures import RENEWAL_DAYS, drill_url, money_text
from dashboards.forms import Filters
from dashboards.tables import Cell, Table
from health import selectors as health_selectors

PROVEN_LEVEL = 3  # use-case value: the first level only evidence reaches


def whole(amount: Decimal) -> Decimal:
    """A converted amount in whole units, as the cockpit's other tables show money."""
    return amount.quantize(Decimal("1"))


def groups_table(*, filters: Filters, rates: RateTable) -> Table:
    """Per top parent in the book: accounts below it, their ARR, renewals in the next 120 days,
    the share of ARR proven at use-case value or above, and ARR-weighted health; in the
    workspace's currency at today's rates, and a currency without a rate on its own line."""
    home = current_workspace().default_currency
    today_rates = {
        currency: rate
        for currency in {home, *rates}
        if (rate := rate_on(rates, currency=currency, on=filters.today, home=home)) is not None
    }
    # The drill of a converted line lists the accounts of every currency converted into it.
    converted = ",".join(sorted(today_rates))
    rows, unconverted = [], set()
    for group in health_selectors.group_rollups(
        today=filters.today, rates=today_rates, home=home, book=filters.book()
    ):
        for total in group.rollups:
            coverage = dict(total.coverage)[PROVEN_LEVEL]
            if total.currency != home:
                unconverted.add(total.currency)
            currencies = converted if total.currency == home else total.currency
            rows.append(
                [
                    Cell(group.top.name),
                    Cell(total.currency),
                    Cell(
                        total.accounts,
                        href=drill_url(filters, "group", top=group.top.pk, currency=currencies),
                    ),
                    Cell(arr := whole(total.arr), money_text(arr)),
                    Cell(total.renewing),
                    Cell(renewing_arr := whole(total.renewing_arr), money_text(renewing_arr)),
                    Cell(None if coverage is None else round(coverage, 1)),
                    Cell(None if total.health is None else round(total.health, 1)),
                ]
            )
    note = f"In {home} at the exchange rates of {filters.today:%d %b %Y}."
    if unconverted:
        note += f" Without a rate, rolled up on their own: {', '.join(sorted(unconverted))}."
    note += " Accounts without a health score are left out of the weighted health."
    return Table(
        key="groups",
        title="Account groups",
        caption=f"Each group's accounts at every depth, rolled up in {home}",
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
        note=note,
    )
