from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone

from csos.decorators import member_required
from csos.exports import csv_download
from csos.models import LEADER_ROLES
from dashboards import cockpit as cockpit_selectors
from dashboards import drill as drill_selectors
from dashboards import forecasting, selectors
from dashboards.forms import BookFilterForm, CockpitFilterForm

DRILL_PAGE_SIZE = 50

LOAD_HEADERS = ["Owner", "Role", "Accounts", "Load", "Capacity", "Load %", "ARR", "Misfits"]


@member_required(roles=LEADER_ROLES)
def csm_load(request):
    sort = request.GET.get("sort", "-percent")
    over_only = request.GET.get("over") == "1"
    page = selectors.csm_load(
        today=timezone.localdate(),
        sort=sort if sort.removeprefix("-") in selectors.LOAD_SORTS else "-percent",
        over_only=over_only,
        suggest=request.GET.get("suggest") == "1",
    )
    if request.GET.get("format") == "csv":
        return csv_download(
            filename="csm-load.csv",
            headers=LOAD_HEADERS,
            rows=(
                (
                    book.name,
                    book.membership.get_role_display(),
                    book.accounts,
                    book.load,
                    book.capacity,
                    book.percent,
                    book.arr,
                    book.misfits,
                )
                for book in page.overview.books
            ),
        )
    return render(
        request,
        "dashboards/csm_load.html",
        {
            "page": page,
            "sort": sort,
            "over_only": over_only,
            "columns": [
                ("name", "Owner"),
                ("accounts", "Accounts"),
                ("load", "Load (points)"),
                ("percent", "Of capacity"),
                ("arr", f"ARR ({request.workspace.default_currency})"),
                ("misfits", "Not fitting"),
            ],
        },
    )


def _filter_form(request, form_class: type[BookFilterForm] = CockpitFilterForm) -> BookFilterForm:
    form = form_class(request.GET, today=timezone.localdate())
    form.is_valid()
    return form


@member_required(roles=LEADER_ROLES)
def cockpit(request):
    """What value customers proved, where revenue is at risk, and where the team's attention
    goes: the leader's one screen."""
    form = _filter_form(request)
    filters = form.filters()
    return render(
        request,
        "dashboards/cockpit.html",
        {
            "form": form,
            "book": form.book_name(),
            "filters": filters,
            "export_query": urlencode(cockpit_selectors.filter_params(filters)),
            **cockpit_selectors.cockpit(filters=filters),
        },
        status=400 if form.errors else 200,
    )


def _refused(form) -> HttpResponseBadRequest:
    """A refused request names each field whose value was not understood."""
    return HttpResponseBadRequest(
        "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()),
        content_type="text/plain",
    )


@member_required(roles=LEADER_ROLES)
def cockpit_export(request):
    """One cockpit table (``table``, its key), for the same filters, as CSV."""
    table = request.GET.get("table", "")
    form = _filter_form(request)
    if form.errors:
        return _refused(form)
    found = cockpit_selectors.cockpit_table(filters=form.filters(), key=table)
    if found is None:
        raise Http404("No such table.")
    return csv_download(
        filename=f"cockpit-{table}.csv", headers=list(found.headers), rows=found.csv_rows()
    )


def _drill(request):
    form = _filter_form(request)
    cell = drill_selectors.DrillForm(request.GET)
    if form.errors or not cell.is_valid():
        return form, cell, None, None
    title, accounts = drill_selectors.drill(filters=form.filters(), cell=cell.cleaned_data)
    return form, cell, title, drill_selectors.drill_rows(accounts, sort=request.GET.get("sort", ""))


@member_required(roles=LEADER_ROLES)
def cockpit_accounts(request):
    """Exactly the accounts behind one cockpit figure."""
    form, cell, title, accounts = _drill(request)
    if accounts is None:
        return _refused(form if form.errors else cell)
    page = Paginator(accounts, DRILL_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    unsorted = query.copy()
    unsorted.pop("sort", None)
    return render(
        request,
        "dashboards/cockpit_accounts.html",
        {
            "title": title,
            "book": form.book_name(),
            "page": page,
            "query": query.urlencode(),
            "unsorted": unsorted.urlencode(),
            "sort": request.GET.get("sort", "name"),
            "back": urlencode(cockpit_selectors.filter_params(form.filters())),
            "level_names": drill_selectors.LEVEL_NAMES,
        },
    )


DRILL_HEADERS = (
    "Account",
    "External id",
    "Segment",
    "CSM",
    "ARR",
    "Currency",
    "Renewal date",
    "Band",
    "Highest level",
    "Open risk tasks",
    "Disputed claims",
)


@member_required(roles=LEADER_ROLES)
def cockpit_accounts_export(request):
    form, cell, _title, accounts = _drill(request)
    if accounts is None:
        return _refused(form if form.errors else cell)
    rows = [
        (
            account.name,
            account.external_id,
            account.get_segment_display(),
            (account.owner.get_full_name() or account.owner.email) if account.owner else "",
            account.arr,
            account.currency,
            account.renewal_date.isoformat() if account.renewal_date else "",
            account.band or "",
            account.highest_level,
            account.risk_tasks,
            account.disputed,
        )
        for account in accounts
    ]
    return csv_download(filename="cockpit-accounts.csv", headers=DRILL_HEADERS, rows=rows)


@member_required(roles=LEADER_ROLES)
def renewal_forecast(request):
    """Expected renewing ARR per coming quarter, with its interval and its past errors."""
    form = _filter_form(request, BookFilterForm)
    return render(
        request,
        "dashboards/renewal_forecast.html",
        {
            "form": form,
            "book": form.book_name(),
            "export_query": urlencode(cockpit_selectors.filter_params(form.filters())),
            **forecasting.renewal_forecast(filters=form.filters()),
        },
        status=400 if form.errors else 200,
    )
