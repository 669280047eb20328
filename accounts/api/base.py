import django_filters
from django_filters.constants import EMPTY_VALUES
from rest_framework import serializers

from accounts.models import Account
from accounts.selectors.external_ids import account_ids_by_external_id
from accounts.services import account_can_edit
from csos.api.base import ScopedEditViewSet

ALIAS_HELP = (
    "The account's external_id, or an alias of it (an ID a second CRM gave the account, "
    "linked by a CSV import). An account's own external_id wins over another account's alias."
)


class AccountWorkViewSet(ScopedEditViewSet):
    """Endpoints writing to one customer account's records: a member writes only where the
    account page lets them (leaders and admins everywhere, a CSM on the accounts they own)."""

    def member_may_write(self, account: Account) -> bool:
        return account_can_edit(membership=self.membership, account=account)


class AccountExternalIdFilter(django_filters.CharFilter):
    """The rows of the account an external id names, its own or an alias of it, as the bulk
    endpoints read it (``accounts.selectors.external_ids``); ``account_field`` is the rows'
    account id."""

    def __init__(self, *, account_field: str = "account_id", **kwargs):
        kwargs.setdefault("help_text", ALIAS_HELP)
        super().__init__(**kwargs)
        self.account_field = account_field

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        account_id = account_ids_by_external_id([value]).get(value)
        return qs.none() if account_id is None else qs.filter(**{self.account_field: account_id})


class AccountRowFilter(django_filters.FilterSet):
    """Filters of rows that belong to a customer account: by the account's id or external_id.
    Subclasses add their own; the view's model is the filtered one."""

    account = django_filters.NumberFilter(field_name="account_id")
    account_external_id = AccountExternalIdFilter()


def account_reference_field() -> serializers.CharField:
    """A batch record's account, named as every bulk endpoint accepts it (see
    ``accounts.selectors.external_ids``)."""
    return serializers.CharField(max_length=100, help_text=ALIAS_HELP)
