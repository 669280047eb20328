"""What the ladder rules read, as frames as of a date: usage, thresholds, evidence and
confirmations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import pandas as pd
from django.db.models import (
    Case,
    CharField,
    DateField,
    Exists,
    F,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce

from value import ladder
from value.models import (
    AccountUseCase,
    Aggregation,
    Evidence,
    EvidenceChange,
    Threshold,
    UsageMetric,
    UsageRecord,
    ValueSettings,
)
from value.selectors import value_settings


def ladder_inputs(
    *,
    account_ids: Iterable[int] | None,
    as_of: date,
    settings: ValueSettings,
    as_recorded: bool = False,
) -> dict[str, pd.DataFrame]:
    """The frames ``ladder.ladder_levels`` needs, for some accounts or (None) all of them.

    With ``as_recorded`` only the pursuits started by the end of ``as_of`` count, and each
    claim is read as its history recorded it by then
    (``evidence_as_of``), for a past week scored again; without, all as they stand now.

    Usage is aggregated in the database over the trailing window ending on ``as_of``: summed
    metrics become a weekly rate, maximum metrics their peak, latest-value metrics the value of
    their last reported day.
    """
    window_start = as_of - timedelta(days=settings.usage_window_days - 1)
    pursuits = AccountUseCase.objects.all()
    records = UsageRecord.objects.filter(day__gte=window_start, day__lte=as_of)
    evidence = Evidence.objects.all()
    status, confirmed_on = "status", "confirmed_on"
    if as_recorded:
        pursuits = pursuits.filter(created_at__date__lte=as_of)
        evidence = evidence_as_of(evidence, as_of=as_of)
        status, confirmed_on = "status_then", "confirmed_on_then"
    if account_ids is not None:
        account_ids = list(account_ids)
        pursuits = pursuits.filter(account_id__in=account_ids)
        records = records.filter(account_id__in=account_ids)
        evidence = evidence.filter(account_id__in=account_ids)
    aggregations = dict(UsageMetric.objects.values_list("id", "aggregation"))
    return {
        "pursuits": _frame(
            pursuits.values_list("account_id", "use_case_id", "account__licensed_seats"),
            ladder.PURSUIT_COLUMNS,
        ),
        "thresholds": _frame(
            Threshold.objects.values_list(
                "use_case_id", "level", "metric_id", "metric__name", "minimum", "per_seat"
            ),
            ladder.THRESHOLD_COLUMNS,
        ),
        "usage": _usage_frame(
            records, aggregations=aggregations, window_days=settings.usage_window_days
        ),
        "evidence": _evidence_frame(evidence, status=status, confirmed_on=confirmed_on),
    }


def _evidence_frame(
    evidence: QuerySet[Evidence], *, status: str, confirmed_on: str
) -> pd.DataFrame:
    """The claims with their status and confirmation day read from ``status`` and
    ``confirmed_on`` (as they stand, or as their history recorded them)."""
    rows = evidence.values_list(
        "id",
        "account_id",
        "use_case_id",
        "level",
        status,
        "baseline",
        "current",
        confirmed_on,
        # The customer's answer the claim was proven by, bound to who answered and as what:
        # the stakeholder's role and standing then, and any departure since.
        "confirmation__answered_role",
        "confirmation__answered_active",
        "confirmation__stakeholder__left_on",
    )
    return _frame(rows, ladder.EVIDENCE_COLUMNS)


def evidence_as_of(evidence: QuerySet[Evidence], *, as_of: date) -> QuerySet[Evidence]:
    """The claims of ``evidence`` recorded by the end of ``as_of``, with the status and
    confirmation date each had then (``status_then``, ``confirmed_on_then``), read from its
    change history: a claim proven, disputed or re-dated later keeps its state of that day. A
    claim with no history at all (written before history was kept) reads its own fields."""
    changes = EvidenceChange.objects.filter(evidence=OuterRef("pk"))

    def then(name: str, output_field):
        latest = changes.filter(at__date__lte=as_of, after__has_key=name).order_by("-at", "-id")
        value = latest.annotate(value=Cast(KT(f"after__{name}"), output_field)).values("value")
        return Coalesce(
            Subquery(value[:1]),
            Case(When(~Exists(changes), then=F(name)), default=None, output_field=output_field),
        )

    return evidence.annotate(
        status_then=then("status", CharField()), confirmed_on_then=then("confirmed_on", DateField())
    ).filter(status_then__isnull=False)


def ladder_frame(
    *, account_ids: list[int] | None, as_of: date, as_recorded: bool = False
) -> pd.DataFrame:
    """The ladder (level and four reasons per pursuit) of some accounts, or all of them;
    ``as_recorded`` as in ``ladder_inputs``."""
    settings = value_settings()
    frames = ladder_inputs(
        account_ids=account_ids, as_of=as_of, settings=settings, as_recorded=as_recorded
    )
    return ladder.ladder_levels(
        **frames, params=ladder.LadderParams(as_of=as_of, stale_days=settings.evidence_stale_days)
    )


def _frame(rows: QuerySet, columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=list(columns))


def _usage_frame(
    records: QuerySet[UsageRecord], *, aggregations: dict[int, str], window_days: int
) -> pd.DataFrame:
    latest_ids = [key for key, how in aggregations.items() if how == Aggregation.LAST]
    grouped = _frame(
        records.exclude(metric_id__in=latest_ids)
        .values("account_id", "metric_id")
        .annotate(total=Sum("value"), peak=Max("value"))
        .order_by()
        .values_list("account_id", "metric_id", "total", "peak"),
        ("account_id", "metric_id", "total", "peak"),
    )
    weekly = grouped["total"].astype(float) * DAYS_PER_WEEK / window_days
    is_max = grouped["metric_id"].map(aggregations) == Aggregation.MAX
    grouped[ladder.VALUE] = weekly.where(~is_max, grouped["peak"].astype(float))
    frames = [grouped[list(ladder.USAGE_COLUMNS)]]
    if latest_ids:
        latest = _frame(
            records.filter(metric_id__in=latest_ids)
            .order_by("account_id", "metric_id", "day")
            .values_list("account_id", "metric_id", "value"),
            ladder.USAGE_COLUMNS,
        )
        frames.append(latest.drop_duplicates(["account_id", "metric_id"], keep="last"))
    return pd.concat(frames, ignore_index=True)


DAYS_PER_WEEK = 7
