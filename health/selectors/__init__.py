"""Reads of the health engine for pages: each a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    JSONField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from accounts.models import Account, AccountStatus, ArrMovement, MovementKind
from accounts.retention import GAINS
from accounts.selectors import counted_arr_movements, descendants_filter, group_tops
from accounts.services import account_can_edit
from csos.charts import line_chart
from health import quality, rollup
from health.forms import JudgementForm, OverrideForm
from health.models import (
    OPEN_TICKET_STATUSES,
    Band,
    HealthBacktest,
    HealthJudgement,
    HealthModel,
    HealthOverride,
    HealthRecompute,
    HealthSnapshot,
    SupportTicket,
    SurveyResponse,
)
from health.scoring import CALCULATORS, DEFAULT_MODEL, iso_week
from value.selectors import highest_level_subquery

TREND_WEEKS = 26
BANDS_SHOWN = (Band.GREEN, Band.YELLOW, Band.RED, Band.INSUFFICIENT)
BAND_LABELS = dict(Band.choices)
DIMENSION_LABELS = {d.key: CALCULATORS[d.calculator].label for d in DEFAULT_MODEL.dimensions}
BAND_BADGES = {"green": "good", "yellow": "warn", "red": "bad", "insufficient": ""}


def dimension_rows(snapshot: HealthSnapshot, weights: dict[str, float] | None) -> dict:
    """How ``snapshot``'s total is built: per dimension its weight, the share of the total it
    counts for once the weights of dimensions without data are given to the others in
    proportion, its score and its points (share x score / 10, summing to the total).
    ``weights`` are those of the model version that scored it; None when that version has
    since been edited, and then only the scores are known."""
    known = (
        sum(weights.get(key, 0) for key, score in snapshot.scores.items() if score is not None)
        if weights
        else 0
    )
    rows = []
    for key, score in snapshot.scores.items():
        weight = weights.get(key) if weights else None
        share = weight * 100 / known if weight is not None and score is not None and known else None
        rows.append(
            {
                "key": key,
                "label": DIMENSION_LABELS.get(key, key.replace("_", " ").capitalize()),
                "weight": weight,
                "share": share,
                "score": score,
                "points": None if share is None else share * score / 10,
                "drivers": snapshot.drivers.get(key, ""),
            }
        )
    return {
        "rows": rows,
        "weighed": weights is not None,
        "without_data": [row for row in rows if row["score"] is None],
        "missing_weight": None if weights is None else sum(weights.values()) - known,
    }


def change_shown(change: float | None, *, digits: int = 0) -> str | None:
    """A score change signed as rounded to ``digits``; "0" when it rounds to nothing, never
    "-0" or "+0". None when there is no change to show."""
    if change is None:
        return None
    rounded = round(change, digits)
    return "0" if rounded == 0 else f"{rounded:+.{digits}f}"


def _model_weights_subquery() -> Subquery:
    """The dimensions of the model version that scored a snapshot, still stored only while
    the model has not been edited since."""
    return Subquery(
        HealthModel.objects.filter(
            name=OuterRef("model_name"), version=OuterRef("model_version")
        ).values("dimensions")[:1],
        output_field=JSONField(),
    )


def account_health(*, account: Account, today: dt.date) -> dict:
    """The account's snapshots of the last 26 weeks, its live override and latest judgement,
    and its ticket and survey counts: four queries."""
    since = today - dt.timedelta(weeks=TREND_WEEKS)
    snapshots = list(
        HealthSnapshot.objects.filter(account=account, week__gt=since)
        .annotate(model_dimensions=_model_weights_subquery())
        .order_by("week")
    )
    latest = snapshots[-1] if snapshots else None
    override = (
        HealthOverride.objects.filter(account=account, expires_on__gte=today)
        .select_related("created_by")
        .first()
    )
    judgement = HealthJudgement.objects.filter(account=account).select_related("created_by").first()
    signals = SupportTicket.objects.filter(account=account).aggregate(
        open_tickets=Count("pk", filter=Q(status__in=OPEN_TICKET_STATUSES)),
        open_p1=Count("pk", filter=Q(status__in=OPEN_TICKET_STATUSES, priority="p1")),
    )
    trend = line_chart(
        [f"{s.week:%d %b}" for s in snapshots],
        {"Health": [s.total for s in snapshots]},
        value_format="score",
        unit="of 100",
    )
    return {
        "latest": latest,
        "badge": BAND_BADGES.get(latest.band, "") if latest else "",
        "dimensions": dimension_rows(latest, _weights(latest)) if latest else None,
        "change": change_shown(latest.change, digits=1) if latest else None,
        "snapshots": snapshots,
        "trend": trend,
        "override": override,
        "override_badge": BAND_BADGES.get(override.band, "") if override else "",
        "judgement": judgement,
        **signals,
    }


def _weights(snapshot: HealthSnapshot) -> dict[str, float] | None:
    if snapshot.model_dimensions is None:
        return None
    return {d["key"]: float(d["weight"]) for d in snapshot.model_dimensions}


def account_health_panel(*, request, account: Account) -> dict:
    """The account page's health panel."""
    return {
        **account_health(account=account, today=timezone.localdate()),
        "can_edit": account_can_edit(membership=request.membership, account=account),
        "override_form": OverrideForm(),
        "judgement_form": JudgementForm(),
    }


SIGNALS_SHOWN = 100  # the latest tickets and surveys the account's signals page lists


def account_signals(*, account: Account) -> dict:
    """The account's latest tickets and surveys, newest first, with how many there are."""
    tickets = SupportTicket.objects.filter(account=account)
    surveys = SurveyResponse.objects.filter(account=account)
    return {
        "tickets": tickets.order_by("-opened_on", "-pk")[:SIGNALS_SHOWN],
        "ticket_count": tickets.count(),
        "surveys": surveys.select_related("respondent").order_by("-answered_on", "-pk")[
            :SIGNALS_SHOWN
        ],
        "survey_count": surveys.count(),
        "shown": SIGNALS_SHOWN,
    }


def health_model_list():
    return HealthModel.objects.order_by("position", "pk")


def recompute_list():
    return HealthRecompute.objects.select_related("started_by").order_by("-started_at", "-pk")


def recompute_progress(*, recompute: HealthRecompute) -> dict:
    return {"done": len(recompute.chunks_done), "total": recompute.chunk_count}


def renewal_outcomes(*, today: dt.date) -> pd.DataFrame:
    """Past renewals of the workspace's accounts and their outcomes (``quality.renewal_outcomes``
    says how they are read from the accounts and the ARR ledger): two queries."""
    accounts = Account.objects.filter(
        Q(contract_start__lte=today) | Q(renewal_date__lte=today)
    ).values_list("pk", "contract_start", "renewal_date", "status")
    movements = ArrMovement.objects.filter(
        kind__in=[MovementKind.CHURN, MovementKind.CONTRACTION, MovementKind.EXPANSION],
        date__lte=today + dt.timedelta(days=quality.RENEWAL_MOVEMENT_DAYS),
        reverses__isnull=True,
        reversal__isnull=True,
    ).values_list("account_id", "kind", "date")
    return quality.renewal_outcomes(
        pd.DataFrame(
            [
                (pk, start, renewal, status == AccountStatus.CHURNED)
                for pk, start, renewal, status in accounts
            ],
            columns=["account_id", "contract_start", "renewal_date", "churned"],
        ),
        pd.DataFrame(list(movements), columns=["account_id", "kind", "date"]),
        today,
    )


def renewal_history(*, today: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Past renewals with their outcome, and the snapshots 90 and 180 days before them: three
    queries."""
    outcomes = renewal_outcomes(today=today)
    weeks = {
        iso_week(renewal - dt.timedelta(days=days))
        for renewal in outcomes["renewal"]
        for days in quality.HORIZONS
    }
    snapshots = pd.DataFrame(
        list(
            HealthSnapshot.objects.filter(
                account_id__in=outcomes["account_id"].unique().tolist(), week__in=weeks
            ).values_list("account_id", "week", "scores")
        ),
        columns=["account_id", "week", "scores"],
    )
    return outcomes, snapshots


def latest_scores() -> pd.Series:
    """Each account's dimension scores (a dict) in its latest snapshot, by account id."""
    rows = (
        HealthSnapshot.objects.order_by("account_id", "-week")
        .distinct("account_id")
        .values_list("account_id", "scores")
    )
    return pd.Series(dict(rows), dtype=object)


def _latest_snapshot_subquery(column: str) -> Subquery:
    latest = HealthSnapshot.objects.filter(account_id=OuterRef("pk")).order_by("-week")
    return Subquery(latest.values(column)[:1])


def latest_band_subquery() -> Subquery:
    """The band of the account's latest snapshot, for the portfolio's one query."""
    return _latest_snapshot_subquery("band")


def latest_change_subquery() -> Subquery:
    """How far the account's latest score moved from the week before; null without both."""
    return _latest_snapshot_subquery("change")


def change_text(change: float | None) -> str:
    """A score change as the portfolio shows it beside the band: "+4 on last week"."""
    shown = change_shown(change)
    if shown is None:
        return ""
    return "unchanged on last week" if shown == "0" else f"{shown} on last week"


def latest_total_subquery() -> Subquery:
    """The score (0-100) of the account's latest snapshot; null when its data did not suffice."""
    return _latest_snapshot_subquery("total")


@dataclass(frozen=True)
class StoredBacktest:
    """What the quality page shows of a stored backtest: its figures, not its renewals."""

    pk: int
    week: dt.date
    computed_at: dt.datetime
    figures: dict


def backtest_overview() -> list[HealthModel]:
    """Every model in order, each with ``backtest`` (the latest computed backtest of its current
    version, a StoredBacktest, or None) and ``computing_since`` (when a newer one was requested
    that is not computed yet, or None): one query."""
    of_version = HealthBacktest.objects.filter(
        model=OuterRef("pk"), model_version=OuterRef("version")
    ).order_by("-week")
    computed = of_version.filter(computed_at__isnull=False)
    models = list(
        HealthModel.objects.annotate(
            **{
                f"backtest_{field}": Subquery(computed.values(field)[:1])
                for field in ("id", "week", "computed_at", "figures")
            },
            requested_at=Subquery(
                of_version.filter(computed_at__isnull=True).values("requested_at")[:1]
            ),
        ).order_by("position", "pk")
    )
    for model in models:
        model.backtest = (
            StoredBacktest(
                pk=model.backtest_id,
                week=model.backtest_week,
                computed_at=model.backtest_computed_at,
                figures=model.backtest_figures,
            )
            if model.backtest_id
            else None
        )
        newer = model.backtest is None or (
            model.requested_at and model.requested_at > model.backtest.computed_at
        )
        model.computing_since = model.requested_at if newer else None
    return models


def backtest_renewals(*, backtest_id: int) -> pd.DataFrame:
    """The scored renewals a backtest stored, columns ``quality.RENEWAL_FIELDS``: one query."""
    renewals = HealthBacktest.objects.values_list("renewals", flat=True).get(pk=backtest_id)
    return pd.DataFrame(renewals, columns=list(quality.RENEWAL_FIELDS))


def backtest_drill(
    *, backtest: HealthBacktest, days: int, part: str, band: str, outcome: str | None
) -> list[dict]:
    """Exactly the renewals behind one count of a backtest: those ``days`` before renewal in
    the fit or report set (``part``), in ``band``, with ``outcome`` if given; latest first,
    each with its account (None once deleted): one query besides the backtest's."""
    split = backtest.figures.get("split")
    renewals = pd.DataFrame(backtest.renewals, columns=list(quality.RENEWAL_FIELDS))
    # ISO dates compare as their strings do.
    earlier = renewals["renewal"] < split if split else pd.Series(False, index=renewals.index)
    in_part = earlier if part == "fit" else ~earlier
    chosen = renewals[in_part & (renewals["days"] == days) & (renewals["band"] == band)]
    if outcome:
        chosen = chosen[chosen["outcome"] == outcome]
    chosen = chosen.sort_values(["renewal", "account_id"], ascending=[False, True])
    accounts = Account.objects.in_bulk(chosen["account_id"].unique().tolist())
    return [
        {
            "account": accounts.get(account_id),
            "account_id": account_id,
            "renewal": dt.date.fromisoformat(renewal),
            "total": total,
            "outcome": renewal_outcome,
        }
        for account_id, renewal, renewal_outcome, total in chosen[
            ["account_id", "renewal", "outcome", "total"]
        ].itertuples(index=False)
    ]


def latest_snapshot(*, account: Account) -> HealthSnapshot | None:
    """The account's most recent weekly health snapshot, None before its first."""
    return (
        HealthSnapshot.objects.filter(account=account)
        .select_related("account")
        .order_by("-week")
        .first()
    )


def band_changes(*, week: dt.date, owner_id: int | None = None) -> list[dict]:
    """Accounts (one owner's when ``owner_id`` is given) whose band in ``week``'s snapshot
    differs from the week before's: ``account``, ``before``, ``after``, ``total``. Two queries,
    reading only those two weeks' stored snapshots."""
    previous = week - dt.timedelta(weeks=1)
    snapshots = HealthSnapshot.objects.filter(week__in=[week, previous])
    if owner_id is not None:
        snapshots = snapshots.filter(account__owner_id=owner_id)
    bands: dict[int, dict] = {}
    for account_id, snapshot_week, band, total in snapshots.values_list(
        "account_id", "week", "band", "total"
    ):
        bands.setdefault(account_id, {})[snapshot_week] = (band, total)
    changed = {
        account_id: weeks
        for account_id, weeks in bands.items()
        if week in weeks and previous in weeks and weeks[week][0] != weeks[previous][0]
    }
    accounts = Account.objects.filter(pk__in=changed).select_related("owner").order_by("name")
    return [
        {
            "account": account,
            "before": Band(changed[account.pk][previous][0]).label,
            "after": Band(changed[account.pk][week][0]).label,
            "total": changed[account.pk][week][1],
        }
        for account in accounts
    ]


def child_rows(accounts: QuerySet[Account]) -> list[rollup.ChildRow]:
    """``accounts`` as the roll-up reads them: ARR, renewal, highest ladder level, latest
    health and direct parent, the largest ARR first; one query."""
    rows = (
        accounts.annotate(
            level=highest_level_subquery(),
            band=latest_band_subquery(),
            total=latest_total_subquery(),
            parent_name=F("parent__name"),
        )
        .order_by("-arr", "name")
        .values(
            "pk", "name", "currency", "arr", "renewal_date", "level", "band", "total", "parent_name"
        )
    )
    return [
        rollup.ChildRow(
            account_id=row["pk"],
            **{key: row[key] for key in ("name", "currency", "arr", "renewal_date", "level")},
            band=row["band"],
            total=row["total"],
            parent_name=row["parent_name"] or "",
        )
        for row in rows
    ]


def account_children(*, account: Account) -> list[rollup.ChildRow]:
    """Every account below ``account`` (children, grandchildren and further down): one query."""
    return child_rows(Account.objects.filter(descendants_filter(account=account)))


@dataclass(frozen=True)
class GroupRollup:
    """A top parent and the roll-ups of every account below it, one per currency."""

    top: Account
    rollups: list[rollup.Rollup]


def group_rollups(*, today: dt.date, book: Q | None = None) -> list[GroupRollup]:
    """Every top parent in ``book`` with accounts below it, the figures of those accounts
    rolled up, the largest group first; three queries whatever the depth or the size."""
    tops = group_tops()
    parents = {
        top.pk: top
        for top in Account.objects.filter(book or Q(), pk__in=set(tops.values())).only("pk", "name")
    }
    below: dict[int, list[rollup.ChildRow]] = {}
    for row in child_rows(Account.objects.filter(pk__in=list(tops))):
        if tops[row.account_id] in parents:
            below.setdefault(tops[row.account_id], []).append(row)
    groups = [
        GroupRollup(top=parents[pk], rollups=rollup.rollup(rows, today=today))
        for pk, rows in below.items()
    ]
    return sorted(groups, key=lambda group: (-group.rollups[0].arr, group.top.name))


def account_group_panel(*, request, account: Account) -> dict:
    """The account page's group panel: the account's parent, and its child accounts with their
    figures rolled up (``health.rollup``). Two queries: the parent, the children."""
    parent = Account.objects.filter(pk=account.parent_id).only("pk", "name").first()
    rows = account_children(account=account)
    return {
        "parent": parent,
        "children": rows,
        "rollups": rollup.rollup(rows, today=timezone.localdate()),
        "band_badges": BAND_BADGES,
        "band_names": dict(Band.choices),
        "renewal_window": rollup.RENEWAL_WINDOW_DAYS,
    }


# ----------------------------------------------------------------------------- leaders' reads


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
    rose while usage and proof stood (``scoring.theatre_flags``)."""
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
