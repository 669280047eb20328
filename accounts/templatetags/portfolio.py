"""Filters for account tables. They run once per row, so they avoid Django's localized
number and date formatting, which looks up the active locale at every call."""

from datetime import date
from decimal import Decimal

from django import template

from accounts.models import LifecycleStage, Segment

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
def renewal_badge(renewal: date | None, today: date) -> str:
    """Badge colour of a renewal date: overdue or within 30 days is urgent; 120 days opens work."""
    if renewal is None:
        return ""
    days = (renewal - today).days
    if days <= 30:
        return "bad"
    if days <= 120:
        return "warn"
    return ""


@register.filter
def days_until(value: date | None, today: date) -> int | None:
    return None if value is None else (value - today).days


STAGE_LABELS = dict(LifecycleStage.choices)
SEGMENT_LABELS = dict(Segment.choices)


@register.filter
def stage_label(value: str) -> str:
    return STAGE_LABELS.get(value, value)


@register.filter
def segment_label(value: str) -> str:
    return SEGMENT_LABELS.get(value, value)


@register.filter
def column_label(account, column) -> str:
    """The label of a registered portfolio column's value for ``account``."""
    return dict(column.choices).get(getattr(account, column.key), "—")
