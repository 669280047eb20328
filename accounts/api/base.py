from accounts.models import Account
from accounts.services import account_can_edit
from csos.api.base import ScopedEditViewSet


class AccountWorkViewSet(ScopedEditViewSet):
    """Endpoints writing to one customer account's records: a member writes only where the
    account page lets them (leaders and admins everywhere, a CSM on the accounts they own)."""

    def member_may_write(self, account: Account) -> bool:
        return account_can_edit(membership=self.membership, account=account)
