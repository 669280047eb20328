import django_filters

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
