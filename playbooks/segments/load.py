"""Reads of allocation: each owner's load against capacity, the accounts without an owner or
not fitting theirs, and the rebalancing suggestion. Selectors; the CSM load page reads them."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd
from django.db.models import Count, FloatField, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, NullIf

from accounts.models import Account, AccountStatus, Motion
from accounts.selectors import OWNER_ROLES
from csos.models import Membership
from playbooks.segments import allocation
from playbooks.segments.selectors import converted_arr, segment_settings

LISTED = 50  # accounts the page lists per problem; the counts are of all of them
MOTION_LABELS = dict(Motion.choices)


@dataclass
class Book:
    """One owner's book: accounts, load points against capacity, ARR in the workspace's currency
    (``unconverted``: accounts whose currency has no rate), and accounts not fitting them."""

    membership: Membership
    capacity: Decimal
    motions: frozenset[str]
    accounts: int = 0
    load: Decimal = Decimal(0)
    arr: Decimal = Decimal(0)
    unconverted: int = 0
    misfits: int = 0

    @property
    def name(self) -> str:
        user = self.membership.user
        return user.get_full_name() or user.email

    @property
    def over(self) -> bool:
        return self.load > self.capacity

    @property
    def percent(self) -> int:
        return round(100 * self.load / self.capacity)

    @property
    def motion_labels(self) -> str:
        return ", ".join(MOTION_LABELS[m] for m in Motion.values if m in self.motions)


@dataclass
class Allocation:
    books: list[Book]
    unowned: int = 0
    unowned_arr: Decimal = Decimal(0)
    unowned_accounts: list[dict] = field(default_factory=list)
    misfit_accounts: list[dict] = field(default_factory=list)

    @property
    def misfits(self) -> int:
        return sum(book.misfits for book in self.books)

    @property
    def over_count(self) -> int:
        return sum(book.over for book in self.books)


def owner_books() -> dict[int, Book]:
    """Every member who can own accounts, with their capacity (theirs or the default) and
    allowed motions (theirs, or every motion); two queries."""
    settings = segment_settings()
    members = Membership.objects.filter(role__in=OWNER_ROLES).select_related("user", "capacity")
    books = {}
    for membership in members.order_by("user__first_name", "user__email"):
        own = getattr(membership, "capacity", None)
        books[membership.user_id] = Book(
            membership=membership,
            capacity=own.capacity if own else settings.default_capacity,
            motions=frozenset(own.motions) if own else frozenset(Motion.values),
        )
    return books


def _placed_motion(default: str):
    """Unplaced accounts weigh and fit as the default rule would place them."""
    return lambda motion: motion or default


def allocation_overview(*, today: date) -> Allocation:
    """Load against capacity per owner, the unowned and the misfits; five queries whatever the
    number of accounts."""
    settings = segment_settings()
    weights, placed = settings.weights, _placed_motion(settings.default_motion)
    books = owner_books()
    rows = (
        Account.objects.filter(status=AccountStatus.ACTIVE)
        .order_by()
        .annotate(arr_converted=converted_arr(on=today))
        .values("owner_id", "motion")
        .annotate(
            accounts=Count("id"),
            arr=Sum("arr_converted"),
            unconverted=Count("id", filter=Q(arr_converted__isnull=True)),
        )
    )
    overview = Allocation(books=list(books.values()))
    for row in rows:
        motion = placed(row["motion"])
        book = books.get(row["owner_id"])
        if book is None:
            overview.unowned += row["accounts"]
            overview.unowned_arr += row["arr"] or 0
            continue
        book.accounts += row["accounts"]
        book.load += weights[motion] * row["accounts"]
        book.arr += row["arr"] or 0
        book.unconverted += row["unconverted"]
        if motion not in book.motions:
            book.misfits += row["accounts"]
    active = Account.objects.filter(status=AccountStatus.ACTIVE).select_related("owner")
    overview.unowned_accounts = list(
        active.exclude(owner_id__in=list(books)).order_by("-arr", "pk")[:LISTED]
    )
    misfit = Q()
    for book in books.values():
        fits = book.motions | ({""} if settings.default_motion in book.motions else set())
        misfit |= Q(owner_id=book.membership.user_id) & ~Q(motion__in=fits)
    overview.misfit_accounts = (
        list(active.filter(misfit).order_by("-arr", "pk")[:LISTED]) if books else []
    )
    return overview


def rebalancing_suggestion(*, today: date) -> allocation.Rebalancing:
    """The fewest moves that bring every owner within capacity (see ``allocation``)."""
    settings = segment_settings()
    books = owner_books()
    # Unplaced accounts get the default motion and every figure arrives as a float from the
    # database: no per-row Python on a book of tens of thousands of accounts.
    rows = (
        Account.objects.filter(status=AccountStatus.ACTIVE)
        .annotate(
            placed=Coalesce(NullIf("motion", Value("")), Value(settings.default_motion)),
            arr_converted=Coalesce(Cast(converted_arr(on=today), FloatField()), 0.0),
        )
        .values_list("pk", "owner_id", "placed", "arr_converted")
    )
    frame = pd.DataFrame.from_records(
        list(rows),
        columns=[allocation.ACCOUNT_ID, allocation.OWNER_ID, allocation.MOTION, allocation.ARR],
    )
    load_of = {motion: float(weight) for motion, weight in settings.weights.items()}
    frame[allocation.WEIGHT] = frame[allocation.MOTION].map(load_of)
    csms = [
        allocation.Csm(user_id=user_id, capacity=float(book.capacity), motions=book.motions)
        for user_id, book in books.items()
    ]
    return allocation.rebalance(frame, csms)


@dataclass
class PlannedMove:
    account: Account
    from_name: str
    to_name: str
    token: str  # "account:from:to", as the apply form posts it


@dataclass
class Plan:
    """The rebalancing suggestion as the load page shows it, with each book's load after it."""

    feasible: bool
    reason: str
    moves: list[PlannedMove]
    load_after: dict[int, Decimal]


def rebalancing_plan(*, today: date, books: list[Book]) -> Plan:
    """``rebalancing_suggestion`` with the accounts it moves and each book's load after."""
    suggestion = rebalancing_suggestion(today=today)
    by_user = {book.membership.user_id: book for book in books}
    accounts = Account.objects.in_bulk([move.account_id for move in suggestion.moves])
    weights = segment_settings().weights
    default = segment_settings().default_motion
    load_after = {user_id: book.load for user_id, book in by_user.items()}
    moves = []
    for move in suggestion.moves:
        account = accounts[move.account_id]
        weight = weights[account.motion or default]
        if move.from_id in load_after:
            load_after[move.from_id] -= weight
        load_after[move.to_id] += weight
        moves.append(
            PlannedMove(
                account=account,
                from_name=by_user[move.from_id].name if move.from_id in by_user else "No owner",
                to_name=by_user[move.to_id].name,
                token=f"{move.account_id}:{account.owner_id or ''}:{move.to_id}",
            )
        )
    return Plan(
        feasible=suggestion.feasible, reason=suggestion.reason, moves=moves, load_after=load_after
    )
