"""Value-proof coverage: the share of accounts and of ARR with proven value at each level,
by group."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
    Sum,
)

from accounts.models import Account, AccountStatus, Segment
from csos.selectors import rate_to_workspace_currency
from csos.tenancy import current_workspace
from value.models import (
    Level,
)
from value.selectors import LEVEL_CHOICES, UNASSIGNED, accounts_with_level

COVERAGE_DIMENSIONS = {
    "segment": ("segment", "Segment"),
    "csm": ("owner_id", "CSM"),
}


def value_coverage(*, by: str, as_of: date, book: Q | None = None) -> dict:
    """Share of accounts and of ARR at each highest proven level, per group of ``by``, and
    under ``at_least`` the cumulative view: the share that has proven each level or a higher one.

    One query: accounts are grouped by (group, currency, level) in the database, and each
    group's ARR is converted there to the workspace's currency at the latest rate valid on
    ``as_of``. ARR is shown per currency as booked and, converted, as one total; a currency
    with no rate that day is listed as unconverted and kept out of the total, never summed.
    ``book`` (``accounts.selectors.book_filter``) narrows the accounts.
    """
    column, label = COVERAGE_DIMENSIONS[by]
    rate = rate_to_workspace_currency(currency_field="currency", on=as_of)
    rows = list(
        accounts_with_level()
        .filter(status=AccountStatus.ACTIVE)
        .filter(book or Q())
        .annotate(group=F(column), level=F("highest_level"))
        .values("group", "currency", "level")
        .annotate(count=Count("id"), booked=Sum("arr"), converted=Sum("arr") * rate)
        .order_by()
    )
    names = _group_names(by, {row["group"] for row in rows})
    groups = _groups_summed(rows, names=names)
    table = [_group_shares(group) for group in sorted(groups.values(), key=lambda g: g["name"])]
    return {
        "by": by,
        "label": label,
        "levels": LEVEL_CHOICES,
        "proven_levels": Level.choices,
        "groups": table,
        "currency": current_workspace().default_currency,
        "as_of": as_of,
        "unconverted_currencies": sorted({c for group in table for c in group["unconverted"]}),
    }


def _groups_summed(rows: list[dict], *, names: dict) -> dict:
    """Counts and ARR per group and level, summed over the (group, currency, level) rows; ARR
    with no rate to convert it is kept apart per currency."""
    groups: dict = {}
    for row in rows:
        group = groups.setdefault(
            row["group"],
            {
                "key": row["group"],
                "name": names.get(row["group"], "Unassigned"),
                "count": 0,
                "counts": _by_level(0),
                "arr": {},
                "converted": _by_level(Decimal("0")),
                "unconverted": {},
            },
        )
        group["count"] += row["count"]
        group["counts"][row["level"]] += row["count"]
        arr = row["booked"] or Decimal("0")
        group["arr"].setdefault(row["currency"], _by_level(Decimal("0")))[row["level"]] += arr
        if row["converted"] is None:
            unconverted = group["unconverted"].setdefault(
                row["currency"], {"count": 0, "arr": Decimal("0")}
            )
            unconverted["count"] += row["count"]
            unconverted["arr"] += arr
        else:
            group["converted"][row["level"]] += row["converted"]
    return groups


def _group_shares(group: dict) -> dict:
    """A summed group with its shares per level, and the cumulative view under ``at_least``."""
    by_currency = sorted(group["arr"].items())
    return {
        **group,
        "count_shares": _shares(group["counts"]),
        "arr_shares": {currency: _shares(levels) for currency, levels in by_currency},
        "converted_shares": _shares(group["converted"]),
        "unconverted": dict(sorted(group["unconverted"].items())),
        "at_least": {
            "counts": _at_least(group["counts"]),
            "count_shares": _at_least_shares(group["counts"]),
            "arr": {currency: _at_least(levels) for currency, levels in by_currency},
            "arr_shares": {currency: _at_least_shares(levels) for currency, levels in by_currency},
            "converted": _at_least(group["converted"]),
            "converted_shares": _at_least_shares(group["converted"]),
        },
    }


def _by_level(zero) -> dict:
    return {level: zero for level, _ in LEVEL_CHOICES}


def _shares(by_level: dict) -> dict:
    whole = sum(by_level.values())
    return {level: _share(part, whole) for level, part in by_level.items()}


def _at_least(by_level: dict) -> dict:
    """Per proven level, the sum over that level and every higher one."""
    return {
        level: sum(part for at, part in by_level.items() if at >= level) for level in Level.values
    }


def _at_least_shares(by_level: dict) -> dict:
    whole = sum(by_level.values())
    return {level: _share(part, whole) for level, part in _at_least(by_level).items()}


def _share(part, whole) -> float | None:
    return None if not whole else round(float(part) / float(whole) * 100, 1)


def _group_names(by: str, keys: set) -> dict:
    if by == "segment":
        return dict(Segment.choices)
    users = get_user_model().objects.filter(pk__in=[key for key in keys if key is not None])
    return {user.pk: user.get_full_name() or user.email for user in users}


def coverage_accounts(
    *,
    level: int | None,
    at_least: bool = False,
    by: str,
    group: str,
    as_of: date,
    book: Q | None = None,
) -> QuerySet[Account]:
    """The active accounts behind one cell of the coverage table (an empty group: all), at
    ``level`` or, ``at_least``, at that level or above; each with ``converted_arr``: its ARR in
    the workspace's currency on ``as_of``, None without a rate."""
    accounts = (
        accounts_with_level()
        .filter(status=AccountStatus.ACTIVE)
        .filter(book or Q())
        .select_related("owner")
        .annotate(rate=rate_to_workspace_currency(currency_field="currency", on=as_of))
        .annotate(converted_arr=F("arr") * F("rate"))
    )
    if level is not None:
        accounts = accounts.filter(**{"highest_level__gte" if at_least else "highest_level": level})
    if group:
        column = COVERAGE_DIMENSIONS[by][0]
        accounts = accounts.filter(**{column: None if group == UNASSIGNED else group})
    return accounts.order_by("name", "id")
