from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.filters import PortfolioFilter
from accounts.forms import AccountCreateForm, AccountForm, ArrMovementForm, RetentionPeriodForm
from accounts.models import Account
from csos.decorators import member_required
from csos.models import Role
from csos.panels import portfolio_columns, rendered_panels

PORTFOLIO_PAGE_SIZE = 50
SORTABLE_COLUMNS = [
    ("name", "Account"),
    ("owner", "CSM"),
    ("arr", "ARR"),
    ("renewal_date", "Renewal"),
    ("lifecycle_stage", "Stage"),
    ("segment", "Segment"),
]


def _portfolio_query(request) -> QueryDict:
    """A CSM lands on their own book; everyone can widen it with the CSM filter."""
    query = request.GET.copy()
    if "owner" not in query and request.membership.role == Role.CSM:
        query["owner"] = str(request.user.pk)
    return query


@member_required
def portfolio(request):
    today = timezone.localdate()
    query = _portfolio_query(request)
    portfolio_filter = PortfolioFilter(query, queryset=selectors.portfolio_accounts())
    accounts = portfolio_filter.qs
    summary = selectors.portfolio_summary(accounts=accounts, today=today)
    paginator = Paginator(accounts, PORTFOLIO_PAGE_SIZE)
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
            "can_create": request.membership.sees_all_portfolios,
            "today": today,
            # Rows link as prefix + id: reversing the URL fifty times costs more than the query.
            "account_url_prefix": reverse("account_detail", args=[0]).removesuffix("0/"),
        },
    )


def _editable_account(request, account_id: int) -> Account:
    account = get_object_or_404(Account, pk=account_id)
    if not services.account_can_edit(membership=request.membership, account=account):
        raise PermissionDenied
    return account


def _account_page(request, account: Account, *, movement_form: ArrMovementForm, status=200):
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "ledger": selectors.arr_ledger(account=account),
            "arr_history": selectors.arr_history(account=account),
            "can_edit": services.account_can_edit(membership=request.membership, account=account),
            "movement_form": movement_form,
            "today": timezone.localdate(),
            "panels": rendered_panels("account", request=request, account=account),
        },
        status=status,
    )


@member_required
def account_detail(request, account_id: int):
    account = get_object_or_404(selectors.account_list(), pk=account_id)
    form = ArrMovementForm(initial={"date": timezone.localdate()})
    return _account_page(request, account, movement_form=form)


@member_required(roles={Role.ADMIN, Role.LEADER})
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


@member_required
def retention(request):
    """NRR and GRR of the workspace for a chosen period, with the quarterly trend."""
    today = timezone.localdate()
    default = selectors.retention_default_period(today=today)
    form = RetentionPeriodForm(request.GET or None, initial=default)
    period = form.cleaned_data if form.is_valid() else default
    rates, trend = selectors.workspace_retention_report(start=period["start"], end=period["end"])
    return render(
        request,
        "accounts/retention.html",
        {"form": form, "period": period, "rates": rates, "trend": trend},
        status=400 if form.errors else 200,
    )
