from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.filters import PortfolioFilter
from accounts.forms import AccountCreateForm, AccountForm, ArrMovementForm, RetentionForm
from accounts.models import Account, ArrMovement
from accounts.retention import percent
from accounts.selectors import ledger as ledger_selectors
from accounts.selectors import retention as retention_selectors
from csos.decorators import member_required
from csos.exports import csv_download
from csos.models import LEADER_ROLES, Role
from csos.pagination import KeysFirstPaginator
from csos.panels import page_panels, portfolio_columns

PORTFOLIO_PAGE_SIZE = 50
SORTABLE_COLUMNS = [
    ("name", "Account"),
    ("owner", "CSM"),
    ("arr", "ARR"),
    ("renewal_date", "Renewal"),
    ("lifecycle_stage", "Stage"),
    ("segment", "Segment"),
]


def _own_book_query(request) -> QueryDict:
    """A CSM lands on their own book; everyone can widen it with the CSM filter."""
    query = request.GET.copy()
    if "owner" not in query and request.membership.role == Role.CSM:
        query["owner"] = str(request.user.pk)
    return query


def _filter_errors(form) -> HttpResponseBadRequest:
    """A refused export names each field whose value was not understood."""
    problems = "; ".join(
        f"{form[name].label if name in form.fields else 'Filters'}: {' '.join(errors)}"
        for name, errors in form.errors.items()
    )
    return HttpResponseBadRequest(
        f"Nothing was exported. {problems}", content_type="text/plain; charset=utf-8"
    )


def _export_filename(request, table: str) -> str:
    return f"{request.workspace.slug}-{table}-{timezone.localdate().isoformat()}.csv"


@member_required
def portfolio(request):
    today = timezone.localdate()
    query = _own_book_query(request)
    portfolio_filter = PortfolioFilter(query, queryset=selectors.portfolio_accounts())
    accounts = portfolio_filter.qs
    summary = selectors.portfolio_summary(accounts=accounts, today=today)
    paginator = KeysFirstPaginator(
        accounts, PORTFOLIO_PAGE_SIZE, page_rows=selectors.portfolio_rows
    )
    paginator.count = summary["count"]  # the summary has counted already: spare a COUNT query
    page = paginator.get_page(request.GET.get("page"))
    paging_query = query.copy()
    paging_query.pop("page", None)
    sort_query = paging_query.copy()
    sort_query.pop("sort", None)
    return render(
        request,
        "accounts/portfolio.html",
        {
            "filter": portfolio_filter,
            "page": page,
            "summary": summary,
            "paging_query": paging_query.urlencode(),
            "sort_query": sort_query.urlencode(),
            "current_sort": query.get("sort", "name"),
            "columns": SORTABLE_COLUMNS + [(c.key, c.label) for c in portfolio_columns()],
            "extra_columns": portfolio_columns(),
            "column_filters": [portfolio_filter.form[c.key] for c in portfolio_columns()],
            "can_create": request.membership.sees_all_portfolios,
            "today": today,
            # Rows link as prefix + id: reversing the URL fifty times costs more than the query.
            "account_url_prefix": reverse("account_detail", args=[0]).removesuffix("0/"),
            "export_query": paging_query.urlencode(),
            "panels": page_panels(page="portfolio", request=request),
        },
    )


PORTFOLIO_EXPORT_HEADERS = (
    "Account",
    "External id",
    "CSM",
    "CSM e-mail",
    "ARR",
    "Currency",
    "Renewal date",
    "Stage",
    "Segment",
    "Status",
)


@member_required
def portfolio_export(request):
    """Every account the portfolio page shows for the same filters and sort, as CSV."""
    portfolio_filter = PortfolioFilter(
        _own_book_query(request), queryset=selectors.portfolio_accounts()
    )
    if not portfolio_filter.is_valid():
        return _filter_errors(portfolio_filter.form)
    return csv_download(
        filename=_export_filename(request, "portfolio"),
        headers=(*PORTFOLIO_EXPORT_HEADERS, *selectors.portfolio_export_column_headers()),
        rows=selectors.portfolio_export_rows(accounts=portfolio_filter.qs),
    )


def _editable_account(request, account_id: int) -> Account:
    account = get_object_or_404(Account, pk=account_id)
    if not services.account_can_edit(membership=request.membership, account=account):
        raise PermissionDenied
    return account


def _account_page(request, account: Account, *, movement_form: ArrMovementForm | None, status=200):
    """The account page; ``movement_form`` is a posted ARR form to show again with its errors."""
    today = timezone.localdate()
    ledger = ledger_selectors.arr_ledger(account=account)
    if movement_form is None:
        movement_form = ArrMovementForm(
            initial=ledger_selectors.arr_movement_initial(
                account=account, movements=ledger, today=today
            )
        )
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "ledger": ledger,
            "arr_history": ledger_selectors.arr_history(account=account, ledger=ledger),
            "can_edit": services.account_can_edit(membership=request.membership, account=account),
            "movement_form": movement_form,
            "today": today,
            "panels": page_panels(page="account", request=request, obj=account),
        },
        status=status,
    )


@member_required
def account_detail(request, account_id: int):
    account = get_object_or_404(selectors.account_list(), pk=account_id)
    return _account_page(request, account, movement_form=None)


@member_required(roles=LEADER_ROLES)
def account_create(request):
    form = AccountCreateForm(
        request.POST or None, initial={"currency": request.workspace.default_currency}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        arr = data.pop("arr")
        try:
            account = services.account_create(
                workspace=request.workspace, by=request.user, arr=arr, data=data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{account.name} added.")
            return redirect("account_detail", account_id=account.pk)
    return render(
        request,
        "accounts/account_form.html",
        {"form": form, "title": "New account"},
        status=400 if form.errors else 200,
    )


@member_required
def account_edit(request, account_id: int):
    account = _editable_account(request, account_id)
    locked = services.account_fields_locked_for(membership=request.membership)
    form = AccountForm(request.POST or None, instance=account, locked_fields=locked)
    if request.method == "POST" and form.is_valid():
        editable = {name: value for name, value in form.cleaned_data.items() if name not in locked}
        try:
            services.account_update(account=account, membership=request.membership, data=editable)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{account.name} saved.")
            return redirect("account_detail", account_id=account.pk)
    return render(
        request,
        "accounts/account_form.html",
        {"form": form, "account": account, "title": f"Edit {account.name}"},
        status=400 if form.errors else 200,
    )


@member_required
@require_POST
def arr_movement_add(request, account_id: int):
    account = _editable_account(request, account_id)
    form = ArrMovementForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.arr_movement_record(
                account=account,
                by=request.user,
                kind=data["kind"],
                on=data["date"],
                amount=data["amount"],
                note=data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "ARR change recorded.")
            return redirect("account_detail", account_id=account.pk)
    return _account_page(request, account, movement_form=form, status=400)


def _retention_form(request) -> tuple[RetentionForm, dict]:
    """The page's choices and what to show: the defaults fill what the query leaves out, and
    stand in for the whole choice when it is invalid."""
    today = timezone.localdate()
    defaults = {
        **retention_selectors.retention_default_period(today=today),
        "owner": request.user.pk if request.membership.role == Role.CSM else None,
        "segment": None,
    }
    query = _own_book_query(request)
    for name in ("start", "end"):
        query.setdefault(name, defaults[name].isoformat())
    form = RetentionForm(query)
    return form, (form.cleaned_data if form.is_valid() else defaults)


def _retention_report(choice: dict) -> retention_selectors.RetentionReport:
    return retention_selectors.retention_report(
        start=choice["start"],
        end=choice["end"],
        owner_id=choice["owner"],
        segment=choice["segment"],
    )


@member_required
@require_POST
def arr_movement_reverse(request, account_id: int, movement_id: int):
    account = _editable_account(request, account_id)
    movement = get_object_or_404(ArrMovement, pk=movement_id, account=account)
    try:
        services.arr_movement_reverse(movement=movement, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The {movement.get_kind_display().lower()} was reversed.")
    return redirect("account_detail", account_id=account.pk)


@member_required
def retention(request):
    """NRR and GRR of a book over a period, by CSM and by segment, with the quarterly trend."""
    form, choice = _retention_form(request)
    return render(
        request,
        "accounts/retention.html",
        {
            "form": form,
            "choice": choice,
            "book": form.book_name(choice),
            "report": _retention_report(choice),
            "export_query": form.data.urlencode(),
        },
        status=400 if form.errors else 200,
    )


def _percent_cell(ratio: float | None) -> float | str:
    return "" if ratio is None else percent(ratio)


RETENTION_EXPORT_HEADERS = {
    "csm": ("CSM", "Currency"),
    "segment": ("Segment", "Currency"),
}
RATES_HEADERS = ("Starting ARR", "Expansion", "Contraction", "Churn", "NRR %", "GRR %")


@member_required
def retention_export(request, table: str):
    """One of the retention page's tables, for the same period and book, as CSV."""
    form, choice = _retention_form(request)
    if form.errors:
        return _filter_errors(form)
    report = _retention_report(choice)
    if table == "trend":
        headers = ("Currency", "Quarter", "NRR %", "GRR %")
        rows = [
            (
                currency["currency"],
                quarter["label"],
                "" if quarter["nrr"] is None else quarter["nrr"],
                "" if quarter["grr"] is None else quarter["grr"],
            )
            for currency in report.trend
            for quarter in currency["quarters"]
        ]
    else:
        headers = (*RETENTION_EXPORT_HEADERS[table], *RATES_HEADERS)
        rows = [
            (
                row.label,
                row.currency,
                row.rates.starting_arr,
                row.rates.expansion,
                row.rates.contraction,
                row.rates.churn,
                _percent_cell(row.rates.nrr),
                _percent_cell(row.rates.grr),
            )
            for row in (report.by_csm if table == "csm" else report.by_segment)
        ]
    return csv_download(
        filename=_export_filename(request, f"retention-{table}"), headers=headers, rows=rows
    )
