"""Reads that compose other apps' selectors into leader pages."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q

from accounts import selectors as account_selectors
from csos import selectors as core_selectors
from csos.models import Membership


@dataclass
class CsmLoad:
    """One person's book: how many active accounts, their ARR per currency, near renewals."""

    membership: Membership | None
    accounts: int = 0
    renewing_90: int = 0
    arr_by_currency: dict[str, Decimal] = field(default_factory=dict)

    @property
    def name(self) -> str:
        if self.membership is None:
            return "Unassigned"
        user = self.membership.user
        return user.get_full_name() or user.email


def csm_load(*, today: date, book: Q | None = None) -> list[CsmLoad]:
    """Every account owner of the workspace (with or without accounts) and the unassigned
    accounts, largest book first; two queries whatever the size of the workspace. ``book``
    (``accounts.selectors.book_filter``) narrows the accounts counted."""
    owners = [
        m for m in core_selectors.membership_list() if m.role in account_selectors.OWNER_ROLES
    ]
    loads = {m.user_id: CsmLoad(membership=m) for m in owners}
    for row in account_selectors.csm_books(today=today, book=book):
        load = loads.get(row["owner_id"])
        if load is None:
            load = loads.setdefault(row["owner_id"], CsmLoad(membership=None))
        load.accounts += row["accounts"]
        load.renewing_90 += row["renewing_90"]
        load.arr_by_currency[row["currency"]] = row["arr"]
    return sorted(loads.values(), key=lambda load: (-load.accounts, load.name))
