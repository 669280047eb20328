"""The data shape of the line charts pages draw (static/js/app.js reads it from a JSON script)."""

from collections.abc import Sequence


def line_chart(
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    value_format: str,
    unit: str | None = None,
    stepped: bool = False,
) -> dict:
    """A chart of one line per ``series`` entry over ``labels``; ``value_format`` is ``money``
    or ``percent``, and ``unit`` follows money amounts (a currency code)."""
    chart = {
        "labels": list(labels),
        "series": [{"label": name, "values": list(values)} for name, values in series.items()],
        "format": value_format,
        "stepped": stepped,
    }
    if unit:
        chart["unit"] = unit
    return chart


def bar_chart(
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    value_format: str,
    unit: str | None = None,
    stacked: bool = False,
) -> dict:
    """Bars of each ``series`` entry over ``labels``, side by side or ``stacked``."""
    return {
        **line_chart(labels, series, value_format=value_format, unit=unit),
        "type": "bar",
        "stacked": stacked,
    }
