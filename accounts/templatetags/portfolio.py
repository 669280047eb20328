"""Filters for account tables: renewal urgency and the labels of stages and segments."""

from collections.abc import Iterable
from datetime import date

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from accounts.models import Account, AccountStatus, LifecycleStage, Segment
from csos.panels import PortfolioColumn
from csos.templatetags.people import person
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


STAGE_LABELS = dict(LifecycleStage.choices)
SEGMENT_LABELS = dict(Segment.choices)


@register.filter
def stage_label(value: str) -> str:
    return STAGE_LABELS.get(value, value)


@register.filter
def segment_label(value: str) -> str:
    return SEGMENT_LABELS.get(value, value)


PORTFOLIO_ROW = (
    '<tr><td><a href="{}{}/">{}</a><div class="muted">{}</div></td><td>{}</td>'
    '<td class="num">{} <span class="muted">{}</span></td><td>{}</td><td>{}</td><td>{}</td>'
    "{}<td>{}</td></tr>"
)
STATUS_BADGES = {
    AccountStatus.CHURNED: mark_safe('<span class="badge bad">Churned</span>'),
    AccountStatus.ACTIVE: mark_safe('<span class="badge good">Active</span>'),
}


@register.simple_tag
def portfolio_rows(
    accounts: Iterable[Account], *, columns: list[PortfolioColumn], today: date, url_prefix: str
) -> SafeString:
    """The portfolio table's rows. They are the page's hot path: built as template nodes,
    fifty rows of ten cells cost several times the query behind them."""
    labels = [(column.key, dict(column.choices)) for column in columns]
    return format_html_join(
        "\n",
        PORTFOLIO_ROW,
        (
            (
                url_prefix,
                account.pk,
                account.name,
                account.external_id,
                person(account.owner),
                money(account.arr),
                account.currency,
                _renewal_cell(account.renewal_date, today),
                stage_label(account.lifecycle_stage),
                segment_label(account.segment),
                format_html_join(
                    "",
                    "<td>{}</td>",
                    ((choices.get(getattr(account, key), "—"),) for key, choices in labels),
                ),
                STATUS_BADGES[account.status],
            )
            for account in accounts
        ),
    )


def _renewal_cell(renewal: date | None, today: date) -> SafeString:
    if renewal is None:
        return mark_safe("—")
    return format_html(
        '<span class="badge {}">{}</span>', renewal_badge(renewal, today), short_date(renewal)
    )
