"""Template helpers every page shares: sortable headers, amounts and dates.

They run once per table row, so they avoid Django's localized number and date formatting,
which looks up the active locale at every call.
"""

from datetime import date
from decimal import Decimal

from django import template

register = template.Library()

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@register.simple_tag
def sort_link(column: str, current: str) -> dict:
    """The sort value a column header links to, and how the column is sorted now."""
    if current == column:
        return {"value": f"-{column}", "state": "ascending"}
    if current == f"-{column}":
        return {"value": column, "state": "descending"}
    return {"value": column, "state": "none"}


@register.filter
def money(value: Decimal | float | None) -> str:
    """A whole amount with thousands separators: 1234567.89 → 1,234,568."""
    if value is None:
        return "—"
    return f"{value:,.0f}"


@register.filter
def short_date(value: date | None) -> str:
    """Jul 29, 2027."""
    if value is None:
        return "—"
    return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"


@register.filter
def get_item(mapping: dict, key):
    """``mapping[key]`` in a template, or None when the key is absent."""
    return mapping.get(key)
