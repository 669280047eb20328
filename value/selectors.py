"""Reads of the value ladder: the framework, the ladder's inputs, account panels and coverage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from django.contrib.auth import get_user_model
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Greatest

from accounts.models import Account, AccountStatus, Segment
from csos.links import link_sender
from csos.search import forgiving_trigrams
from csos.selectors import rate_to_workspace_currency
from csos.tenancy import current_workspace
from value import ladder
from value.models import (
    AccountUseCase,
    Aggregation,
    ConfirmationRequest,
    EventMapping,
    Evidence,
    EvidenceChange,
    EvidenceStatus,
    Level,
    RetentionArtifact,
    Threshold,
    UsageMetric,
    UsageRecord,
    UseCase,
    ValueSettings,
)

LEVEL_CHOICES = [(0, "None proven"), *Level.choices]
# The coverage group of the accounts no CSM owns.
UNASSIGNED = "none"
DAYS_PER_WEEK = 7


def value_settings() -> ValueSettings:
    """The workspace's value settings, or the defaults when none were saved."""
    return ValueSettings.objects.first() or ValueSettings()


def use_case_list() -> QuerySet[UseCase]:
    return UseCase.objects.prefetch_related(
        Prefetch("thresholds", queryset=Threshold.objects.select_related("metric"))
    )


def metric_list() -> QuerySet[UsageMetric]:
    return UsageMetric.objects.all()


def event_mapping_list() -> QuerySet[EventMapping]:
    return EventMapping.objects.select_related("metric")


# ----------------------------------------------------------------------------- ladder inputs


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
        "evidence": _frame(
            evidence.values_list(
                "id",
                "account_id",
                "use_case_id",
                "level",
                status,
                "baseline",
                "current",
                confirmed_on,
                # The customer's answer the claim was proven by, bound to who answered and as
                # what: the stakeholder's role and standing then, and any departure since.
                "confirmation__answered_role",
                "confirmation__answered_active",
                "confirmation__stakeholder__left_on",
            ),
            ladder.EVIDENCE_COLUMNS,
        ),
    }


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


# ----------------------------------------------------------------------------- account pages


def account_pursuits(*, account: Account) -> list[AccountUseCase]:
    return list(AccountUseCase.objects.filter(account=account).select_related("use_case"))


def account_evidence(*, account: Account) -> QuerySet[Evidence]:
    return Evidence.objects.filter(account=account).select_related("use_case")


def evidence_confirmations(*, evidence: Evidence) -> QuerySet[ConfirmationRequest]:
    return evidence.confirmations.select_related("link", "sent_by", "stakeholder")


def confirmation_asker(*, confirmation: ConfirmationRequest) -> str:
    """Who asks the customer: the CSM who sent the link, and their company (the workspace)."""
    return link_sender(workspace=confirmation.workspace, sender=confirmation.sent_by)


@dataclass
class LadderRow:
    """One pursued use case on the account page: its stored level and a line per level."""

    pursuit: AccountUseCase
    level: int
    steps: list[dict] = field(default_factory=list)


def account_ladder(*, account: Account) -> list[LadderRow]:
    """The account's pursued use cases, each with the stored level and the reason each level is
    or is not reached, as ``ladder_refresh`` last wrote them. One query."""
    rows = []
    for pursuit in account_pursuits(account=account):
        reasons = pursuit.reasons or []
        steps = [
            {
                "level": number,
                "name": label,
                "reached": pursuit.level >= number,
                "reason": reasons[number - 1].split(": ", 1)[1]
                if len(reasons) >= number
                else "not computed yet",
            }
            for number, label in Level.choices
        ]
        rows.append(LadderRow(pursuit=pursuit, level=pursuit.level, steps=steps))
    return rows


def ladder_freshness(*, pursuits: list[AccountUseCase]) -> dict:
    """Whether a background refresh of these pursuits is queued (``recomputing``) and the moment
    their stored levels are as of: the oldest computation among them, None before any."""
    computed = [p.computed_at for p in pursuits if p.computed_at is not None]
    return {
        "recomputing": any(p.refresh_pending for p in pursuits),
        "as_of": min(computed, default=None),
    }


def account_value_delta(*, pursuits: list[AccountUseCase]) -> Decimal:
    """Unrealised assisted value: the assisted value of use cases not proven at level 3 or more."""
    return sum(
        (p.use_case.assisted_value for p in pursuits if p.level < Level.USE_CASE_VALUE),
        Decimal("0"),
    )


def unrealised_value_subquery() -> Coalesce:
    """``account_value_delta`` as an expression over an account queryset: the assisted value of
    its use cases not proven at level 3 or more, 0 without any."""
    pending = (
        AccountUseCase.objects.filter(account=OuterRef("pk"), level__lt=Level.USE_CASE_VALUE)
        .order_by()
        .values("account")
        .annotate(total=Sum("use_case__assisted_value"))
        .values("total")
    )
    return Coalesce(Subquery(pending), Value(Decimal("0")), output_field=DecimalField())


def unproven_claims_subquery() -> Coalesce:
    """The number of the account's claims still unproven or disputed, as an expression."""
    claims = (
        Evidence.objects.filter(
            account=OuterRef("pk"),
            status__in=[EvidenceStatus.UNPROVEN, EvidenceStatus.DISPUTED],
        )
        .order_by()
        .values("account")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(claims, output_field=IntegerField()), Value(0))


SEARCH_LIMIT = 10  # matches a search shows of each kind


def evidence_search(*, text: str) -> list[dict]:
    """Claims whose text or metric matches ``text``, typos allowed, best match first."""
    similarity = Greatest(
        TrigramWordSimilarity(text, "claim"), TrigramWordSimilarity(text, "metric_name")
    )
    with forgiving_trigrams():
        return list(
            Evidence.objects.filter(
                Q(claim__icontains=text)
                | Q(claim__trigram_word_similar=text)
                | Q(metric_name__trigram_word_similar=text)
            )
            .annotate(similarity=similarity)
            .order_by("-similarity", "pk")
            .values("pk", "claim", "status", "account_id", "account__name")[:SEARCH_LIMIT]
        )


def retention_artifact(*, account: Account) -> dict:
    """What the account has proven, what not yet, and the next action to close the gap.

    "Proven" is exactly the claims the stored ladder counted at the levels it reached, so the
    artifact and the ladder panel never disagree; an unproven claim carries the stored reason
    its level is not reached. Three queries: pursuits, evidence, the stored next action.
    """
    pursuits = account_pursuits(account=account)
    counted = {claim for p in pursuits for claim in (p.proof_ids or [])}
    reasons = {p.use_case_id: p.reasons or [] for p in pursuits}
    proven, unproven = [], []
    for claim in account_evidence(account=account):
        if claim.pk in counted:
            proven.append({"evidence": claim})
            continue
        why = reasons.get(claim.use_case_id, [])
        unproven.append(
            {
                "evidence": claim,
                "reason": why[claim.level - 1]
                if len(why) >= claim.level
                else "Not counted: the account does not pursue this use case",
            }
        )
    return {
        "proven": proven,
        "unproven": unproven,
        "gaps": [p for p in pursuits if p.level < Level.ROI],
        "artifact": RetentionArtifact.objects.filter(account=account)
        .select_related("owner")
        .first(),
        "value_delta": account_value_delta(pursuits=pursuits),
        "freshness": ladder_freshness(pursuits=pursuits),
    }


# ----------------------------------------------------------------------------- coverage


def highest_level_subquery() -> Coalesce:
    """An account's highest reached level over its use cases, 0 when it has none."""
    best = (
        AccountUseCase.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(best=Max("level"))
        .values("best")
    )
    return Coalesce(Subquery(best, output_field=IntegerField()), Value(0))


def accounts_with_level() -> QuerySet[Account]:
    return Account.objects.annotate(highest_level=highest_level_subquery())


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
    table = []
    for group in sorted(groups.values(), key=lambda g: g["name"]):
        table.append(
            {
                **group,
                "count_shares": _shares(group["counts"]),
                "arr_shares": {
                    currency: _shares(levels) for currency, levels in sorted(group["arr"].items())
                },
                "converted_shares": _shares(group["converted"]),
                "unconverted": dict(sorted(group["unconverted"].items())),
                "at_least": {
                    "counts": _at_least(group["counts"]),
                    "count_shares": _at_least_shares(group["counts"]),
                    "arr": {
                        currency: _at_least(levels)
                        for currency, levels in sorted(group["arr"].items())
                    },
                    "arr_shares": {
                        currency: _at_least_shares(levels)
                        for currency, levels in sorted(group["arr"].items())
                    },
                    "converted": _at_least(group["converted"]),
                    "converted_shares": _at_least_shares(group["converted"]),
                },
            }
        )
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


def disputed_claims_subquery() -> Coalesce:
    """How many of the account's claims stand disputed now, 0 when none."""
    disputed = (
        Evidence.objects.filter(account=OuterRef("pk"), status=EvidenceStatus.DISPUTED)
        .order_by()
        .values("account")
        .annotate(count=Count("id"))
        .values("count")
    )
    return Coalesce(Subquery(disputed, output_field=IntegerField()), Value(0))
