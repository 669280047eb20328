"""The demo's customer book: accounts sized by segment and dealt round-robin to the CSMs."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet

from accounts.demo.company_names import INDUSTRY_NAMES, CompanyNames
from accounts.demo.people import demo_csm_ids
from accounts.demo.step import DemoOptions, Progress, bulk_create_batched
from accounts.models import (
    SEGMENTATION_ATTRIBUTES,
    Account,
    AccountStatus,
    LifecycleStage,
    Segment,
)
from csos.models import Workspace

EXTERNAL_ID_PREFIX = "DEMO-"
MAX_ACCOUNTS = 999_999  # external ids have six digits, so they sort in creation order
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


def demo_external_id(index: int) -> str:
    return f"{EXTERNAL_ID_PREFIX}{index + 1:06d}"


def demo_accounts(*, workspace: Workspace) -> QuerySet[Account]:
    """The workspace's demo accounts, leaving alone any it holds under other external ids."""
    return Account.dangerously_unscoped.filter(
        workspace=workspace, external_id__startswith=EXTERNAL_ID_PREFIX
    )


def demo_accounts_upsert(
    *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
) -> None:
    """The customer book, upserted by external id and dealt round-robin to the CSMs.

    Demo accounts beyond ``options.accounts`` (left by a bigger earlier build) are deleted.
    """
    owner_ids = demo_csm_ids(workspace=workspace, options=options)
    count = options.accounts
    segments = _segment_quota(rng=rng, count=count)
    churned = set(rng.sample(range(count), round(count * CHURN_SHARE)))
    names = CompanyNames(rng=rng)
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
            usage_accounts=options.usage_accounts,
        )
        for index in range(count)
    ]
    update_fields = [
        "name", "owner", "arr", "currency", "contract_start", "renewal_date", "licensed_seats",
        "lifecycle_stage", "status", "segment", "industry", *SEGMENTATION_ATTRIBUTES, "updated_at",
    ]  # fmt: skip
    bulk_create_batched(
        Account.dangerously_unscoped,
        rows,
        progress=progress,
        desc="accounts",
        update_conflicts=True,
        unique_fields=["workspace", "external_id"],
        update_fields=update_fields,
    )
    demo_accounts(workspace=workspace).filter(external_id__gt=demo_external_id(count - 1)).delete()


def round_arr(value: float) -> int:
    """Contract values are quoted in whole hundreds."""
    return max(100, round(value / 100) * 100)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


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


def _account(
    *,
    workspace: Workspace,
    rng: random.Random,
    today: date,
    index: int,
    segment: str,
    churned: bool,
    owner_id: int,
    names: CompanyNames,
    usage_accounts: int,
) -> Account:
    profile = SEGMENT_PROFILES[segment]
    low, high = profile.arr_range
    # Log-uniform: within a segment small contracts are more common than large ones.
    contract_arr = round_arr(math.exp(rng.uniform(math.log(low), math.log(high))))
    seats = max(3, round(contract_arr / rng.uniform(*profile.seat_price_range)))
    industry = rng.choice(INDUSTRY_NAMES)
    renewal = today + timedelta(days=rng.randint(1, 365))
    # Annual contracts renewing on their anniversary, started one to four years ago.
    contract_start = add_years(renewal, -rng.choices((2, 3, 4), weights=(45, 35, 20))[0])
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
            reports_usage=index < usage_accounts,
        ),
        status=AccountStatus.CHURNED if churned else AccountStatus.ACTIVE,
        segment=segment,
        industry=industry,
        **attributes,
    )


def _lifecycle_stage(
    *, rng: random.Random, days_to_renewal: int, difficult: bool, churned: bool, reports_usage: bool
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
    # Value is realised on usage: an account that reports none has not got that far.
    if not reports_usage:
        stages, weights = stages[:2], weights[:2]
    return rng.choices(stages, weights=weights)[0]
