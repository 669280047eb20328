"""The demo workspace: a realistic customer book built deterministically from a seed.

The build is a pipeline of steps (``DEMO_STEPS``). Each step takes the workspace, its own random
generator and the options, writes its rows in bulk and reads what earlier steps wrote from the
database, so a later step (usage data, stakeholders, evidence) is one more function in the list.
Every step gets a generator seeded from the seed and the step's name: adding a step never
changes the data of the others. Rebuilding replaces the demo's rows instead of adding to them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import (
    SEGMENTATION_ATTRIBUTES,
    Account,
    AccountStatus,
    ArrMovement,
    LifecycleStage,
    MovementKind,
    Segment,
)
from csos.models import Membership, Role, Workspace
from csos.tenancy import workspace_scope

DEMO_PASSWORD = "csos-demo-2026"
EXTERNAL_ID_PREFIX = "DEMO-"
MAX_ACCOUNTS = 999_999  # external ids have six digits, so they sort in creation order
BATCH_SIZE = 2_000
CHURN_SHARE = 0.05
# Share of accounts per segment; mid-market takes the remainder.
SEGMENT_SHARES = {Segment.SMALL: 0.6, Segment.ENTERPRISE: 0.1}


@dataclass(frozen=True)
class SegmentProfile:
    arr_range: tuple[int, int]
    seat_price_range: tuple[int, int]
    attribute_base: int  # centre of the 1-5 segmentation attributes


SEGMENT_PROFILES = {
    Segment.SMALL: SegmentProfile((5_000, 40_000), (300, 700), 2),
    Segment.MID_MARKET: SegmentProfile((40_000, 200_000), (250, 500), 3),
    Segment.ENTERPRISE: SegmentProfile((200_000, 1_500_000), (200, 400), 4),
}

FIRST_NAMES = (
    "Amara", "Ben", "Chiara", "Daniel", "Elif", "Farah", "Gabriel", "Hannah", "Ivan", "Jonas",
    "Keiko", "Lucas", "Maya", "Nikhil", "Olivia", "Pedro", "Quinn", "Rosa", "Samir", "Tessa",
    "Umar", "Vivian", "Wei", "Ximena", "Yusuf", "Zoe", "Ingrid", "Mateo", "Priya", "Tomás",
)  # fmt: skip
LAST_NAMES = (
    "Adeyemi", "Becker", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Haddad",
    "Ito", "Jansen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "O'Brien", "Petrov",
    "Rossi", "Schmidt", "Tanaka", "Novak", "Varga", "Walsh", "Yilmaz", "Zhang", "Okafor",
    "Mehta", "Santos", "Kim", "Larsen", "Hughes",
)  # fmt: skip
NAME_STARTS = (
    "Blue", "North", "Silver", "Bright", "Iron", "Red", "Granite", "Summit", "Cedar", "Harbor",
    "Oak", "Stone", "River", "Sun", "Clear", "Swift", "Green", "Star", "Frost", "Gold",
    "Maple", "Pine", "Storm", "True", "West", "East", "High", "Deep", "Crystal", "Copper",
    "Falcon", "Lake", "Moon", "Pioneer", "Quartz", "Rapid", "Sterling", "Vista", "Willow", "Zen",
)  # fmt: skip
NAME_ENDS = (
    "field", "stone", "wave", "point", "bridge", "gate", "leaf", "ridge", "crest", "line",
    "path", "works", "view", "port", "wood", "brook", "forge", "light", "mark", "haven",
    "peak", "shore", "vale", "wind", "spring", "dale", "ford", "hill", "rock", "well",
)  # fmt: skip
# Industries and the words companies in them put after their name.
INDUSTRIES = {
    "Software": ("Software", "Labs", "Systems", "Technologies"),
    "Financial services": ("Capital", "Financial", "Payments", "Partners"),
    "Healthcare": ("Health", "Medical", "Care", "Clinics"),
    "Manufacturing": ("Manufacturing", "Industries", "Components", "Engineering"),
    "Retail": ("Retail", "Stores", "Outfitters", "Market"),
    "Logistics": ("Logistics", "Freight", "Shipping", "Transport"),
    "Education": ("Learning", "Academy", "Education", "Institute"),
    "Media": ("Media", "Studios", "Publishing", "Broadcasting"),
    "Energy": ("Energy", "Power", "Renewables", "Utilities"),
    "Telecommunications": ("Telecom", "Networks", "Communications", "Connect"),
    "Professional services": ("Consulting", "Advisory", "Associates", "Group"),
    "Hospitality": ("Hotels", "Hospitality", "Resorts", "Travel"),
    "Insurance": ("Insurance", "Assurance", "Mutual", "Underwriters"),
    "Real estate": ("Properties", "Realty", "Estates", "Developments"),
    "Public sector": ("Services", "Authority", "Agency", "Council"),
}
INDUSTRY_NAMES = tuple(INDUSTRIES)
LEGAL_FORMS = ("", "", "", " Inc.", " Ltd", " GmbH", " LLC", " AG", " S.A.", " B.V.")


class ProgressBar(Protocol):
    def update(self, n: int = 1) -> object: ...
    def __enter__(self) -> ProgressBar: ...
    def __exit__(self, *exc_info: object) -> object: ...


# Called as progress(total=..., desc=...); tqdm fits, the command passes it.
Progress = Callable[..., ProgressBar]


class _SilentBar:
    def update(self, n: int = 1) -> None:
        pass

    def __enter__(self) -> _SilentBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


def no_progress(*, total: int, desc: str) -> ProgressBar:
    return _SilentBar()


@dataclass(frozen=True, kw_only=True)
class DemoOptions:
    """What to build. ``today`` anchors every date, so the same seed and day give the same data."""

    today: date
    seed: int = 42
    accounts: int = 600
    csms: int = 6
    slug: str = "demo"
    name: str = "Northwind Cloud"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    name: str


@dataclass(frozen=True)
class DemoResult:
    workspace: Workspace
    logins: list[DemoLogin]
    password: str
    accounts: int
    arr_movements: int


DemoStep = Callable[..., None]  # step(*, workspace, rng, options, progress) -> None


def demo_email(*, options: DemoOptions, local: str) -> str:
    return f"{local}@{options.slug}.csos.example"


def demo_people(*, options: DemoOptions) -> list[tuple[str, str]]:
    """The demo's users as (e-mail, role): one admin, one leader, the CSMs and one viewer."""
    locals_and_roles = [
        ("admin", Role.ADMIN),
        ("leader", Role.LEADER),
        *((f"csm{number}", Role.CSM) for number in range(1, options.csms + 1)),
        ("viewer", Role.VIEWER),
    ]
    return [(demo_email(options=options, local=local), role) for local, role in locals_and_roles]


def demo_external_id(index: int) -> str:
    return f"{EXTERNAL_ID_PREFIX}{index + 1:06d}"


def demo_people_upsert(
    *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
) -> None:
    """Users by e-mail with generated names and the demo password, and their memberships."""
    User = get_user_model()
    people = demo_people(options=options)
    # Hashing is deliberately slow: hash once and give every demo user the same hash.
    password_hash = make_password(DEMO_PASSWORD)
    full_names = rng.sample(
        [(first, last) for first in FIRST_NAMES for last in LAST_NAMES], len(people)
    )
    existing = {user.email: user for user in User.objects.filter(email__in=[e for e, _ in people])}
    users = []
    for (email, _), (first_name, last_name) in zip(people, full_names, strict=True):
        user = existing.get(email) or User(username=email, email=email)
        user.first_name, user.last_name, user.password = first_name, last_name, password_hash
        users.append(user)
    User.objects.bulk_create([user for user in users if user.pk is None])
    User.objects.bulk_update(
        [user for user in users if user.email in existing], ["first_name", "last_name", "password"]
    )
    for user, (_, role) in zip(users, people, strict=True):
        Membership.unscoped.update_or_create(
            workspace=workspace, user=user, defaults={"role": role}
        )


def demo_accounts_upsert(
    *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
) -> None:
    """The customer book, upserted by external id and dealt round-robin to the CSMs.

    Demo accounts beyond ``options.accounts`` (left by a bigger earlier build) are deleted.
    """
    owner_ids = _demo_csm_ids(workspace=workspace, options=options)
    count = options.accounts
    segments = _segment_quota(rng=rng, count=count)
    churned = set(rng.sample(range(count), round(count * CHURN_SHARE)))
    names = _CompanyNames(rng=rng)
    rows = [
        _account(
            workspace=workspace,
            rng=rng,
            today=options.today,
            index=index,
            segment=segments[index],
            churned=index in churned,
            owner_id=owner_ids[index % len(owner_ids)],
            names=names,
        )
        for index in range(count)
    ]
    update_fields = [
        "name", "owner", "arr", "currency", "contract_start", "renewal_date", "licensed_seats",
        "lifecycle_stage", "status", "segment", "industry", *SEGMENTATION_ATTRIBUTES, "updated_at",
    ]  # fmt: skip
    with progress(total=count, desc="accounts") as bar:
        for batch in _batches(rows):
            Account.unscoped.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["workspace", "external_id"],
                update_fields=update_fields,
            )
            bar.update(len(batch))
    Account.unscoped.filter(
        workspace=workspace,
        external_id__startswith=EXTERNAL_ID_PREFIX,
        external_id__gt=demo_external_id(count - 1),
    ).delete()


def demo_arr_ledger_rebuild(
    *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
) -> None:
    """Replace every demo account's ARR ledger with a history that ends at its current ARR."""
    accounts = Account.unscoped.filter(
        workspace=workspace, external_id__startswith=EXTERNAL_ID_PREFIX
    )
    # By account alone (they are this workspace's): with a workspace condition too, stale
    # planner statistics after a bulk load can turn the delete quadratic.
    ArrMovement.unscoped.filter(account__in=accounts).delete()
    rows = accounts.order_by("external_id").values_list(
        "id", "segment", "status", "arr", "contract_start", "licensed_seats"
    )
    movements = []
    for account_id, segment, status, arr, contract_start, seats in rows:
        if status == AccountStatus.CHURNED:
            # The ARR it churned from was not kept on the account; its seats still tell the size.
            low, high = SEGMENT_PROFILES[segment].arr_range
            price = rng.uniform(*SEGMENT_PROFILES[segment].seat_price_range)
            final_arr = min(max(_round_arr(seats * price), low), high)
        else:
            final_arr = int(arr)
        for kind, on, amount, note in _ledger(
            rng=rng,
            contract_start=contract_start,
            today=options.today,
            final_arr=final_arr,
            churned=status == AccountStatus.CHURNED,
        ):
            movements.append(
                ArrMovement(
                    workspace=workspace,
                    account_id=account_id,
                    kind=kind,
                    date=on,
                    amount=amount,
                    note=note,
                )
            )
    with progress(total=len(movements), desc="ARR movements") as bar:
        for batch in _batches(movements):
            ArrMovement.unscoped.bulk_create(batch)
            bar.update(len(batch))


DEMO_STEPS: tuple[DemoStep, ...] = (
    demo_people_upsert,
    demo_accounts_upsert,
    demo_arr_ledger_rebuild,
)


@transaction.atomic
def demo_workspace_build(
    *,
    options: DemoOptions,
    steps: Sequence[DemoStep] = DEMO_STEPS,
    progress: Progress = no_progress,
) -> DemoResult:
    """Build or rebuild the demo workspace named by ``options.slug``, all or nothing."""
    if not 0 <= options.accounts <= MAX_ACCOUNTS:
        raise ValueError(f"accounts must be between 0 and {MAX_ACCOUNTS}")
    if options.csms < 1:
        raise ValueError("a demo workspace needs at least one CSM")
    workspace, _ = Workspace.objects.update_or_create(
        slug=options.slug, defaults={"name": options.name}
    )
    # Steps write through the unscoped managers; the scope is there for services they call.
    with workspace_scope(workspace):
        for step in steps:
            rng = random.Random(f"{options.seed}:{step.__name__}")
            step(workspace=workspace, rng=rng, options=options, progress=progress)
    return _result(workspace=workspace, options=options)


def _result(*, workspace: Workspace, options: DemoOptions) -> DemoResult:
    people = demo_people(options=options)
    members = {
        membership.user.email: membership
        for membership in Membership.unscoped.filter(
            workspace=workspace, user__email__in=[email for email, _ in people]
        ).select_related("user")
    }
    logins = [
        DemoLogin(
            email=email,
            role=members[email].get_role_display(),
            name=members[email].user.get_full_name(),
        )
        for email, _ in people
    ]
    accounts = Account.unscoped.filter(
        workspace=workspace, external_id__startswith=EXTERNAL_ID_PREFIX
    )
    return DemoResult(
        workspace=workspace,
        logins=logins,
        password=DEMO_PASSWORD,
        accounts=accounts.count(),
        arr_movements=ArrMovement.unscoped.filter(account__in=accounts).count(),
    )


def _demo_csm_ids(*, workspace: Workspace, options: DemoOptions) -> list[int]:
    """The demo CSMs' user ids in the order csm1, csm2, ..., so the deal is stable."""
    emails = [email for email, role in demo_people(options=options) if role == Role.CSM]
    by_email = dict(
        Membership.unscoped.filter(
            workspace=workspace, role=Role.CSM, user__email__in=emails
        ).values_list("user__email", "user_id")
    )
    return [by_email[email] for email in emails]


def _segment_quota(*, rng: random.Random, count: int) -> list[str]:
    """Exact segment shares in a shuffled order, so even a small demo has every segment."""
    small = round(count * SEGMENT_SHARES[Segment.SMALL])
    enterprise = round(count * SEGMENT_SHARES[Segment.ENTERPRISE])
    segments = (
        [Segment.SMALL] * small
        + [Segment.ENTERPRISE] * enterprise
        + [Segment.MID_MARKET] * (count - small - enterprise)
    )
    rng.shuffle(segments)
    return segments


class _CompanyNames:
    """Company names from word lists, unique while the lists last, then allowed to repeat."""

    def __init__(self, *, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def next(self, industry: str) -> str:
        for _ in range(10):
            name = (
                f"{self.rng.choice(NAME_STARTS)}{self.rng.choice(NAME_ENDS)} "
                f"{self.rng.choice(INDUSTRIES[industry])}{self.rng.choice(LEGAL_FORMS)}"
            )
            if name not in self.used:
                break
        self.used.add(name)
        return name


def _account(
    *,
    workspace: Workspace,
    rng: random.Random,
    today: date,
    index: int,
    segment: str,
    churned: bool,
    owner_id: int,
    names: _CompanyNames,
) -> Account:
    profile = SEGMENT_PROFILES[segment]
    low, high = profile.arr_range
    # Log-uniform: within a segment small contracts are more common than large ones.
    contract_arr = _round_arr(math.exp(rng.uniform(math.log(low), math.log(high))))
    seats = max(3, round(contract_arr / rng.uniform(*profile.seat_price_range)))
    industry = rng.choice(INDUSTRY_NAMES)
    renewal = today + timedelta(days=rng.randint(1, 365))
    # Annual contracts renewing on their anniversary, started one to four years ago.
    contract_start = _add_years(renewal, -rng.choices((2, 3, 4), weights=(45, 35, 20))[0])
    attributes = {
        name: min(5, max(1, profile.attribute_base + rng.choice((-1, 0, 0, 1))))
        for name in SEGMENTATION_ATTRIBUTES
    }
    return Account(
        workspace=workspace,
        external_id=demo_external_id(index),
        name=names.next(industry),
        owner_id=owner_id,
        arr=0 if churned else contract_arr,
        currency=workspace.default_currency,
        contract_start=contract_start,
        renewal_date=None if churned else renewal,
        licensed_seats=seats,
        lifecycle_stage=_lifecycle_stage(
            rng=rng,
            days_to_renewal=(renewal - today).days,
            difficult=attributes["implementation_difficulty"] >= 4,
            churned=churned,
        ),
        status=AccountStatus.CHURNED if churned else AccountStatus.ACTIVE,
        segment=segment,
        industry=industry,
        **attributes,
    )


def _lifecycle_stage(
    *, rng: random.Random, days_to_renewal: int, difficult: bool, churned: bool
) -> str:
    # Renewal work starts 120 days out; a churned account was lost at its renewal.
    if churned or days_to_renewal <= 120:
        return LifecycleStage.RENEWAL
    # Hard implementations are the ones still onboarding a year or more after signing.
    weights = (12 if difficult else 3, 30, 40, 20)
    stages = (
        LifecycleStage.ONBOARDING,
        LifecycleStage.ADOPTION,
        LifecycleStage.VALUE,
        LifecycleStage.EXPANSION,
    )
    return rng.choices(stages, weights=weights)[0]


def _ledger(
    *, rng: random.Random, contract_start: date, today: date, final_arr: int, churned: bool
) -> list[tuple[str, date, int, str]]:
    """(kind, date, amount, note) movements from contract start whose signed sum is the ARR.

    Built backwards from the ARR the account ends with, so the sum is exact by construction:
    each earlier change is drawn as a share of the ARR after it. A churned account loses
    ``final_arr`` at its last renewal and ends at zero.
    """
    anniversaries = []
    year = 1
    while (anniversary := _add_years(contract_start, year)) <= today:
        anniversaries.append(anniversary)
        year += 1
    tail = []
    if churned:
        tail = [(MovementKind.CHURN, anniversaries.pop(), final_arr, "Did not renew")]
    limit = tail[0][1] if tail else today
    arr = final_arr
    changes = []
    for anniversary in reversed(anniversaries):
        draw = rng.random()
        if draw < 0.4:
            before = _round_arr(arr / (1 + rng.uniform(0.05, 0.35)))
            kind, on, note = MovementKind.EXPANSION, anniversary, "Seats added at renewal"
            # Some customers grow inside the contract year; reductions wait for the renewal.
            mid_term = anniversary + timedelta(days=rng.randint(60, 240))
            if rng.random() < 0.3 and mid_term < limit:
                on, note = mid_term, "Seats added mid-term"
        elif draw < 0.52:
            before = _round_arr(arr / (1 - rng.uniform(0.05, 0.2)))
            kind, on, note = MovementKind.CONTRACTION, anniversary, "Seats reduced at renewal"
        else:
            continue
        if before < 1_000 or before == arr:
            continue
        changes.append((kind, on, abs(arr - before), note))
        arr = before
    return [(MovementKind.NEW, contract_start, arr, "First contract"), *reversed(changes), *tail]


def _round_arr(value: float) -> int:
    """Contract values are quoted in whole hundreds."""
    return max(100, round(value / 100) * 100)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def _batches(rows: list) -> list[list]:
    return [rows[start : start + BATCH_SIZE] for start in range(0, len(rows), BATCH_SIZE)]
