"""The accounts behind each cockpit figure: the same selectors the figure counts, so the list
holds exactly the accounts the figure counted."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.db.models import Q, QuerySet

from accounts import selectors as account_selectors
from accounts.selectors import hierarchy as hierarchy_selectors
from accounts.selectors import retention as retention_selectors
from dashboards.figures import BAND_LABELS
from dashboards.forms import Filters
from dashboards.risk import AT_RISK, renewals_in_window, renewals_title
from health import selectors as health_selectors
from health.selectors import leaders as health_leaders
from playbooks import selectors as playbook_selectors
from stakeholders import selectors as stakeholder_selectors
from value import selectors as value_selectors
from value.selectors import coverage as coverage_selectors

FIGURES = ("coverage", "band", "renewals", "retention", "theatre", "load", "group")
LEVEL_NAMES = dict(value_selectors.LEVEL_CHOICES)


class DrillForm(forms.Form):
    """Which figure, and the cell of it: each field named as the cockpit's links name it."""

    figure = forms.ChoiceField(choices=[(f, f) for f in FIGURES])
    by = forms.ChoiceField(choices=[("segment", "segment"), ("csm", "csm")], required=False)
    group = forms.CharField(required=False, max_length=40)
    level = forms.TypedChoiceField(
        choices=value_selectors.LEVEL_CHOICES, coerce=int, required=False, empty_value=None
    )
    at_least = forms.BooleanField(required=False)
    band = forms.ChoiceField(choices=[("", "any"), *health_selectors.Band.choices], required=False)
    week = forms.DateField(required=False)
    quarter = forms.DateField(required=False)
    proven = forms.BooleanField(required=False)
    risk = forms.BooleanField(required=False)
    start = forms.DateField(required=False)
    kind = forms.ChoiceField(
        choices=[("measurement", "measurement"), ("relationship", "relationship")], required=False
    )
    owner = forms.CharField(required=False, max_length=20)
    top = forms.IntegerField(required=False, min_value=1)
    currency = forms.CharField(
        required=False, max_length=200, help_text="One currency code, or several with commas."
    )

    NEEDS = {
        "band": ("band", "week"),
        "retention": ("start",),
        "theatre": ("kind",),
        "group": ("top",),
    }

    def clean(self):
        cleaned = super().clean()
        for name in self.NEEDS.get(cleaned.get("figure"), ()):
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, "This figure needs it.")
        if cleaned.get("figure") == "coverage" and cleaned.get("group"):
            group = cleaned["group"]
            valid = (
                group == value_selectors.UNASSIGNED
                or (cleaned.get("by") == "segment" and group in account_selectors.Segment.values)
                or (cleaned.get("by") == "csm" and group.isdigit())
            )
            if not valid:
                self.add_error("group", f"{group!r} is not a {cleaned.get('by') or 'segment'}.")
        if cleaned.get("figure") == "load":
            owner = cleaned.get("owner") or ""
            if owner != value_selectors.UNASSIGNED and not owner.isdigit():
                self.add_error("owner", "Choose a CSM by id, or none for the unassigned accounts.")
        return cleaned


def drill(*, filters: Filters, cell: dict) -> tuple[str, QuerySet]:
    """The title and the accounts behind one figure, ``cell`` being ``DrillForm``'s data."""
    figure = cell["figure"]
    if figure == "coverage":
        level = cell.get("level")
        accounts = coverage_selectors.coverage_accounts(
            level=level,
            at_least=bool(cell.get("at_least")),
            by=cell.get("by") or "segment",
            group=cell.get("group") or "",
            as_of=filters.today,
            book=filters.book(),
        )
        title = "Active accounts"
        if level is not None:
            title += f" at {'least ' if cell.get('at_least') else ''}{LEVEL_NAMES[level]}"
        return title, account_selectors.account_list().filter(pk__in=accounts.values("pk"))
    if figure == "band":
        week: date = cell["week"]
        title = f"Accounts {BAND_LABELS[cell['band']]} in the week of {week:%d %b %Y}"
        return title, account_selectors.account_list().filter(
            filters.book(), health_leaders.band_accounts(week=week, band=cell["band"])
        )
    if figure == "renewals":
        return _renewals(filters, cell)
    if figure == "retention":
        start = cell["start"]
        accounts = retention_selectors.retention_book_accounts(start=start, book=filters.book())
        title = f"Accounts with ARR when the period opened on {start:%d %b %Y}"
        return title, account_selectors.account_list().filter(pk__in=accounts.values("pk"))
    if figure == "theatre":
        active = account_selectors.account_list().filter(
            filters.book(), status=account_selectors.AccountStatus.ACTIVE
        )
        if cell["kind"] == "relationship":
            flagged = stakeholder_selectors.relationship_theatre_accounts(
                today=filters.today, book=filters.book()
            )
            return "Relationship theatre", active.filter(pk__in=flagged.values("pk"))
        week = health_leaders.latest_week(today=filters.end)
        if week is None:
            return "Measurement theatre", active.none()
        return "Measurement theatre", active.filter(
            health_leaders.measurement_theatre_accounts(week=week)
        )
    if figure == "group":
        top = account_selectors.account_list().filter(pk=cell["top"]).first()
        if top is None:
            return "Accounts of the group", account_selectors.account_list().none()
        below = account_selectors.account_list().filter(
            hierarchy_selectors.descendants_filter(account=top)
        )
        if cell.get("currency"):
            below = below.filter(currency__in=cell["currency"].split(","))
        return f"Accounts below {top.name}", below
    owner = cell["owner"]
    owned = Q(owner__isnull=True) if owner == value_selectors.UNASSIGNED else Q(owner_id=owner)
    return "Active accounts of the CSM", account_selectors.account_list().filter(
        filters.book(), owned, status=account_selectors.AccountStatus.ACTIVE
    )


def _renewals(filters: Filters, cell: dict) -> tuple[str, QuerySet]:
    accounts = renewals_in_window(filters)
    title = renewals_title(filters)
    if cell.get("quarter"):
        quarter = cell["quarter"]
        following = (quarter.replace(day=28) + timedelta(days=70)).replace(day=1)
        accounts = accounts.filter(renewal_date__gte=quarter, renewal_date__lt=following)
    if cell.get("band") == health_selectors.Band.INSUFFICIENT:
        accounts = accounts.filter(
            Q(band=health_selectors.Band.INSUFFICIENT) | Q(band__isnull=True)
        )
    elif cell.get("band"):
        accounts = accounts.filter(band=cell["band"])
    if cell.get("proven"):
        accounts = accounts.filter(highest_level__gte=value_selectors.Level.USE_CASE_VALUE)
        title += ", proven use-case value or ROI"
    if cell.get("risk"):
        accounts = accounts.filter(AT_RISK)
        title += ", with open risks"
    return title, account_selectors.account_list().filter(pk__in=accounts.values("pk"))


SORTS = {
    "name": ("name", "id"),
    "-arr": ("-arr", "name", "id"),
    "arr": ("arr", "name", "id"),
    "renewal": ("renewal_date", "name", "id"),
    "-renewal": ("-renewal_date", "name", "id"),
}


def drill_rows(accounts: QuerySet, *, sort: str) -> QuerySet:
    """The accounts as the drill page lists them: owner, band, highest level, open risks."""
    return (
        accounts.select_related("owner")
        .annotate(
            band=health_selectors.latest_band_subquery(),
            highest_level=value_selectors.highest_level_subquery(),
            risk_tasks=playbook_selectors.open_risk_tasks_subquery(),
            disputed=value_selectors.disputed_claims_subquery(),
        )
        .order_by(*SORTS.get(sort, SORTS["name"]))
    )
