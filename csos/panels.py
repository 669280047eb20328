"""Seams through which higher apps add to pages and navigation owned by lower ones.

The account page belongs to ``accounts``, but value, stakeholders and health lead it with their
own facts. Each such app registers a ``Panel`` from its ``AppConfig.ready()``; the page renders
every registered panel in its declared order, and never imports the app behind it. Navigation
entries work the same way, as NetBox plugins add template extensions and menu items.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, F, When
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse

from csos.models import Membership


def everyone(membership: Membership) -> bool:
    return True


@dataclass(frozen=True)
class Panel:
    """A section of a page, filled by one selector of the app that registers it.

    ``context(request=..., <page>=obj)`` (for the account page, ``context(request=...,
    account=...)``; ``context(request=...)`` on a page of no one object, like the portfolio)
    returns the template's context; it is the panel's only read of the database and runs a
    fixed number of queries, ``query_budget`` at most, however much data the page shows.
    ``visible`` decides per member whether the panel shows at all.
    """

    page: str
    key: str
    title: str
    template: str
    context: Callable[..., dict[str, Any]]
    order: int = 100
    query_budget: int = 5
    visible: Callable[[Membership], bool] = everyone


@dataclass(frozen=True)
class NavEntry:
    """A link in the sidebar, under ``section``; ``also_current`` names other URL names (its
    sub-pages) on which the entry shows as the current page."""

    section: str
    label: str
    url_name: str
    order: int = 100
    visible: Callable[[Membership], bool] = everyone
    also_current: tuple[str, ...] = ()


# Sections in the order the sidebar shows them; a section not listed here comes last.
NAV_SECTIONS = ("Customers", "Value", "Leaders", "Workspace", "Integrations")

_panels: dict[str, dict[str, Panel]] = {}
_nav_entries: dict[str, NavEntry] = {}


def register_panel(panel: Panel) -> None:
    """Add ``panel`` to its page; registering the same key again replaces it."""
    _panels.setdefault(panel.page, {})[panel.key] = panel


def unregister_panel(*, page: str, key: str) -> None:
    _panels.get(page, {}).pop(key, None)


def panels_for(page: str) -> list[Panel]:
    return sorted(_panels.get(page, {}).values(), key=lambda panel: (panel.order, panel.key))


def register_nav_entry(entry: NavEntry) -> None:
    _nav_entries[entry.url_name] = entry


def unregister_nav_entry(url_name: str) -> None:
    _nav_entries.pop(url_name, None)


@dataclass
class RenderedPanel:
    panel: Panel
    context: dict[str, Any] = field(default_factory=dict)


def page_panels(
    *, page: str, request: HttpRequest, obj: Any = None, obj_name: str | None = None
) -> list[RenderedPanel]:
    """The panels of ``page`` this member may see, each with the context its selector read;
    ``obj`` is the page's object, None on a page of no one object, passed to each panel's
    context as ``obj_name`` (by default the page's name: the account page's ``account``)."""
    about = {} if obj is None else {obj_name or page: obj}
    return [
        RenderedPanel(panel, panel.context(request=request, **about))
        for panel in panels_for(page)
        if panel.visible(request.membership)
    ]


@functools.lru_cache(maxsize=256)
def _entry_url(url_name: str, script_prefix: str, urlconf: str | None) -> str:
    """An entry's URL, reversed once per prefix and URL configuration: every page draws the
    whole sidebar."""
    return reverse(url_name)


def nav_sections(*, membership: Membership | None, current_url_name: str | None) -> list[dict]:
    """The sidebar for this member: sections in order, each with its visible entries."""
    if membership is None:
        return []
    sections: dict[str, list[dict]] = {}
    entries = sorted(_nav_entries.values(), key=lambda entry: (entry.order, entry.label))
    for entry in entries:
        if not entry.visible(membership):
            continue
        sections.setdefault(entry.section, []).append(
            {
                "label": entry.label,
                "url": _entry_url(entry.url_name, get_script_prefix(), get_urlconf()),
                "current": current_url_name in {entry.url_name, *entry.also_current},
            }
        )
    rank = {name: index for index, name in enumerate(NAV_SECTIONS)}
    return [
        {"name": name, "entries": sections[name]}
        for name in sorted(sections, key=lambda name: rank.get(name, len(rank)))
    ]


@dataclass(frozen=True)
class PortfolioColumn:
    """A column a higher app adds to the portfolio: shown, sortable and filterable.

    ``key`` names the annotation, the sort parameter and the filter parameter; ``annotation``
    returns the expression computing it per account inside the portfolio's one query, and
    ``choices`` are its values with their labels. ``detail``, when given, returns a second
    expression for the rows shown, whose value ``detail_text`` writes after the label (the
    health column's change since last week). ``sort_order``, when given, lists the values in
    the order an ascending sort shows them (bands by severity, not by name); values not in it
    and empty ones come after. The portfolio CSV writes the column's label and then each of
    ``exported``: further figures as a header and an annotation (the health score).
    """

    key: str
    label: str
    annotation: Callable[[], Any]
    choices: list[tuple[Any, str]]
    order: int = 100
    detail: Callable[[], Any] | None = None
    detail_text: Callable[[Any], str] = str
    sort_order: tuple[Any, ...] = ()
    exported: tuple[tuple[str, Callable[[], Any]], ...] = ()

    @property
    def detail_key(self) -> str:
        return f"{self.key}_detail"

    # Built once per column: Django copies an expression as it resolves it into a query, so
    # one instance serves every request, and each page is spared building the subqueries.
    @functools.cached_property
    def expression(self) -> Any:
        return self.annotation()

    @functools.cached_property
    def detail_expression(self) -> Any:
        return None if self.detail is None else self.detail()

    @functools.cached_property
    def export_expressions(self) -> dict[str, Any]:
        """The ``exported`` figures' annotations, by the name each takes in the export query."""
        return {f"{self.key}_export_{i}": make() for i, (_, make) in enumerate(self.exported)}

    @functools.cached_property
    def sort_expression(self) -> Any:
        """What sorting by this column orders by: its annotation, or its rank in
        ``sort_order``."""
        if not self.sort_order:
            return F(self.key)
        ranks = [When(**{self.key: value}, then=rank) for rank, value in enumerate(self.sort_order)]
        return Case(*ranks, default=len(self.sort_order))


_portfolio_columns: dict[str, PortfolioColumn] = {}


def register_portfolio_column(column: PortfolioColumn) -> None:
    _portfolio_columns[column.key] = column


def portfolio_columns() -> list[PortfolioColumn]:
    return sorted(_portfolio_columns.values(), key=lambda column: (column.order, column.key))
