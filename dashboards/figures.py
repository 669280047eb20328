"""What the cockpit's sections share: the filters as URL parameters, the link from a figure to
its accounts, and money kept apart by currency until a rate converts it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse

from csos.currencies import RateTable, rate_on
from dashboards.forms import Filters
from health import selectors as health_selectors

TREND_WEEKS = 26
RENEWAL_DAYS = 120
BAND_ORDER = [
    health_selectors.Band.GREEN,
    health_selectors.Band.YELLOW,
    health_selectors.Band.RED,
    health_selectors.Band.INSUFFICIENT,
]
BAND_LABELS = health_selectors.BAND_LABELS


def filter_params(filters: Filters) -> dict[str, str]:
    """The filters as URL parameters, so every link and export keeps them."""
    params = {"period": filters.period}
    if filters.segment:
        params["segment"] = filters.segment
    if filters.owner_id is not None:
        params["csm"] = str(filters.owner_id)
    return params


def drill_url(filters: Filters, figure: str, **params) -> str:
    query = {**filter_params(filters), "figure": figure, **{k: str(v) for k, v in params.items()}}
    return f"{reverse('cockpit_accounts')}?{urlencode(query)}"


@dataclass
class Money:
    """Amounts in many currencies, converted to the workspace's where a rate exists; the
    others kept apart, never added in."""

    home: str
    converted: Decimal = Decimal(0)
    unconverted: dict[str, Decimal] = field(default_factory=dict)

    def add(self, amount: Decimal | None, currency: str, *, rates: RateTable, on: date) -> None:
        rate = rate_on(rates, currency=currency, on=on, home=self.home)
        if rate is None:
            self.unconverted[currency] = self.unconverted.get(currency, Decimal(0)) + (amount or 0)
        else:
            self.converted += (amount or Decimal(0)) * rate

    @property
    def rounded(self) -> Decimal:
        return self.converted.quantize(Decimal("1"))


def money_text(amount: Decimal) -> str:
    return f"{amount:,.0f}"


def unconverted_note(currencies: set[str]) -> str:
    if not currencies:
        return ""
    return (
        f"Not converted, no exchange rate: {', '.join(sorted(currencies))}. Those accounts are "
        "counted but their ARR is left out of the converted totals."
    )
