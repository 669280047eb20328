"""Build the scoring frame of a range of accounts with a fixed number of set-based queries.

Each signal is aggregated per account in the database (one GROUP BY query per source), never
read row by row: 90 days of daily usage stay in PostgreSQL. An account with no rows in a source
gets NaN there, which scores as insufficient data, except for counts (below). The ladder level
is the one value's rules derive from the inputs of the day scored, not the stored one.

Every source is read as of the end of the day scored, by the date each fact became true (usage
day, ticket opened and closed, survey answered, person added and left, dated roles and
sentiments, claims as their history recorded them), so a past week scored again after later
data arrived scores as it did.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.db.models import Avg, Case, Count, F, FloatField, Max, Q, Value, When
from django.db.models.functions import Cast

from accounts.models import Account, AccountStatus
from health import scoring as s
from health.models import (
    OPEN_TICKET_STATUSES,
    SURVEY_RANGE,
    SupportTicket,
    SurveyKind,
    SurveyResponse,
    TicketPriority,
)
from stakeholders.models import KEY_ROLES, Interaction, Stakeholder, StakeholderRole
from stakeholders.selectors import stakeholders_as_of
from value import ladder
from value.models import Evidence, UsageRecord
from value.selectors.ladder_inputs import evidence_as_of, ladder_frame

ACTIVE_USERS_METRIC = "active_users"  # the usage metric counting distinct active users per day
USAGE_WINDOW_DAYS = 28
SURVEY_WINDOW_DAYS = 180
DEPARTURE_WINDOW_DAYS = 90
# Stakeholder sentiment on the 0-10 scale of the score module.
SENTIMENT_POINTS = {"positive": 10.0, "neutral": 5.0, "negative": 0.0}
# Interactions that count as meaningful contact; a note to self does not.
MEANINGFUL_KINDS = ("meeting", "call", "email", "business_review")


def _frame(queryset, columns: list[str]) -> pd.DataFrame:
    rows = list(queryset.values_list("account_id", *columns))
    return pd.DataFrame.from_records(rows, columns=["account_id", *columns]).set_index("account_id")


def account_frame(*, first_id: int, last_id: int) -> pd.DataFrame:
    """The active accounts with ids in [first_id, last_id]: segment and licensed seats."""
    accounts = Account.objects.filter(
        pk__gte=first_id, pk__lte=last_id, status=AccountStatus.ACTIVE
    ).annotate(account_id=F("pk"))
    return _frame(accounts.order_by("pk"), ["segment", s.LICENSED_SEATS])


def _in_range(queryset, first_id: int, last_id: int):
    return queryset.filter(account_id__gte=first_id, account_id__lte=last_id).order_by()


def _tickets(first_id: int, last_id: int, as_of: dt.date) -> pd.DataFrame:
    # Open on ``as_of``: opened by then and not closed by then. A closed ticket with no closing
    # date counts as closed, as nothing says when it was still open.
    open_tickets = Q(opened_on__lte=as_of) & (
        Q(status__in=OPEN_TICKET_STATUSES) | Q(closed_on__gt=as_of)
    )
    counts = {
        column: Count("pk", filter=open_tickets & Q(priority=priority))
        for column, priority in (
            (s.OPEN_P1, TicketPriority.P1),
            (s.OPEN_P2, TicketPriority.P2),
            (s.OPEN_P3, TicketPriority.P3),
            (s.OPEN_P4, TicketPriority.P4),
        )
    }
    queryset = _in_range(SupportTicket.objects, first_id, last_id).values("account_id")
    return _frame(queryset.annotate(**counts), list(counts))


def _surveys(first_id: int, last_id: int, as_of: dt.date) -> pd.DataFrame:
    nps_low, nps_high = SURVEY_RANGE[SurveyKind.NPS]
    csat_low, csat_high = SURVEY_RANGE[SurveyKind.CSAT]
    score = Cast("score", FloatField())
    normalised = Case(
        When(kind=SurveyKind.NPS, then=(score - nps_low) * 10.0 / (nps_high - nps_low)),
        default=(score - csat_low) * 10.0 / (csat_high - csat_low),
        output_field=FloatField(),
    )
    window = SurveyResponse.objects.filter(
        answered_on__gt=as_of - dt.timedelta(days=SURVEY_WINDOW_DAYS), answered_on__lte=as_of
    )
    queryset = _in_range(window, first_id, last_id).values("account_id")
    return _frame(
        queryset.annotate(**{s.SURVEY_SCORE: Avg(normalised), s.SURVEY_COUNT: Count("pk")}),
        [s.SURVEY_SCORE, s.SURVEY_COUNT],
    )


def _usage(first_id: int, last_id: int, as_of: dt.date) -> pd.DataFrame:
    window_start = as_of - dt.timedelta(days=USAGE_WINDOW_DAYS)
    prior_start = window_start - dt.timedelta(days=USAGE_WINDOW_DAYS)
    records = UsageRecord.objects.filter(
        metric__key=ACTIVE_USERS_METRIC, day__gt=prior_start, day__lte=as_of
    )
    queryset = _in_range(records, first_id, last_id).values("account_id")
    return _frame(
        queryset.annotate(
            **{
                s.ACTIVE_USERS: Max("value", filter=Q(day__gt=window_start)),
                s.ACTIVE_USERS_PRIOR: Max("value", filter=Q(day__lte=window_start)),
            }
        ),
        [s.ACTIVE_USERS, s.ACTIVE_USERS_PRIOR],
    )


def active_users(*, account_id: int, as_of: dt.date) -> tuple[float | None, float | None]:
    """One account's active users in the usage window up to ``as_of`` and in the window
    before, read as the score reads them: a window without a report, when the other has one,
    had nobody active; (None, None) when neither has."""
    frame = _usage(account_id, account_id, as_of)
    if account_id not in frame.index:
        return None, None
    row = frame.loc[account_id].fillna(0)
    return float(row[s.ACTIVE_USERS]), float(row[s.ACTIVE_USERS_PRIOR])


def _ladder(account_ids: list[int], as_of: dt.date) -> pd.DataFrame:
    """The best level each account reached on ``as_of`` and the claims it rests on, derived
    from the ladder's inputs of that day, never the stored level, which is today's: the
    proven evidence the score counts is exactly what value's ladder counted then."""
    levels = ladder_frame(account_ids=account_ids, as_of=as_of, as_recorded=True)
    best = levels.groupby(ladder.ACCOUNT)[ladder.LEVEL].max()
    frame = best.rename(s.LADDER_LEVEL).rename_axis("account_id").to_frame()
    counted = {claim for proofs in levels[ladder.PROOFS] for claim in proofs}
    claims = evidence_as_of(Evidence.objects.filter(pk__in=counted), as_of=as_of)
    proofs = _frame(
        claims.values("account_id").annotate(
            **{s.PROVEN_EVIDENCE: Count("pk"), "latest_proof": Max("confirmed_on_then")}
        ),
        [s.PROVEN_EVIDENCE, "latest_proof"],
    )
    latest = pd.to_datetime(proofs.pop("latest_proof"))
    proofs[s.DAYS_SINCE_PROOF] = (pd.Timestamp(as_of) - latest).dt.days
    return frame.join(proofs, how="outer")


def _stakeholders(first_id: int, last_id: int, as_of: dt.date) -> pd.DataFrame:
    # On the map on ``as_of``: added by then and not left by then, whatever the status is now,
    # in the role and with the sentiment of that day.
    active = Q(added_on__lte=as_of) & (Q(left_on__isnull=True) | Q(left_on__gt=as_of))
    departed = Q(
        role_then__in=KEY_ROLES,
        left_on__gt=as_of - dt.timedelta(days=DEPARTURE_WINDOW_DAYS),
        left_on__lte=as_of,
    )
    sentiment = Case(
        *(When(sentiment_then=key, then=Value(points)) for key, points in SENTIMENT_POINTS.items()),
        default=None,
        output_field=FloatField(),
    )
    people = stakeholders_as_of(_in_range(Stakeholder.objects, first_id, last_id), as_of=as_of)
    queryset = people.values("account_id")
    return _frame(
        queryset.annotate(
            **{
                s.OWNERS_ACTIVE: Count("pk", filter=active & Q(role_then=StakeholderRole.OWNER)),
                s.CHAMPIONS_ACTIVE: Count(
                    "pk", filter=active & Q(role_then=StakeholderRole.CHAMPION)
                ),
                s.KEY_DEPARTURES: Count("pk", filter=departed),
                s.STAKEHOLDER_SENTIMENT: Avg(sentiment, filter=active),
            }
        ),
        [s.OWNERS_ACTIVE, s.CHAMPIONS_ACTIVE, s.KEY_DEPARTURES, s.STAKEHOLDER_SENTIMENT],
    )


def _interactions(first_id: int, last_id: int, as_of: dt.date) -> pd.DataFrame:
    meaningful = Interaction.objects.filter(kind__in=MEANINGFUL_KINDS, occurred_on__lte=as_of)
    queryset = _in_range(meaningful, first_id, last_id).values("account_id")
    frame = _frame(queryset.annotate(latest=Max("occurred_on")), ["latest"])
    latest = pd.to_datetime(frame.pop("latest"))
    frame[s.DAYS_SINCE_INTERACTION] = (pd.Timestamp(as_of) - latest).dt.days
    return frame


# Zero, not NaN, for an account with no rows in a source: no open ticket is a fact.
COUNT_COLUMNS = (
    s.OPEN_P1,
    s.OPEN_P2,
    s.OPEN_P3,
    s.OPEN_P4,
    s.SURVEY_COUNT,
    s.PROVEN_EVIDENCE,
    s.OWNERS_ACTIVE,
    s.CHAMPIONS_ACTIVE,
    s.KEY_DEPARTURES,
)


def scoring_frame(*, first_id: int, last_id: int, as_of: dt.date) -> pd.DataFrame:
    """One row per active account with id in [first_id, last_id], every input column of the
    score module filled from a fixed number of queries, each reading only what was true by the
    end of ``as_of``: scoring a past week again after later data arrived gives the same frame."""
    frame = account_frame(first_id=first_id, last_id=last_id)
    sources = [
        _tickets(first_id, last_id, as_of),
        _surveys(first_id, last_id, as_of),
        _usage(first_id, last_id, as_of),
        _ladder(frame.index.tolist(), as_of),
        _stakeholders(first_id, last_id, as_of),
        _interactions(first_id, last_id, as_of),
    ]
    for source in sources:
        frame = frame.join(source, how="left")
    for column in s.INPUT_COLUMNS:
        if column not in frame.columns:
            frame[column] = np.nan
        elif column in COUNT_COLUMNS:
            frame[column] = frame[column].fillna(0)
    if s.ACTIVE_USERS in frame.columns:
        # Usage reported at all, but not in a window, means nobody was active then.
        reported = frame[s.ACTIVE_USERS].notna() | frame[s.ACTIVE_USERS_PRIOR].notna()
        frame.loc[reported, [s.ACTIVE_USERS, s.ACTIVE_USERS_PRIOR]] = frame.loc[
            reported, [s.ACTIVE_USERS, s.ACTIVE_USERS_PRIOR]
        ].fillna(0)
    for column in s.INPUT_COLUMNS:
        if column != "segment":
            frame[column] = frame[column].astype(float)
    return frame
