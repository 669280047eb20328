"""The value-proof coverage pages for leaders: by segment or CSM, drill-down and CSV."""

import csv

from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone

from csos.currencies import plain_decimal
from csos.decorators import member_required
from csos.models import LEADER_ROLES
from value import selectors
from value.forms import CoverageDrillDownForm
from value.selectors import coverage as coverage_selectors

COVERAGE_PAGE_SIZE = 50


def _coverage_by(request) -> str:
    by = request.GET.get("by", "segment")
    return by if by in coverage_selectors.COVERAGE_DIMENSIONS else "segment"


@member_required(roles=LEADER_ROLES)
def coverage(request):
    return render(
        request,
        "value/coverage.html",
        {
            "coverage": coverage_selectors.value_coverage(
                by=_coverage_by(request), as_of=timezone.localdate()
            )
        },
    )


def _drill_down(request):
    """The drill-down's form and accounts; junk parameters leave the form invalid."""
    form = CoverageDrillDownForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, coverage_selectors.coverage_accounts(
        **form.cleaned_data, as_of=timezone.localdate()
    )


@member_required(roles=LEADER_ROLES)
def coverage_accounts(request):
    form, accounts = _drill_down(request)
    if accounts is None:
        return HttpResponseBadRequest("Unknown coverage group or level.")
    page = Paginator(accounts, COVERAGE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "value/coverage_accounts.html",
        {
            "page": page,
            "level_name": dict(selectors.LEVEL_CHOICES).get(form.cleaned_data["level"]),
            "at_least": form.cleaned_data["at_least"],
            "by": form.cleaned_data["by"],
            "query": query.urlencode(),
            "currency": request.workspace.default_currency,
        },
    )


@member_required(roles=LEADER_ROLES)
def coverage_csv(request):
    _form, accounts = _drill_down(request)
    if accounts is None:
        return HttpResponseBadRequest("Unknown coverage group or level.")
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="value-coverage.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "external_id",
            "account",
            "segment",
            "csm",
            "arr",
            "currency",
            "rate",
            "converted_arr",
            "converted_currency",
            "level",
        ]
    )
    names = dict(selectors.LEVEL_CHOICES)
    converted_currency = request.workspace.default_currency
    for account in accounts.iterator(chunk_size=2_000):
        # Without a rate the ARR stays as booked and the converted cells stay empty.
        converted = account.converted_arr is not None
        writer.writerow(
            [
                account.external_id,
                account.name,
                account.get_segment_display(),
                account.owner.get_full_name() if account.owner else "",
                account.arr,
                account.currency,
                plain_decimal(account.rate) if converted else "",
                f"{account.converted_arr:.2f}" if converted else "",
                converted_currency if converted else "",
                names[account.highest_level],
            ]
        )
    return response
