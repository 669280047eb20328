"""Reads of playbooks for pages."""

import datetime as dt
from datetime import date

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from accounts.services import account_can_edit
from csos.models import LEADER_ROLES, Membership, Role
from health.loader import active_users
from health.models import (
    OPEN_TICKET_STATUSES,
    HealthSnapshot,
    SupportTicket,
    SurveyResponse,
    TicketPriority,
)
from health.selectors.renewals import account_renewal_odds
from playbooks import brief
from playbooks.models import PlaybookSettings, Task, TaskStatus
from playbooks.segments.load import (  # noqa: F401 (the CSM load page reads them from here)
    allocation_overview,
    rebalancing_plan,
)
from playbooks.sentiment import WINDOW_DAYS, Text, sentiment_shift
from stakeholders.models import (
    KEY_ROLES,
    HandoffPromise,
    Interaction,
    InteractionKind,
    PromiseStatus,
    Stakeholder,
    StakeholderChange,
    StakeholderRole,
)
from stakeholders.selectors import stakeholders_as_of
from value.selectors import account_pursuits


def open_tasks(
    *, assignee_id: int | None = None, assignee_email: str | None = None
) -> QuerySet[Task]:
    """Open tasks, soonest due first; one person's when ``assignee_id`` or ``assignee_email``
    (either case) is given."""
    tasks = Task.objects.filter(status=TaskStatus.OPEN).select_related("account", "assignee")
    if assignee_id is not None:
        tasks = tasks.filter(assignee_id=assignee_id)
    if assignee_email is not None:
        tasks = tasks.filter(assignee__email__iexact=assignee_email)
    return tasks.order_by("due_on", "pk")


def task_list(
    *,
    assignee_id: int | None,
    overdue_on: date | None = None,
    playbook: str | None = None,
    account_id: int | None = None,
) -> QuerySet[Task]:
    """Open tasks, soonest due first: one person's unless ``assignee_id`` is None, overdue on
    ``overdue_on``, of one playbook (the cause's kind), of one account."""
    tasks = open_tasks(assignee_id=assignee_id)
    if overdue_on is not None:
        tasks = tasks.filter(due_on__lt=overdue_on)
    if playbook is not None:
        tasks = tasks.filter(playbook=playbook)
    if account_id is not None:
        tasks = tasks.filter(account_id=account_id)
    return tasks


def account_tasks_panel(*, request, account) -> dict:
    """The account page's panel: the account's open tasks, soonest due first, in one query."""
    return {
        "account": account,
        "tasks": list(open_tasks().filter(account=account)),
        "today": timezone.localdate(),
        "can_edit": account_can_edit(membership=request.membership, account=account),
    }


PANEL_TASKS = 8  # tasks the portfolio panel lists; the rest are on My tasks


def portfolio_tasks_panel(*, request) -> dict:
    """The portfolio page's panel: the member's own open tasks, soonest due first, in one
    query (one row more than shown, to know whether My tasks holds more)."""
    tasks = list(
        Task.objects.filter(status=TaskStatus.OPEN, assignee_id=request.user.pk)
        .order_by("due_on", "pk")
        .values("pk", "title", "due_on", "priority", "reason", "account_id", "account__name")[
            : PANEL_TASKS + 1
        ]
    )
    return {
        "tasks": tasks[:PANEL_TASKS],
        "more": len(tasks) > PANEL_TASKS,
        "today": timezone.localdate(),
        "my_tasks_url": reverse("my_tasks"),
        # Rows link as prefix + id: one reverse, not one a row.
        "account_url_prefix": reverse("account_detail", args=[0]).removesuffix("0/"),
    }


def escalation_leader_id() -> int | None:
    """The leader overdue tasks are escalated to: the workspace's longest-standing leader
    (earliest membership, the first created on a tie), else its longest-standing admin, so every
    run picks the same person. CSOS keeps no reporting line between a CSM and one leader."""
    return (
        Membership.objects.filter(role__in=LEADER_ROLES)
        .order_by(Case(When(role=Role.LEADER, then=Value(0)), default=Value(1)), "created_at", "pk")
        .values_list("user_id", flat=True)
        .first()
    )


def playbook_settings() -> PlaybookSettings:
    """The workspace's playbook settings, or the defaults (unsaved) where it has set none."""
    return PlaybookSettings.objects.first() or PlaybookSettings()


# Conversations with the customer, not notes or mail: what ends a silence.
CONVERSATION_KINDS = (
    InteractionKind.MEETING,
    InteractionKind.CALL,
    InteractionKind.BUSINESS_REVIEW,
)
BROKEN_PROMISES = (PromiseStatus.BROKEN, PromiseStatus.DISPUTED)


def _account_url(account: Account, panel: str = "") -> str:
    url = reverse("account_detail", args=[account.pk])
    return f"{url}#panel-{panel}" if panel else url


def _snapshot(account: Account, today: dt.date) -> HealthSnapshot | None:
    return (
        HealthSnapshot.objects.filter(account=account, week__lte=today)
        .only("week", "band", "total", "scores")
        .order_by("-week")
        .first()
    )


def _use_cases(account: Account) -> tuple[brief.UseCaseFact, ...]:
    source = brief.Source("Use cases", reverse("value_account_use_cases", args=[account.pk]))
    facts = []
    for pursuit in account_pursuits(account=account):
        reasons = pursuit.reasons or []
        gap = reasons[pursuit.level] if pursuit.level < len(reasons) else ""
        facts.append(
            brief.UseCaseFact(
                pursuit.use_case.name, pursuit.level, gap.removeprefix("Not reached: "), source
            )
        )
    return tuple(facts)


def _people(
    account: Account, today: dt.date
) -> tuple[tuple[brief.Departure, ...], tuple[str, ...]]:
    since = today - dt.timedelta(days=WINDOW_DAYS)
    departures = tuple(
        brief.Departure(
            change.stakeholder.display_name,
            change.get_role_display(),
            change.left_on,
            brief.Source(
                change.stakeholder.display_name,
                reverse("stakeholder_edit", args=[change.stakeholder_id]),
            ),
        )
        for change in StakeholderChange.objects.filter(
            account=account, left_on__gt=since, left_on__lte=today
        ).select_related("stakeholder")
    )
    on_map = Stakeholder.objects.filter(account=account, added_on__lte=today).exclude(
        left_on__lte=today
    )
    present = set(stakeholders_as_of(on_map, as_of=today).values_list("role_then", flat=True))
    missing = tuple(StakeholderRole(role).label for role in KEY_ROLES if role not in present)
    return departures, missing


def _tickets(account: Account, today: dt.date) -> dict:
    recent = today - dt.timedelta(days=WINDOW_DAYS)
    prior = recent - dt.timedelta(days=WINDOW_DAYS)
    still_open = Q(status__in=OPEN_TICKET_STATUSES) | Q(closed_on__gt=today)
    return SupportTicket.objects.filter(account=account, opened_on__lte=today).aggregate(
        open_tickets=Count("pk", filter=still_open),
        open_p1=Count("pk", filter=still_open & Q(priority=TicketPriority.P1)),
        tickets_recent=Count("pk", filter=Q(opened_on__gt=recent)),
        tickets_prior=Count("pk", filter=Q(opened_on__gt=prior, opened_on__lte=recent)),
    )


def _texts(account: Account, today: dt.date) -> tuple[list[Text], dict, Interaction | None]:
    """The notes and survey comments of the two sentiment windows, the source of each, and
    the latest conversation."""
    since = today - dt.timedelta(days=2 * WINDOW_DAYS)
    texts, sources = [], {}
    interactions = Interaction.objects.filter(
        account=account, occurred_on__gt=since, occurred_on__lte=today
    ).only("pk", "kind", "title", "occurred_on", "summary", "decisions")
    for interaction in interactions:
        ref = ("interaction", interaction.pk)
        texts.append(
            Text(interaction.occurred_on, f"{interaction.summary}\n{interaction.decisions}", ref)
        )
        sources[ref] = brief.Source(
            f"{interaction.get_kind_display()}: {interaction.title}",
            reverse("interaction_edit", args=[interaction.pk]),
        )
    surveys = SurveyResponse.objects.filter(
        account=account, answered_on__gt=since, answered_on__lte=today
    ).exclude(comment="")
    signals = reverse("account_signals", args=[account.pk])
    for survey in surveys.only("pk", "kind", "answered_on", "comment"):
        ref = ("survey", survey.pk)
        texts.append(Text(survey.answered_on, survey.comment, ref))
        sources[ref] = brief.Source(
            f"{survey.get_kind_display()} comment, {survey.answered_on}", signals
        )
    latest = (
        Interaction.objects.filter(
            account=account, kind__in=CONVERSATION_KINDS, occurred_on__lte=today
        )
        .only("pk", "kind", "title", "occurred_on")
        .order_by("-occurred_on", "-pk")
        .first()
    )
    return texts, sources, latest


def _broken_promises(account: Account) -> tuple[brief.Promise, ...]:
    source = brief.Source("Sales handoff", _account_url(account, "handoff-promises"))
    return tuple(
        brief.Promise(promise.outcome, promise.get_status_display(), source)
        for promise in HandoffPromise.objects.filter(
            handoff__account=account, status__in=BROKEN_PROMISES
        )
    )


def account_brief_facts(*, account: Account, today: dt.date) -> brief.BriefFacts:
    """What the account brief's rules read of ``account``, each fact with the record it cites,
    as of ``today``: nothing dated later is read. A fixed number of queries."""
    snapshot = _snapshot(account, today)
    active, prior = active_users(account_id=account.pk, as_of=today)
    departures, missing = _people(account, today)
    texts, text_sources, latest = _texts(account, today)
    tasks = Task.objects.filter(account=account, status=TaskStatus.OPEN)
    task_counts = tasks.aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
    first_task = tasks.order_by("due_on", "pk").only("title").first()
    signals = brief.Source("Tickets and surveys", reverse("account_signals", args=[account.pk]))
    return brief.BriefFacts(
        today=today,
        account=brief.Source(account.name, _account_url(account)),
        band=snapshot.band if snapshot else None,
        total=snapshot.total if snapshot else None,
        health_week=snapshot.week if snapshot else None,
        health=brief.Source("Health", _account_url(account, "health")),
        licensed_seats=account.licensed_seats,
        active_users=active,
        active_users_prior=prior,
        usage=brief.Source("Usage", reverse("value_account_use_cases", args=[account.pk])),
        use_cases=_use_cases(account),
        departures=departures,
        missing_roles=missing,
        stakeholders=brief.Source("Stakeholder map", _account_url(account, "stakeholder-map")),
        **_tickets(account, today),
        support=signals,
        sentiment=sentiment_shift(texts, today=today),
        sentiment_sources=text_sources,
        last_conversation=latest.occurred_on if latest else None,
        conversation=(
            brief.Source(latest.title, reverse("interaction_edit", args=[latest.pk]))
            if latest
            else brief.Source("Conversations", reverse("timeline", args=[account.pk]))
        ),
        open_tasks=task_counts["open"],
        overdue_tasks=task_counts["overdue"],
        tasks=brief.Source(
            f"Task: {first_task.title}" if first_task else "My tasks", reverse("my_tasks")
        ),
        promises=_broken_promises(account),
        renewal_date=account.renewal_date,
        renewal=brief.Source("Account", _account_url(account)),
        renewal_odds=account_renewal_odds(
            account=account,
            band=snapshot.band if snapshot else None,
            ladder=snapshot.scores.get("ladder") if snapshot else None,
            today=today,
        ),
        forecast=brief.Source("Renewal forecast", reverse("renewal_forecast")),
    )


def account_brief_panel(*, request, account: Account) -> dict:
    """The brief on the meeting prep sheet: the same lines as its own page. Its queries:
    the latest snapshot, active users, use cases, departures,
    the people on the map, tickets, notes, survey comments, the last conversation, tasks (2),
    promises, and the renewal odds (4)."""
    facts = account_brief_facts(account=account, today=timezone.localdate())
    return {"lines": brief.brief_lines(facts), "heading_suffix": "-prep"}


# The playbooks a threat to the renewal fires: a band turning Red or worsening to Yellow, a key
# stakeholder leaving, a task escalated to a leader.
RISK_PLAYBOOKS = ("save", "outreach", "remap", "escalation")


def open_risk_tasks_subquery() -> Coalesce:
    """How many open tasks of the risk playbooks the account has, 0 when none."""
    tasks = (
        Task.objects.filter(
            account=OuterRef("pk"), status=TaskStatus.OPEN, playbook__in=RISK_PLAYBOOKS
        )
        .order_by()
        .values("account")
        .annotate(count=Count("id"))
        .values("count")
    )
    return Coalesce(Subquery(tasks, output_field=IntegerField()), Value(0))
