"""Filters for account tables: renewal urgency and the labels of stages and segments."""

from datetime import date

from django import template

from accounts.models import LifecycleStage, Segment

register = template.Library()


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
