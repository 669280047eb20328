"""The leader pages' filters, read from the URL so a view can be shared and bookmarked."""

import calendar
from dataclasses import dataclass
from datetime import date

from django import forms
from django.db.models import Q

from accounts import selectors as account_selectors
from accounts.selectors import book_filter, csm_options
from accounts.selectors import retention as retention_selectors

QUARTERS_OFFERED = 8


TRAILING_YEAR = "year"


@dataclass(frozen=True)
class Filters:
    """Whose accounts a leader page covers, and which period its retention, renewals and
    trends close on: ``period`` is a quarter's last day or ``TRAILING_YEAR``."""

    segment: str | None
    owner_id: int | None
    period: str
    today: date

    def book(self, *, via: str = "") -> Q:
        return book_filter(segment=self.segment, owner_id=self.owner_id, via=via)

    @property
    def is_trailing_year(self) -> bool:
        return self.period == TRAILING_YEAR

    @property
    def end(self) -> date:
        """The period's last day, or today while it runs: the day the page is seen as of."""
        if self.is_trailing_year:
            return self.today
        return min(date.fromisoformat(self.period), self.today)

    @property
    def start(self) -> date:
        if self.is_trailing_year:
            return retention_selectors.trailing_year_start(self.today)
        quarter_end = date.fromisoformat(self.period)
        return quarter_end.replace(day=1, month=quarter_end.month - 2)

    @property
    def label(self) -> str:
        if self.is_trailing_year:
            return "Trailing year"
        return retention_selectors.quarter_label(date.fromisoformat(self.period))


def current_quarter_end(today: date) -> date:
    month = (today.month - 1) // 3 * 3 + 3
    return date(today.year, month, calendar.monthrange(today.year, month)[1])


class BookFilterForm(forms.Form):
    """Whose accounts a leader page covers; its period is the current quarter. The filters of a
    page that looks ahead from today (the renewal forecast), where a past period means nothing."""

    segment = forms.ChoiceField(
        choices=[("", "All segments"), *account_selectors.Segment.choices],
        required=False,
        label="Segment",
    )
    csm = forms.TypedChoiceField(label="CSM", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        owners = csm_options()
        self.fields["csm"].choices = [("", "All CSMs"), *owners.choices]
        self.owner_names = owners.names
        self.default_period = current_quarter_end(today).isoformat()

    def filters(self) -> Filters:
        """The cleaned filters; a field that did not validate falls back to its default (all
        segments, all CSMs, the current quarter) and the form keeps its error to show."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return Filters(
            segment=data.get("segment") or None,
            owner_id=data.get("csm"),
            period=data.get("period") or self.default_period,
            today=self.today,
        )

    def book_name(self) -> str:
        filters = self.filters()
        parts = []
        if filters.owner_id is not None:
            parts.append(f"{self.owner_names.get(str(filters.owner_id), 'the chosen CSM')}'s")
        if filters.segment:
            parts.append(dict(account_selectors.Segment.choices)[filters.segment])
        return " ".join([*parts, "accounts"]) if parts else "All accounts"


class CockpitFilterForm(BookFilterForm):
    """Whose accounts, and the period the cockpit's retention, renewals and trends close on."""

    period = forms.ChoiceField(
        label="Period",
        required=False,
        help_text="Retention, renewals and the health trend close on its last day.",
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, today=today, **kwargs)
        current = current_quarter_end(today)
        ends = retention_selectors.quarter_ends(current, count=QUARTERS_OFFERED)[::-1]
        self.fields["period"].choices = [
            (current.isoformat(), f"{retention_selectors.quarter_label(current)}, to date"),
            (TRAILING_YEAR, "Trailing year"),
            *((end.isoformat(), retention_selectors.quarter_label(end)) for end in ends[1:]),
        ]
