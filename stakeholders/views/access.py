"""Lookups every page shares: through the scoped manager, checked for the right to write."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from accounts.models import Account
from accounts.services import account_can_edit


def account_for_reading(request, account_id: int) -> Account:
    return get_object_or_404(Account.objects.select_related("owner"), pk=account_id)


def account_for_work(request, account_id: int) -> Account:
    account = account_for_reading(request, account_id)
    check_can_work(request, account)
    return account


def check_can_work(request, account: Account) -> None:
    if not account_can_edit(membership=request.membership, account=account):
        raise PermissionDenied


def can_work(request, account: Account) -> bool:
    return account_can_edit(membership=request.membership, account=account)


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"
