"""Demo steps of the health engine: support tickets, survey responses and weekly history."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from accounts.demo import DemoOptions, Progress, bulk_create_batched, demo_accounts
from csos.models import Workspace
from health.models import (
    HealthRecompute,
    HealthSnapshot,
    SupportTicket,
    SurveyKind,
    SurveyResponse,
    TicketPriority,
    TicketStatus,
)
from health.services import health_recompute, iso_week

HISTORY_WEEKS = 12
SIGNAL_DAYS = 180
SUBJECTS = (
    "Single sign-on fails for new users",
    "Report export times out",
    "Billing question",
    "API rate limit reached",
    "Dashboard shows stale data",
    "Cannot invite more users",
)
PRIORITY_WEIGHTS = (
    (TicketPriority.P1, 1),
    (TicketPriority.P2, 3),
    (TicketPriority.P3, 6),
    (TicketPriority.P4, 4),
)
COMMENTS = ("", "", "Support was quick.", "Too hard to onboard new staff.", "Great value so far.")


def demo_health_signals_build(
    *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
) -> None:
    """Tickets and surveys over the last six months; a struggling account gets more of the
    first and lower scores in the second."""
    today = timezone.localdate()
    accounts = list(demo_accounts(workspace=workspace).order_by("pk").values_list("pk", flat=True))
    SupportTicket.dangerously_unscoped.filter(workspace=workspace, account_id__in=accounts).delete()
    SurveyResponse.dangerously_unscoped.filter(
        workspace=workspace, account_id__in=accounts
    ).delete()
    priorities = [p for p, _w in PRIORITY_WEIGHTS]
    weights = [w for _p, w in PRIORITY_WEIGHTS]
    tickets, surveys = [], []
    for account_id in accounts:
        strain = rng.random()  # 0 calm, 1 struggling
        for _ in range(rng.choices(range(6), weights=[4, 4, 3, 2, 1, 1 + 4 * strain])[0]):
            opened = today - dt.timedelta(days=rng.randrange(SIGNAL_DAYS))
            still_open = (today - opened).days < 21 and rng.random() < 0.5 + strain / 2
            tickets.append(
                SupportTicket(
                    workspace=workspace,
                    account_id=account_id,
                    external_id=f"DEMO-T{len(tickets) + 1:06d}",
                    subject=rng.choice(SUBJECTS),
                    priority=rng.choices(priorities, weights=weights)[0],
                    status=TicketStatus.OPEN if still_open else TicketStatus.CLOSED,
                    opened_on=opened,
                    closed_on=None
                    if still_open
                    else opened + dt.timedelta(days=rng.randrange(1, 10)),
                )
            )
        for _ in range(rng.randrange(4)):
            nps = rng.random() < 0.7
            centre = 8.5 - 5 * strain if nps else 4.4 - 2.4 * strain
            low, high = (0, 10) if nps else (1, 5)
            surveys.append(
                SurveyResponse(
                    workspace=workspace,
                    account_id=account_id,
                    kind=SurveyKind.NPS if nps else SurveyKind.CSAT,
                    score=min(high, max(low, round(rng.gauss(centre, 1.2)))),
                    comment=rng.choice(COMMENTS),
                    respondent_name=rng.choice(("Sam Ortiz", "Lee Park", "Ana Ruiz", "Kim Dahl")),
                    answered_on=today - dt.timedelta(days=rng.randrange(SIGNAL_DAYS)),
                )
            )
    bulk_create_batched(
        SupportTicket.dangerously_unscoped, tickets, progress=progress, desc="tickets"
    )
    bulk_create_batched(
        SurveyResponse.dangerously_unscoped, surveys, progress=progress, desc="surveys"
    )


def demo_health_history_build(
    *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
) -> None:
    """Weekly snapshots of the last twelve weeks, oldest first so each records its change."""
    HealthSnapshot.dangerously_unscoped.filter(workspace=workspace).delete()
    HealthRecompute.dangerously_unscoped.filter(workspace=workspace).delete()
    this_week = iso_week(timezone.localdate())
    with progress(total=HISTORY_WEEKS, desc="health weeks") as bar:
        for weeks_ago in range(HISTORY_WEEKS - 1, -1, -1):
            health_recompute(workspace=workspace, week=this_week - dt.timedelta(weeks=weeks_ago))
            bar.update()
