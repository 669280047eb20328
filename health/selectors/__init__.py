"""Reads of the health engine for pages: each a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import (
    Count,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from accounts.models import Account, AccountStatus, ArrMovement, MovementKind
from accounts.selectors.hierarchy import descendants_filter, group_tops
from accounts.services import account_can_edit
from csos.charts import line_chart
from health import quality, rollup
from health.forms import JudgementForm, OverrideForm
from health.models import (
    OPEN_TICKET_STATUSES,
    Band,
    HealthJudgement,
    HealthModel,
    HealthOverride,
    HealthRecompute,
    HealthSnapshot,
    SupportTicket,
    SurveyResponse,
)
from health.scoring import CALCULATORS, iso_week
from health.weighting import DEFAULT_MODEL
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


def group_rollups(
    *, today: dt.date, rates: Mapping[str, Decimal], home: str, book: Q | None = None
) -> list[GroupRollup]:
    """Every top parent in ``book`` with accounts below it, the figures of those accounts
    rolled up, the largest group by ARR in ``home`` first; three queries whatever the depth or
    the size. Accounts in a currency of ``rates`` (what one unit is worth in ``home``) roll up
    together in ``home``; each other currency rolls up on its own."""
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
        GroupRollup(
            top=parents[pk],
            rollups=rollup.rollup(
                rollup.in_home_currency(rows, rates=rates, home=home), today=today
            ),
        )
        for pk, rows in below.items()
    ]
    return sorted(groups, key=lambda group: (-_arr_in(group, home), group.top.name))


def _arr_in(group: GroupRollup, currency: str) -> Decimal:
    return next((total.arr for total in group.rollups if total.currency == currency), Decimal(0))


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
