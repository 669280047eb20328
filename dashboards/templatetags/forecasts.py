import math

from django import template

register = template.Library()


@register.filter
def percent_of_one(value, sign: str = "") -> str:
    """A ratio (1.0 is 100%) as a percentage to one decimal; "—" when there is none. With
    ``sign`` "+", a positive value is signed, for errors."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:{'+' if sign == '+' else ''}.1f}%"
