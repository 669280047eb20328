"""Leaders' reads of health across the book: band counts per week, the accounts of a band or
flag."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce

from accounts.models import ArrMovement
from accounts.retention import GAINS
from accounts.selectors import counted_arr_movements
from health.models import (
    HealthSnapshot,
)


def latest_week(*, today: dt.date) -> dt.date | None:
    """The latest week scored on or before ``today``; None before the first recompute."""
    return HealthSnapshot.objects.filter(week__lte=today).aggregate(week=Max("week"))["week"]


def band_weeks(*, weeks: list[dt.date], book: Q | None = None) -> list[dict]:
    """Per week of ``weeks``, band and account currency: how many accounts had a snapshot in
    that band and their ARR as the ledger stood at the end of that week (never later ARR): one
    query, grouped in the database whatever the number of accounts."""
    signed = Case(When(kind__in=GAINS, then=F("amount")), default=-F("amount"))
    arr_then = (
        counted_arr_movements(
            ArrMovement.objects.filter(
                account=OuterRef("account"), date__lt=OuterRef("week") + dt.timedelta(days=7)
            )
        )
        .order_by()
        .values("account")
        .annotate(arr=Sum(signed))
        .values("arr")
    )
    return list(
        HealthSnapshot.objects.filter(week__in=weeks)
        .filter(book or Q())
        .order_by()
        .values("week", "band", "account__currency")
        .annotate(accounts=Count("id"), arr=Sum(Coalesce(Subquery(arr_then), Value(Decimal(0)))))
    )


def band_accounts(*, week: dt.date, band: str) -> Q:
    """The accounts whose snapshot of ``week`` is in ``band``, as a condition on accounts."""
    return Q(Exists(HealthSnapshot.objects.filter(account=OuterRef("pk"), week=week, band=band)))


def measurement_theatre_accounts(*, week: dt.date) -> Q:
    """The accounts whose snapshot of ``week`` raised the measurement theatre flag: the score
    rose while usage and proof stood (``theatre.theatre_flags``)."""
    return Q(
        Exists(HealthSnapshot.objects.filter(account=OuterRef("pk"), week=week).exclude(theatre=""))
    )


def snapshot_states(*, weeks: set[dt.date], account_ids: list[int] | None = None) -> pd.DataFrame:
    """The band and ladder dimension score (0-10, None without data) of the snapshots of
    ``weeks``: columns ``account_id``, ``week``, ``band``, ``ladder``; one query."""
    snapshots = HealthSnapshot.objects.filter(week__in=weeks)
    if account_ids is not None:
        snapshots = snapshots.filter(account_id__in=account_ids)
    return pd.DataFrame(
        list(
            snapshots.annotate(ladder=Cast(KT("scores__ladder"), FloatField())).values_list(
                "account_id", "week", "band", "ladder"
            )
        ),
        columns=["account_id", "week", "band", "ladder"],
    )
