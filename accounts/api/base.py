import django_filters
from rest_framework import serializers

from accounts.models import Account
from accounts.services import account_can_edit
from csos.api.base import ScopedEditViewSet


class AccountWorkViewSet(ScopedEditViewSet):
    """Endpoints writing to one customer account's records: a member writes only where the
    account page lets them (leaders and admins everywhere, a CSM on the accounts they own)."""

    def member_may_write(self, account: Account) -> bool:
        return account_can_edit(membership=self.membership, account=account)


class AccountRowFilter(django_filters.FilterSet):
    """Filters of rows that belong to a customer account: by the account's id or external_id.
    Subclasses add their own; the view's model is the filtered one."""

    account = django_filters.NumberFilter(field_name="account_id")
    account_external_id = django_filters.CharFilter(field_name="account__external_id")


def account_reference_field() -> serializers.CharField:
    """A batch record's account, named as every bulk endpoint accepts it (see
    ``accounts.selectors.external_ids``)."""
    return serializers.CharField(
        max_length=100,
        help_text="The account's external_id, or an alias of it (an ID a second CRM gave the "
        "account, linked by a CSV import). An account's own external_id wins over another "
        "account's alias.",
    )
