"""The leaders' count of value captured: renewals, expansions and advocacy in a period."""

import datetime as dt

from django import forms
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone

from accounts.selectors import capture_counts
from csos.decorators import member_required
from csos.models import LEADER_ROLES
from csos.widgets import DateInput

DEFAULT_DAYS = 90


class PeriodForm(forms.Form):
    start = forms.DateField(widget=DateInput, required=False)
    end = forms.DateField(widget=DateInput, required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end comes after the start.")
        return data


@member_required(roles=LEADER_ROLES)
def value_capture_counts(request):
    today = timezone.localdate()
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    start = form.cleaned_data["start"] or today - dt.timedelta(days=DEFAULT_DAYS)
    end = form.cleaned_data["end"] or today
    rows = capture_counts(start=start, end=end)
    return render(
        request,
        "dashboards/value_capture.html",
        {"rows": rows, "start": start, "end": end, "total": sum(row["count"] for row in rows)},
    )
