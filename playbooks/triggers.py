"""Triggers: reads that find the firings of the built-in playbooks, a fixed number of queries
each, whatever the number of accounts."""

from __future__ import annotations

import datetime as dt

from accounts.models import Account, AccountStatus
from health.models import Band, HealthSnapshot
from playbooks.playbooks import RENEWAL_CHECKPOINTS, Firing
from stakeholders.models import StakeholderChange, SuccessPlan

# A usage score this high on a Green account leaves room to sell more seats.
EXPANSION_USAGE_SCORE = 9.0
# How long after its 30th day an account without a success plan still fires the trigger; older
# accounts predate the rule.
SUCCESS_PLAN_GRACE_DAYS = 30
KEY_DEPARTURE_LOOKBACK_DAYS = 30


def band_firings(*, week: dt.date) -> list[Firing]:
    """Red, Yellow and Green-with-headroom firings of the snapshots of ``week``: a band fires
    when it is new since the week before, once per account and week."""
    previous = dict(
        HealthSnapshot.objects.filter(week=week - dt.timedelta(weeks=1)).values_list(
            "account_id", "band"
        )
    )
    current = HealthSnapshot.objects.filter(
        week=week, band__in=[Band.RED, Band.YELLOW, Band.GREEN]
    ).values_list("account_id", "band", "total", "scores")
    firings = []
    for account_id, band, total, scores in current:
        if previous.get(account_id) == band:
            continue
        was = previous.get(account_id, "no score")
        if band == Band.RED:
            firings.append(
                Firing(
                    "save",
                    account_id,
                    f"red:{account_id}:{week}",
                    f"Health {total:g}, Red (was {was})",
                )
            )
        elif band == Band.YELLOW:
            firings.append(
                Firing(
                    "outreach",
                    account_id,
                    f"yellow:{account_id}:{week}",
                    f"Health {total:g}, Yellow (was {was})",
                )
            )
        elif (scores.get("usage") or 0) >= EXPANSION_USAGE_SCORE:
            firings.append(
                Firing(
                    "expansion",
                    account_id,
                    f"green:{account_id}:{week}",
                    f"Health {total:g}, Green, usage {scores['usage']:g}/10",
                )
            )
    return firings


def renewal_firings(*, today: dt.date) -> list[Firing]:
    """Accounts whose renewal is exactly 120, 90, 60 or 30 days away today."""
    dates = {today + dt.timedelta(days=days): days for days in RENEWAL_CHECKPOINTS}
    renewing = Account.objects.filter(
        status=AccountStatus.ACTIVE, renewal_date__in=list(dates)
    ).values_list("pk", "renewal_date")
    return [
        Firing(
            "renewal",
            account_id,
            f"renewal:{account_id}:{renewal}:{dates[renewal]}",
            f"Renewal on {renewal:%d %b %Y}, {dates[renewal]} days away",
        )
        for account_id, renewal in renewing
    ]


def key_departure_firings(*, today: dt.date) -> list[Firing]:
    """An Owner or Champion who left in the last 30 days, once per departure."""
    changes = StakeholderChange.objects.filter(
        role__in=["owner", "champion"],
        left_on__gt=today - dt.timedelta(days=KEY_DEPARTURE_LOOKBACK_DAYS),
        left_on__lte=today,
    ).values_list("pk", "account_id", "role", "stakeholder__name", "left_on")
    return [
        Firing(
            "remap",
            account_id,
            f"left:{change_id}",
            f"{role.title()} {name} left on {left_on:%d %b %Y}",
        )
        for change_id, account_id, role, name, left_on in changes
    ]


def success_plan_firings(*, today: dt.date) -> list[Firing]:
    """Accounts 30 days or more past contract start (within the grace period) with no plan."""
    latest_start = today - dt.timedelta(days=30)
    accounts = (
        Account.objects.filter(
            status=AccountStatus.ACTIVE,
            contract_start__lte=latest_start,
            contract_start__gt=latest_start - dt.timedelta(days=SUCCESS_PLAN_GRACE_DAYS),
        )
        .exclude(pk__in=SuccessPlan.objects.values("account_id"))
        .values_list("pk", "contract_start")
    )
    return [
        Firing(
            "success_plan",
            account_id,
            f"no-plan:{account_id}:{start}",
            f"No success plan {(today - start).days} days after contract start",
        )
        for account_id, start in accounts
    ]
