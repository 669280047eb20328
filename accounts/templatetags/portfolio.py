"""Filters for account tables: renewal urgency and the labels of stages and segments."""

from collections.abc import Iterable
from datetime import date
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from accounts.models import AccountStatus
from accounts.selectors import SEGMENT_LABELS, STAGE_LABELS, owner_name
from csos.panels import PortfolioColumn
from csos.templatetags.ui import money, short_date

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


@register.filter
def stage_label(value: str) -> str:
    return STAGE_LABELS.get(value, value)


@register.filter
def segment_label(value: str) -> str:
    return SEGMENT_LABELS.get(value, value)


STATUS_BADGES = {
    AccountStatus.CHURNED: '<span class="badge bad">Churned</span>',
    AccountStatus.ACTIVE: '<span class="badge good">Active</span>',
}


@register.simple_tag
def portfolio_rows(
    rows: Iterable[dict], *, columns: list[PortfolioColumn], today: date, url_prefix: str
) -> SafeString:
    """The portfolio table's rows (``accounts.selectors.portfolio_rows``). They are the page's
    hot path: built as template nodes, fifty rows of ten cells cost several times the query
    behind them, so each row is one string with every value from the database escaped."""
    labels = [(column, dict(column.choices)) for column in columns]
    return mark_safe("\n".join(_portfolio_row(row, labels, today, url_prefix) for row in rows))


def _column_cell(row: dict, column: PortfolioColumn, choices: dict) -> str:
    label = escape(str(choices.get(row[column.key], "—")))
    if column.detail is None or not (detail := column.detail_text(row[column.detail_key])):
        return f"<td>{label}</td>"
    return f'<td>{label} <span class="muted">{escape(detail)}</span></td>'


def _portfolio_row(row: dict, labels, today: date, url_prefix: str) -> str:
    extra_cells = "".join(_column_cell(row, column, choices) for column, choices in labels)
    renewal_date = row["renewal_date"]
    if renewal_date is None:
        renewal = "—"
    else:
        badge = renewal_badge(renewal_date, today)
        renewal = f'<span class="badge {badge}">{short_date(renewal_date)}</span>'
    owner = owner_name(row["owner__first_name"], row["owner__last_name"], row["owner__email"])
    return (
        f'<tr><td><a href="{url_prefix}{row["id"]}/">{escape(row["name"])}</a>'
        f'<div class="muted">{escape(row["external_id"])}</div></td>'
        f"<td>{escape(owner) or '—'}</td>"
        f'<td class="num">{money(row["arr"])} '
        f'<span class="muted">{escape(row["currency"])}</span></td>'
        f"<td>{renewal}</td><td>{escape(stage_label(row['lifecycle_stage']))}</td>"
        f"<td>{escape(segment_label(row['segment']))}</td>{extra_cells}"
        f"<td>{STATUS_BADGES[row['status']]}</td></tr>"
    )
