"""Reads of the attention queue: every input of the ranking in one query, whatever the portfolio's
size, ranked by ``playbooks.attention``."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

import pandas as pd
from django.db.models import (
    Count,
    DateField,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from accounts.models import Account, AccountStatus, Motion
from csos.models import LEADER_ROLES, Membership, Role
from csos.selectors import rate_to_workspace_currency
from health.selectors import latest_band_subquery, latest_change_subquery
from playbooks import attention
from playbooks.attention import FACTORS, AttentionWeights
from playbooks.models import AttentionSettings, Task, TaskStatus
from stakeholders.selectors import (
    last_conversation_subquery,
    overdue_milestones_subquery,
    people_changes_subquery,
)
from value.selectors import unproven_claims_subquery, unrealised_value_subquery

QUEUE_SIZE = 25  # entries the page shows; the export holds the whole ranking
PEOPLE_WINDOW_DAYS = 30
CONVERTED_ARR = "arr_converted"

WEIGHT_FIELDS = tuple(field.name for field in fields(AttentionWeights))

# The automated nudge a digital account gets for the factor that weighs most on it.
NUDGES = {
    "risk": "Health check-in e-mail asking what gets in the way",
    "trend": "Health check-in e-mail asking what gets in the way",
    "renewal": "Renewal reminder with the value proven so far",
    "arr": "Renewal reminder with the value proven so far",
    "value_delta": "Adoption guide for the use cases not yet proven",
    "work": "Reminder of the open steps of the success plan",
    "stakeholders": "Welcome sequence for the account's new contacts",
    "silence": "Re-engagement e-mail to the account's contacts",
    "unproven": "Survey asking the customer to confirm the value claimed",
}


def attention_settings() -> AttentionSettings:
    """The workspace's attention weights, or the defaults (unsaved) where it has set none."""
    return AttentionSettings.objects.first() or AttentionSettings()


def attention_weights(settings: AttentionSettings) -> AttentionWeights:
    return AttentionWeights(**{name: getattr(settings, name) for name in WEIGHT_FIELDS})


def _task_count(*, today: dt.date, overdue: bool) -> Coalesce:
    tasks = Task.objects.filter(account=OuterRef("pk"), status=TaskStatus.OPEN).filter(
        Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=today)
    )
    if overdue:
        tasks = tasks.filter(due_on__lt=today)
    grouped = tasks.order_by().values("account").annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(grouped), Value(0))


class _DaysBetween(Func):
    """``later - earlier`` in whole days: PostgreSQL subtracts two dates to an integer, so the
    day counts arrive as numbers instead of dates to convert one by one."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()


def attention_inputs(*, accounts: QuerySet[Account], today: dt.date) -> pd.DataFrame:
    """The ranking's input frame for ``accounts``, read in one query. Numbers arrive as floats
    and integers (day counts computed by PostgreSQL), ready for the ranking's numpy arithmetic."""
    rate = rate_to_workspace_currency(currency_field="currency", on=today)
    on_today = Value(today, output_field=DateField())
    read = {
        attention.BAND: latest_band_subquery(),
        attention.CHANGE: Cast(latest_change_subquery(), FloatField()),
        # Named apart from the model's own ``arr``, which holds the unconverted figure.
        CONVERTED_ARR: Cast(F("arr") * rate, FloatField()),
        attention.VALUE_DELTA: Cast(unrealised_value_subquery(), FloatField()),
        "open_tasks": _task_count(today=today, overdue=False),
        "overdue_tasks": _task_count(today=today, overdue=True),
        "overdue_milestones": overdue_milestones_subquery(today=today),
        attention.STAKEHOLDER_CHANGES: people_changes_subquery(
            since=today - dt.timedelta(days=PEOPLE_WINDOW_DAYS), until=today
        ),
        attention.RENEWAL_DAYS: _DaysBetween(F("renewal_date"), on_today),
        attention.SILENCE_DAYS: _DaysBetween(on_today, last_conversation_subquery(until=today)),
        attention.UNPROVEN_CLAIMS: unproven_claims_subquery(),
    }
    rows = (
        accounts.filter(status=AccountStatus.ACTIVE)
        .annotate(**read)
        .order_by()
        .values_list("pk", "name", *read)
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=[attention.ACCOUNT_ID, "name", *read]
    ).rename(columns={CONVERTED_ARR: attention.ARR})
    for column in (attention.CHANGE, attention.RENEWAL_DAYS, attention.SILENCE_DAYS):
        frame[column] = frame[column].astype(float)  # NaN where there is none
    frame[attention.OPEN_ITEMS] = frame["open_tasks"] + frame["overdue_milestones"]
    frame[attention.OVERDUE_ITEMS] = frame["overdue_tasks"]
    return frame


def _reason_text(key: str, row: pd.Series) -> str:
    """What the data behind one factor says about the account, in words."""
    if key == "risk":
        return f"{str(row[attention.BAND]).capitalize()} band"
    if key == "trend":
        return f"health score {row[attention.CHANGE]:+.0f} on last week"
    if key == "renewal":
        days = int(row[attention.RENEWAL_DAYS])
        return f"renewal {days} days ago" if days < 0 else f"renews in {days} days"
    if key == "arr":
        return f"ARR {row[attention.ARR]:,.0f}"
    if key == "value_delta":
        return f"{row[attention.VALUE_DELTA]:,.0f} of value not yet proven"
    if key == "work":
        return (
            f"{row['open_tasks']} open tasks ({row['overdue_tasks']} overdue), "
            f"{row['overdue_milestones']} overdue milestones"
        )
    if key == "stakeholders":
        return f"{row[attention.STAKEHOLDER_CHANGES]} departures or role changes in 30 days"
    if key == "silence":
        days = row[attention.SILENCE_DAYS]
        return "no conversation yet" if pd.isna(days) else f"{int(days)} days since a conversation"
    return f"{row[attention.UNPROVEN_CLAIMS]} unproven claims before the renewal"


def attention_entries(ranked: pd.DataFrame, weights: AttentionWeights) -> list[dict]:
    """The page's entries for ranked rows: the account, its score and its reasons."""
    entries = []
    for position, (_, row) in enumerate(ranked.iterrows(), start=1):
        reasons = [
            {
                "key": key,
                "label": FACTORS[key][0],
                "points": points,
                "weight": weights.weight(key),
                # Shown as formatted here: the template's floatformat costs more per entry.
                "shown": f"{points:.1f} of {round(weights.weight(key), 2):g}",
                "text": _reason_text(key, row),
            }
            for key, points in attention.attention_reasons(row)
        ]
        entries.append(
            {
                "position": position,
                "account_id": int(row[attention.ACCOUNT_ID]),
                "name": row["name"],
                "score": float(row[attention.SCORE]),
                "score_shown": f"{float(row[attention.SCORE]):.1f}",
                "reasons": reasons,
                "nudge": NUDGES[reasons[0]["key"]] if reasons else "",
            }
        )
    return entries


def attention_ranking(*, accounts: QuerySet[Account], today: dt.date) -> tuple:
    """(ranked frame, weights) for ``accounts``: two queries, the settings and the inputs."""
    weights = attention_weights(attention_settings())
    frame = attention_inputs(accounts=accounts, today=today)
    return attention.attention_rank(frame, weights), weights


def csm_queue_accounts(*, owner_id: int) -> QuerySet[Account]:
    """A named CSM's queue: the accounts they own, less the digital ones, which are nudged."""
    return Account.objects.filter(owner_id=owner_id).exclude(motion=Motion.DIGITAL)


def pooled_queue_accounts() -> QuerySet[Account]:
    return Account.objects.filter(motion=Motion.DIGITAL)


def queue_owners() -> list[Membership]:
    """The members whose queue a leader can open: everyone who may own accounts."""
    return list(
        Membership.objects.filter(role__in=[Role.CSM, *LEADER_ROLES]).select_related("user")
    )


def opens_pooled_queue(*, membership: Membership) -> bool:
    """Leaders, and CSMs who work pooled accounts, open the pooled queue."""
    if membership.sees_all_portfolios:
        return True
    return (
        membership.role == Role.CSM
        and Account.objects.filter(owner_id=membership.user_id, motion=Motion.POOLED).exists()
    )
