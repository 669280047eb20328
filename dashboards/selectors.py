"""Reads that compose other apps' selectors into leader pages."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q

from accounts import selectors as account_selectors
from csos import selectors as core_selectors
from csos.models import Membership
from playbooks import selectors as playbook_selectors


@dataclass
class BookLoad:
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


def book_loads(*, today: date, book: Q | None = None) -> list[BookLoad]:
    """Every account owner of the workspace (with or without accounts) and the unassigned
    accounts, largest book first; two queries whatever the size of the workspace. ``book``
    (``accounts.selectors.book_filter``) narrows the accounts counted."""
    owners = [
        m for m in core_selectors.membership_list() if m.role in account_selectors.OWNER_ROLES
    ]
    loads = {m.user_id: BookLoad(membership=m) for m in owners}
    for row in account_selectors.csm_books(today=today, book=book):
        load = loads.get(row["owner_id"])
        if load is None:
            load = loads.setdefault(row["owner_id"], BookLoad(membership=None))
        load.accounts += row["accounts"]
        load.renewing_90 += row["renewing_90"]
        load.arr_by_currency[row["currency"]] = row["arr"]
    return sorted(loads.values(), key=lambda load: (-load.accounts, load.name))


LOAD_SORTS = {
    "name": lambda book: book.name.lower(),
    "accounts": lambda book: book.accounts,
    "load": lambda book: book.load,
    "percent": lambda book: book.load / book.capacity,
    "arr": lambda book: book.arr,
    "misfits": lambda book: book.misfits,
}


@dataclass
class CsmLoad:
    """The CSM load page: every owner's book against capacity, renewals near, the accounts
    without an owner or not fitting theirs, and on request a rebalancing plan."""

    overview: object
    renewing_90: dict[int | None, int]
    plan: object | None


def csm_load(*, today: date, sort: str, over_only: bool, suggest: bool) -> CsmLoad:
    """A fixed number of queries whatever the number of accounts (more with ``suggest``)."""
    overview = playbook_selectors.allocation_overview(today=today)
    key = LOAD_SORTS.get(sort.removeprefix("-"), LOAD_SORTS["percent"])
    overview.books.sort(key=key, reverse=sort.startswith("-") or sort not in LOAD_SORTS)
    plan = (
        playbook_selectors.rebalancing_plan(today=today, books=overview.books) if suggest else None
    )
    if over_only:
        overview.books = [book for book in overview.books if book.over]
    renewing: dict[int | None, int] = {}
    for row in account_selectors.csm_books(today=today):
        renewing[row["owner_id"]] = renewing.get(row["owner_id"], 0) + row["renewing_90"]
    return CsmLoad(overview=overview, renewing_90=renewing, plan=plan)
