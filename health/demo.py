"""Demo steps of the health engine: support tickets, survey responses and two years of weekly
history."""

from __future__ import annotations

import datetime as dt
import json
import random

import numpy as np
import pandas as pd
from django.db import connection
from django.utils import timezone

from accounts.demo import DemoOptions, Progress, bulk_create_batched, demo_accounts
from accounts.models import AccountStatus
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
from health.quality import rescore
from health.selectors import renewal_outcomes
from health.services import (
    health_model_default_ensure,
    health_recompute,
    health_scores,
    iso_week,
    recompute_as_of,
    scoring_model_of,
)
from stakeholders.models import Interaction
from value.models import Evidence

HISTORY_WEEKS = 104  # two years: renewals of the last eighteen months have a score 180 days out
SCORED_WEEKS = 12  # the latest weeks, recomputed from the demo's signals
HISTORY_ACCOUNTS = 1_000  # drawn weeks for the first accounts only: a large build stays quick
WRITE_BATCH = 5_000
# How a renewal's outcome shows in the scores of the months before it, in points of the 0-10
# dimension scale; it builds from 300 to 150 days before the renewal and fades out over the
# eight weeks after it.
OUTCOME_SHIFT = {"churned": -2.5, "downgraded": -1.2, "renewed": 0.0, "expanded": 0.8}
SHIFT_RAMP_DAYS = (300, 150)
SHIFT_FADE_DAYS = 56
# How far each dimension follows an account's drift and shifts: usage and support first.
DRIFT_LOADING = {
    "usage": 1.3,
    "support": 1.1,
    "sentiment": 1.1,
    "stakeholders": 1.0,
    "engagement": 0.9,
    "value_proof": 0.6,
    "ladder": 0.5,
}
DRIFT_PERSISTENCE = 0.95  # weekly autocorrelation of the drift
DRIFT_STEP = 0.45  # its weekly shock, in points
WEEKLY_NOISE = 0.25
ANCHOR_DEFAULT = 5.0  # every dimension's score where the history ends, when none was scored
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


def demo_interactions_settle(
    *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
) -> None:
    """Leave the "updated evidence" tag only on conversations at accounts that have evidence.

    The stakeholders step writes the conversations before the value step writes the evidence
    (the value step needs the Owners the stakeholders step adds), so this is the first step
    that sees both; health reads both apps, and the scores it builds next read the tag.
    """
    with_evidence = Evidence.dangerously_unscoped.filter(workspace=workspace).values("account_id")
    Interaction.dangerously_unscoped.filter(workspace=workspace, updated_evidence=True).exclude(
        account_id__in=with_evidence
    ).update(updated_evidence=False)


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
    """Two years of weekly snapshots, so the model-quality page has past renewals to judge the
    score on. The latest SCORED_WEEKS are recomputed from the demo's signals, oldest first so
    each records its change; the weeks before them, when no signals were kept, are drawn in
    bulk (``_drawn_history_write``)."""
    HealthSnapshot.dangerously_unscoped.filter(workspace=workspace).delete()
    HealthRecompute.dangerously_unscoped.filter(workspace=workspace).delete()
    this_week = iso_week(options.today)
    first_scored = this_week - dt.timedelta(weeks=SCORED_WEEKS - 1)
    _drawn_history_write(
        workspace=workspace,
        generator=np.random.default_rng(rng.getrandbits(32)),
        today=options.today,
        first_scored=first_scored,
        progress=progress,
    )
    with progress(total=SCORED_WEEKS, desc="health weeks") as bar:
        for weeks_ago in range(SCORED_WEEKS - 1, -1, -1):
            health_recompute(workspace=workspace, week=this_week - dt.timedelta(weeks=weeks_ago))
            bar.update()


def _outcome_shift(days_before: np.ndarray) -> np.ndarray:
    """The share of a renewal's outcome shift in the scores ``days_before`` it."""
    ramp_start, ramp_end = SHIFT_RAMP_DAYS
    return np.interp(
        days_before, [-SHIFT_FADE_DAYS, 0, ramp_end, ramp_start], [0, 1, 1, 0], left=0, right=0
    )


def _drawn_history_write(
    *,
    workspace: Workspace,
    generator: np.random.Generator,
    today: dt.date,
    first_scored: dt.date,
    progress: Progress,
) -> None:
    """Weekly snapshots before ``first_scored`` of the first HISTORY_ACCOUNTS demo accounts.

    Each account starts from the dimension scores it has in the week ``first_scored`` (an
    account churned by then from those of another account) and drifts from them,
    backwards in time, as a persistent random walk. Around each past renewal its scores shift
    by OUTCOME_SHIFT of the outcome the ARR ledger records for it: a churn is preceded by
    months of falling scores, an expansion by rising ones, both blurred by the drift and by
    weekly noise, so the score predicts the outcome as a tendency, not a rule. The shift of an
    account still active fades out towards ``first_scored``, where the recomputed weeks take
    over. Rows are written with ``executemany`` in batches, not as model instances.
    """
    published = health_model_default_ensure(workspace=workspace)
    model = scoring_model_of(published)
    keys = [d.key for d in model.dimensions]
    accounts = list(
        demo_accounts(workspace=workspace)
        .order_by("pk")
        .values_list("pk", "status", "contract_start")[:HISTORY_ACCOUNTS]
    )
    if not accounts:
        return
    ids = [pk for pk, _status, _start in accounts]
    _frame, scored = health_scores(
        first_id=ids[0], last_id=ids[-1], as_of=recompute_as_of(first_scored, today)
    )
    anchor = _anchors(ids=ids, scored=scored["scores"], keys=keys, generator=generator)
    weeks, scores, present = _drawn_scores(
        accounts=accounts,
        anchor=anchor,
        keys=keys,
        generator=generator,
        today=today,
        first_scored=first_scored,
    )
    _snapshots_write(
        workspace=workspace,
        published=published,
        ids=ids,
        weeks=weeks,
        drawn=(keys, scores, present),
        progress=progress,
    )


def _drawn_scores(
    *,
    accounts: list[tuple],
    anchor: np.ndarray,
    keys: list[str],
    generator: np.random.Generator,
    today: dt.date,
    first_scored: dt.date,
) -> tuple[list[dt.date], np.ndarray, np.ndarray]:
    """The history's weeks, the dimension scores (by week, account and dimension) drifting from
    ``anchor`` and shifted around renewals, and which (week, account) cells exist."""
    weeks = [
        first_scored - dt.timedelta(weeks=n) for n in range(HISTORY_WEEKS - SCORED_WEEKS, 0, -1)
    ]
    shift, present = _outcome_shifts(accounts=accounts, weeks=weeks, today=today)
    active = np.array([status == AccountStatus.ACTIVE for _pk, status, _start in accounts])
    days_left = np.array([(first_scored - week).days for week in weeks])
    taper = np.where(active[None, :], np.clip(days_left[:, None] / SHIFT_FADE_DAYS, 0, 1), 1.0)
    moved = _drift(len(weeks), len(accounts), generator) + shift * taper
    loading = np.array([DRIFT_LOADING.get(key, 1.0) for key in keys])
    noise = generator.normal(0, WEEKLY_NOISE, (len(weeks), len(accounts), len(keys)))
    scores = np.clip(anchor[None, :, :] + moved[:, :, None] * loading + noise, 0, 10).round(2)
    return weeks, scores, present


def _snapshots_write(
    *,
    workspace: Workspace,
    published,
    ids: list[int],
    weeks: list[dt.date],
    drawn: tuple[list[str], np.ndarray, np.ndarray],
    progress: Progress,
) -> None:
    """Rescore the drawn scores with the published model; write them as weekly snapshots."""
    keys, scores, present = drawn
    model = scoring_model_of(published)
    week_index, row_index = np.nonzero(present)
    order = np.lexsort((week_index, row_index))  # by account, then week: for the change
    week_index, row_index = week_index[order], row_index[order]
    dicts = pd.Series(
        [
            {k: None if np.isnan(v) else float(v) for k, v in zip(keys, values, strict=True)}
            for values in scores[week_index, row_index]
        ],
        dtype=object,
    )
    rescored = rescore(dicts, model)
    account_ids = np.array(ids)[row_index]
    change = rescored["total"].groupby(account_ids).diff().round(1)
    ops = connection.ops
    computed_at = ops.adapt_datetimefield_value(timezone.now())
    week_values = [ops.adapt_datefield_value(week) for week in weeks]
    rows = [
        (
            workspace.pk,
            int(account_id),
            week_values[week],
            None if pd.isna(total) else float(total),
            band,
            json.dumps(scores_of),
            "{}",
            published.name,
            published.version,
            None if pd.isna(moved_by) else float(moved_by),
            "",
            computed_at,
        )
        for account_id, week, total, band, scores_of, moved_by in zip(
            account_ids, week_index, rescored["total"], rescored["band"], dicts, change, strict=True
        )
    ]
    columns = (
        "workspace_id", "account_id", "week", "total", "band", "scores", "drivers",
        "model_name", "model_version", "change", "theatre", "computed_at",
    )  # fmt: skip
    sql = (
        f"INSERT INTO {HealthSnapshot._meta.db_table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with progress(total=len(rows), desc="health history") as bar, connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            cursor.executemany(sql, batch)
            bar.update(len(batch))


def _anchors(
    *, ids: list[int], scored: pd.Series, keys: list[str], generator: np.random.Generator
) -> np.ndarray:
    """anchor[account, dimension]: where each account's drawn weeks end, NaN for no data. An
    account without a score then (churned before) takes those of a random scored account."""
    others = list(scored) or [dict.fromkeys(keys, ANCHOR_DEFAULT)]
    anchor = np.full((len(ids), len(keys)), np.nan)
    for row, account_id in enumerate(ids):
        scores = scored.get(account_id) or others[generator.integers(len(others))]
        anchor[row] = [np.nan if scores.get(k) is None else scores[k] for k in keys]
    return anchor


def _drift(weeks: int, accounts: int, generator: np.random.Generator) -> np.ndarray:
    """drift[week, account]: a persistent random walk, run backwards from zero at the end."""
    drift = np.zeros((weeks, accounts))
    level = np.zeros(accounts)
    for index in range(weeks - 1, -1, -1):
        level = DRIFT_PERSISTENCE * level + generator.normal(0, DRIFT_STEP, accounts)
        drift[index] = level
    return drift


def _outcome_shifts(
    *, accounts: list[tuple], weeks: list[dt.date], today: dt.date
) -> tuple[np.ndarray, np.ndarray]:
    """shift[week, account], the pull of the account's renewal outcomes on its scores, and
    present[week, account]: whether it was a customer that week (after its contract start,
    before its churn)."""
    position = {account_id: row for row, (account_id, _s, _c) in enumerate(accounts)}
    shift = np.zeros((len(weeks), len(accounts)))
    present = np.ones_like(shift, dtype=bool)
    for account_id, renewal, outcome in renewal_outcomes(today=today).itertuples(index=False):
        row = position.get(account_id)
        if row is None:
            continue
        days_before = np.array([(renewal - week).days for week in weeks])
        shift[:, row] += OUTCOME_SHIFT[outcome] * _outcome_shift(days_before)
        if outcome == "churned":
            present[:, row] &= days_before >= 0
    for row, (_pk, _status, start) in enumerate(accounts):
        if start is not None:
            present[:, row] &= np.array([week >= iso_week(start) for week in weeks])
    return shift, present
