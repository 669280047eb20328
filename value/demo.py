"""The demo's value data: a framework, six months of daily usage with trends, evidence, levels.

It runs after the stakeholders step (``stakeholders`` precedes ``value`` in INSTALLED_APPS):
ROI claims are proven as in life, by the account's Owner answering a confirmation link sent to
them, and rebuilding the stakeholders would leave those answers without their stakeholder.

Usage is generated for the first ``options.usage_accounts`` demo accounts only (by external
id), so a fresh ``make run`` stays quick; the other accounts pursue use cases with no usage and
sit at level 0, as customers that never reported usage would. Rows are generated with
numpy and written with one ``executemany`` per batch, not as model instances.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import DateTimeField, OuterRef, Subquery
from django.db.models.functions import Cast

from accounts.demo import (
    USE_CASE_NAMES,
    DemoOptions,
    Progress,
    bulk_create_batched,
    demo_accounts,
)
from accounts.models import Account
from csos.models import SharedLink, Workspace
from framework.models import UseCase
from value import ladder
from value.demo_usage import METRICS, demo_usage_write
from value.models import (
    AccountUseCase,
    ConfirmationOutcome,
    ConfirmationRequest,
    EventMapping,
    EventMeasure,
    Evidence,
    EvidenceSource,
    EvidenceStatus,
    Threshold,
    UsageMetric,
    UsageRecord,
)
from value.services import CONFIRMATION_LIFETIME, CONFIRMATION_PURPOSE, ladder_refresh

# The events the demo product tracks, the metric each counts into, and how.
EVENT_MAPPINGS = (
    ("Session Started", "active_users", EventMeasure.DISTINCT_USERS),
    ("Ticket Auto-Triaged", "tickets_triaged", EventMeasure.COUNT),
    ("Workflow Run", "workflows_run", EventMeasure.COUNT),
    ("Report Viewed", "reports_viewed", EventMeasure.COUNT),
    ("Dashboard Viewed", "reports_viewed", EventMeasure.COUNT),
)

# For each of USE_CASE_NAMES, in order: outcome, meanings (1-4), implicit and assisted value,
# engagement metric and weekly amount per seat it must reach
USE_CASES = (
    (
        "Faster first response at lower support cost",
        ("Support agents are active in the product.", "Tickets are routed automatically.",
         "First-response time fell against its baseline.", "Support ties it to cost."),
        (20_000, 60_000),
        ("tickets_triaged", 5),
    ),
    (
        "Decisions made on current data without analyst queues",
        ("Managers sign in.", "Reports are opened every week.",
         "Hours spent building reports fell.", "Finance confirms the analyst time saved."),
        (10_000, 35_000),
        ("reports_viewed", 2),
    ),
    (
        "Manual hand-offs removed from core processes",
        ("Process owners are active.", "Automated workflows run daily.",
         "Cycle time of the process fell.", "Operations confirms the cost per case fell."),
        (25_000, 90_000),
        ("workflows_run", 3.5),
    ),
    (
        "One source of truth across the customer's tools",
        ("Admins set up the workspace.", "Integrations stay live.",
         "Duplicate data entry fell.", "IT confirms tools retired or licences saved."),
        (8_000, 30_000),
        ("integrations_live", 0.03),
    ),
    (
        "Leaders steer from shared dashboards",
        ("Executives have access.", "Dashboards are reviewed weekly.",
         "Meetings run from dashboards, not decks.", "The sponsor links it to a strategic goal."),
        (5_000, 25_000),
        ("reports_viewed", 1),
    ),
)  # fmt: skip


def demo_value_build(
    *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
) -> None:
    """Replace the demo's framework, usage, pursuits and evidence, then compute every ladder."""
    accounts = demo_accounts(workspace=workspace)
    Evidence.dangerously_unscoped.filter(workspace=workspace).delete()
    UsageRecord.dangerously_unscoped.filter(workspace=workspace).delete()
    UseCase.dangerously_unscoped.filter(workspace=workspace).delete()
    UsageMetric.dangerously_unscoped.filter(workspace=workspace).delete()

    metrics, use_cases = _framework_write(workspace=workspace)
    rows = list(
        accounts.order_by("external_id").values_list("id", "licensed_seats", "lifecycle_stage")
    )
    _pursuits_write(workspace=workspace, rows=rows, use_cases=use_cases, rng=rng, progress=progress)
    demo_usage_write(
        workspace=workspace,
        accounts=rows[: options.usage_accounts],
        metrics=metrics,
        rng=rng,
        today=options.today,
        progress=progress,
    )
    ladder_refresh(as_of=options.today)
    _evidence_write(workspace=workspace, rng=rng, today=options.today, progress=progress)
    ladder_refresh(as_of=options.today)


def _framework_write(*, workspace: Workspace) -> tuple[dict[str, UsageMetric], list[UseCase]]:
    """The demo's metrics, event mappings, use cases and their presence and engagement
    thresholds."""
    metrics = {
        key: UsageMetric.dangerously_unscoped.create(
            workspace=workspace, key=key, name=name, unit=unit, aggregation=aggregation
        )
        for key, name, unit, aggregation, _per_seat in METRICS
    }
    EventMapping.dangerously_unscoped.bulk_create(
        [
            EventMapping(workspace=workspace, event=event, metric=metrics[key], measure=measure)
            for event, key, measure in EVENT_MAPPINGS
        ]
    )
    use_cases = []
    for name, (outcome, meanings, values, (metric_key, weekly_per_seat)) in zip(
        USE_CASE_NAMES, USE_CASES, strict=True
    ):
        use_case = UseCase.dangerously_unscoped.create(
            workspace=workspace,
            name=name,
            outcome=outcome,
            description=outcome + ".",
            presence_meaning=meanings[0],
            engagement_meaning=meanings[1],
            value_meaning=meanings[2],
            roi_meaning=meanings[3],
            implicit_value=Decimal(values[0]),
            assisted_value=Decimal(values[1]),
        )
        Threshold.dangerously_unscoped.bulk_create(
            [
                Threshold(
                    workspace=workspace,
                    use_case=use_case,
                    level=1,
                    metric=metrics["active_users"],
                    minimum=Decimal("0.5"),
                    per_seat=True,
                ),
                Threshold(
                    workspace=workspace,
                    use_case=use_case,
                    level=2,
                    metric=metrics[metric_key],
                    minimum=Decimal(str(weekly_per_seat)),
                    per_seat=True,
                ),
            ]
        )
        use_cases.append(use_case)
    return metrics, use_cases


def _pursuits_write(
    *,
    workspace: Workspace,
    rows: list[tuple],
    use_cases: list[UseCase],
    rng: random.Random,
    progress: Progress,
) -> None:
    """One to three use cases per account, pursued since the account's contract started."""
    pursuits = []
    for account_id, _seats, _stage in rows:
        for use_case in rng.sample(use_cases, rng.randint(1, 3)):
            pursuits.append(
                AccountUseCase(workspace=workspace, account_id=account_id, use_case=use_case)
            )
    bulk_create_batched(
        AccountUseCase.dangerously_unscoped, pursuits, progress=progress, desc="use cases"
    )
    # Each account has pursued its use cases since its contract started, so the past weeks the
    # demo scores have the ladder they would have had.
    contract_start = Account.dangerously_unscoped.filter(pk=OuterRef("account_id"))
    AccountUseCase.dangerously_unscoped.filter(workspace=workspace).update(
        created_at=Cast(Subquery(contract_start.values("contract_start")[:1]), DateTimeField())
    )


def _active_owners(workspace: Workspace) -> dict[int, tuple[int, str, str]]:
    """Each demo account's first Owner still in place with an e-mail, as (id, name, e-mail)."""
    stakeholder = ConfirmationRequest._meta.get_field("stakeholder").related_model
    owners: dict[int, tuple[int, str, str]] = {}
    for account_id, *owner in (
        stakeholder.dangerously_unscoped.filter(
            workspace=workspace, role=ladder.OWNER, left_on__isnull=True
        )
        .exclude(email="")
        .order_by("id")
        .values_list("account_id", "id", "name", "email")
    ):
        owners.setdefault(account_id, tuple(owner))
    return owners


def _evidence_write(
    *, workspace: Workspace, rng: random.Random, today: date, progress: Progress
) -> None:
    """Claims on engaged pursuits: mostly proven, some stale, unproven or disputed; some ROI.

    ROI claims are sent to the account's Owner and confirmed by their answer, as the ladder
    requires: an account whose map has no Owner in place gets none, and stops at level 3.
    """
    owners = _active_owners(workspace)
    answers: list[tuple[Evidence, tuple[int, str, str], date]] = []
    engaged = list(
        AccountUseCase.dangerously_unscoped.filter(workspace=workspace, level__gte=2)
        .order_by("id")
        .values_list("account_id", "use_case_id", "use_case__name")
    )
    claims = []
    for account_id, use_case_id, name in engaged:
        draw = rng.random()
        if draw < 0.25:
            continue
        claim = _value_claim(
            workspace=workspace,
            pursuit=(account_id, use_case_id, name),
            draw=draw,
            rng=rng,
            today=today,
        )
        claims.append(claim)
        if claim.status == EvidenceStatus.PROVEN and draw > 0.8 and account_id in owners:
            saving = rng.randint(20, 200) * 1_000
            roi = Evidence(
                workspace=workspace,
                account_id=account_id,
                use_case_id=use_case_id,
                level=4,
                claim=f"{name} saves {saving:,} a year, agreed in the business review.",
                metric_name="Annual saving",
                baseline=Decimal(0),
                current=Decimal(saving),
                unit="USD a year",
                source=EvidenceSource.SURVEY,
            )
            claims.append(roi)
            answers.append((roi, owners[account_id], today - timedelta(days=rng.randint(5, 90))))
    bulk_create_batched(Evidence.dangerously_unscoped, claims, progress=progress, desc="evidence")
    _owner_answers_write(workspace=workspace, answers=answers, progress=progress)


def _value_claim(
    *,
    workspace: Workspace,
    pursuit: tuple[int, int, str],
    draw: float,
    rng: random.Random,
    today: date,
) -> Evidence:
    """A level-3 claim on one pursuit (account, use case, its name): proven, stale, unproven or
    disputed as ``draw`` falls."""
    account_id, use_case_id, name = pursuit
    baseline = rng.randint(20, 60)
    current = round(baseline * rng.uniform(0.4, 0.85))
    status, confirmed_on = EvidenceStatus.PROVEN, today - timedelta(days=rng.randint(5, 150))
    if draw < 0.35:
        confirmed_on = today - timedelta(days=rng.randint(200, 400))  # stale
    elif draw < 0.45:
        status, confirmed_on = EvidenceStatus.UNPROVEN, None
    elif draw < 0.5:
        status = EvidenceStatus.DISPUTED
    return Evidence(
        workspace=workspace,
        account_id=account_id,
        use_case_id=use_case_id,
        level=3,
        claim=f"{name}: hours spent per week fell from {baseline} to {current}.",
        metric_name="Hours per week",
        baseline=Decimal(baseline),
        current=Decimal(current),
        unit="hours",
        source=rng.choice([EvidenceSource.USAGE, EvidenceSource.CUSTOMER]),
        confirmed_by_name="Customer team lead" if status == EvidenceStatus.PROVEN else "",
        confirmed_on=confirmed_on,
        status=status,
    )


def _owner_answers_write(
    *,
    workspace: Workspace,
    answers: list[tuple[Evidence, tuple[int, str, str], date]],
    progress: Progress,
) -> None:
    """Each ROI claim sent to its Owner through a link they answered, confirming, on its day:
    the rows ``evidence_confirmation_send`` and ``_respond`` leave, written in bulk."""
    answered_at = [datetime.combine(day, time(10), tzinfo=UTC) for _claim, _owner, day in answers]
    links = [
        SharedLink(
            workspace=workspace,
            purpose=CONFIRMATION_PURPOSE,
            target_id=claim.pk,
            expires_at=at + CONFIRMATION_LIFETIME,
            used_at=at,
        )
        for (claim, _owner, _day), at in zip(answers, answered_at, strict=True)
    ]
    bulk_create_batched(SharedLink.dangerously_unscoped, links, progress=progress, desc="links")
    requests = [
        ConfirmationRequest(
            workspace=workspace,
            evidence=claim,
            link=link,
            stakeholder_id=owner_id,
            confirmer_name=owner_name,
            confirmer_email=owner_email,
            outcome=ConfirmationOutcome.CONFIRMED,
            responded_at=at,
            answered_role=ladder.OWNER,
            answered_active=True,
        )
        for (claim, (owner_id, owner_name, owner_email), _day), link, at in zip(
            answers, links, answered_at, strict=True
        )
    ]
    bulk_create_batched(
        ConfirmationRequest.dangerously_unscoped, requests, progress=progress, desc="answers"
    )
    for (claim, (owner_id, owner_name, _email), day), request in zip(
        answers, requests, strict=True
    ):
        Evidence.dangerously_unscoped.filter(pk=claim.pk).update(
            status=EvidenceStatus.PROVEN,
            confirmation=request,
            confirmed_on=day,
            confirmed_by_stakeholder_id=owner_id,
            confirmed_by_name=owner_name,
        )
