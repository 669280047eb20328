"""Reads that compose other apps' selectors into leader pages."""

from dataclasses import dataclass
from datetime import date

from accounts import selectors as account_selectors
from playbooks import selectors as playbook_selectors

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
