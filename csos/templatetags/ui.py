"""Template helpers every page shares: sortable headers, amounts and dates.

They run once per table row, so they avoid Django's localized number and date formatting,
which looks up the active locale at every call.
"""

from datetime import date
from decimal import Decimal
from html import escape

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString, mark_safe

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
def month_day(value: date | None) -> str:
    """Jul 29."""
    if value is None:
        return "—"
    return f"{MONTHS[value.month - 1]} {value.day}"


@register.filter
def get_item(mapping: dict, key):
    """``mapping[key]`` in a template, or None when the key is absent."""
    return mapping.get(key)


@register.simple_tag
def filter_select(field: BoundField) -> SafeString:
    """A labelled select of a filter form's choice field, its current value selected.

    Built as one string rather than through the widget templates: a list page shows several,
    with dozens of options, on every request.
    """
    value = field.value()
    current = "" if value is None else str(value)
    options = "".join(
        f'<option value="{escape(str(choice))}"{" selected" if str(choice) == current else ""}>'
        f"{escape(str(label))}</option>"
        for choice, label in field.field.choices
    )
    name, label_for = escape(field.html_name), escape(field.id_for_label)
    return mark_safe(
        f'<div><label for="{label_for}">{escape(str(field.label))}</label>'
        f'<select name="{name}" id="{label_for}">{options}</select></div>'
    )
