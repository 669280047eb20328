"""Seams through which higher apps add to pages the lower layers own.

An app above ``accounts`` registers panels for the account page and entries for the main
navigation from its ``AppConfig.ready()``; the owning page renders whatever is registered,
so no lower layer imports a higher one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    page: str
    key: str
    title: str
    template: str
    context: Callable[..., dict[str, Any]]  # (*, request, account) -> dict
    order: int = 100


@dataclass(frozen=True)
class NavEntry:
    section: str
    label: str
    url_name: str
    order: int = 100
    visible: Callable[[Any], bool] = lambda membership: True


@dataclass(frozen=True)
class PortfolioColumn:
    """A column a higher app adds to the portfolio: shown, sortable and filterable.

    ``key`` names the annotation, the sort parameter and the filter parameter; ``annotation``
    returns the expression computing it per account, inside the portfolio's one query.
    """

    key: str
    label: str
    annotation: Callable[[], Any]
    choices: list[tuple[Any, str]]
    order: int = 100


_panels: dict[tuple[str, str], Panel] = {}
_portfolio_columns: dict[str, PortfolioColumn] = {}
_nav_entries: dict[str, NavEntry] = {}


def register_panel(panel: Panel) -> None:
    """Add ``panel`` to its page; registering the same key again replaces it (ready() reruns)."""
    _panels[(panel.page, panel.key)] = panel


def register_nav_entry(entry: NavEntry) -> None:
    _nav_entries[entry.url_name] = entry


def register_portfolio_column(column: PortfolioColumn) -> None:
    _portfolio_columns[column.key] = column


def portfolio_columns() -> list[PortfolioColumn]:
    return sorted(_portfolio_columns.values(), key=lambda column: (column.order, column.key))


def panels_for(page: str) -> list[Panel]:
    return sorted(
        (panel for panel in _panels.values() if panel.page == page),
        key=lambda panel: (panel.order, panel.key),
    )


def rendered_panels(page: str, **context_args: Any) -> list[dict[str, Any]]:
    """Each panel of ``page`` with its context, in order, ready for ``{% include %}``."""
    return [
        {"panel": panel, "context": panel.context(**context_args)} for panel in panels_for(page)
    ]


def nav_entries(*, section: str, membership) -> list[NavEntry]:
    if membership is None:
        return []
    return sorted(
        (
            entry
            for entry in _nav_entries.values()
            if entry.section == section and entry.visible(membership)
        ),
        key=lambda entry: (entry.order, entry.label),
    )
