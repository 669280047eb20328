"""Reads of stakeholders, plans, handoffs and interactions; each a fixed number of queries."""

import csv
import io
from datetime import date, timedelta

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from accounts.models import Account
from csos.models import SharedLink
from csos.search import forgiving_trigrams
from stakeholders.change_logs import change_count, no_change_conditions
from stakeholders.flags import AccountFacts, Departure, Flag, Thresholds, account_flags
from stakeholders.models import (
    KEY_ROLES,
    FlagThresholds,
    HandoffPromise,
    Interaction,
    InteractionParticipant,
    Milestone,
    MilestoneStatus,
    Objective,
    PlanStatus,
    RoleGuide,
    SalesHandoff,
    Stakeholder,
    StakeholderChange,
    StakeholderRole,
    StakeholderState,
    SuccessPlan,
)
from stakeholders.sharing import PLAN_SHARE_PURPOSE

THRESHOLD_FIELDS = (
    "plan_due_days",
    "review_due_days",
    "departure_signal_days",
    "theatre_window_days",
    "theatre_min_interactions",
)
# Roles in the order the map shows them: from the conditions to the value.
MAP_ROLES = (
    StakeholderRole.ENABLER,
    StakeholderRole.PRODUCER,
    StakeholderRole.CHAMPION,
    StakeholderRole.OWNER,
)


def stakeholders_as_of(people: QuerySet[Stakeholder], *, as_of: date) -> QuerySet[Stakeholder]:
    """``people`` with the role and sentiment each had at the end of ``as_of`` (``role_then``,
    ``sentiment_then``), from their dated states; someone with no state at all (recorded before
    states were kept) has their current ones, and someone whose first state is later, none."""
    states = StakeholderState.objects.filter(stakeholder=OuterRef("pk"))
    latest = states.filter(since__lte=as_of).order_by("-since", "-id")

    def then(name: str):
        return Coalesce(
            Subquery(latest.values(name)[:1]),
            Case(When(~Exists(states), then=F(name)), default=None),
        )

    return people.annotate(role_then=then("role"), sentiment_then=then("sentiment"))


def flag_thresholds() -> Thresholds:
    """The workspace's thresholds, or the defaults where it has not set its own."""
    row = FlagThresholds.objects.values(*THRESHOLD_FIELDS).first()
    return Thresholds(**row) if row else Thresholds()


def stakeholder_list(*, account: Account) -> QuerySet[Stakeholder]:
    """The account's stakeholders, each with the date of the last interaction they took part in."""
    return Stakeholder.objects.filter(account=account).annotate(
        last_engaged_on=Max("interactions__occurred_on")
    )


def account_stakeholder_rows(*, account: Account) -> QuerySet[Stakeholder]:
    """The account's stakeholders as the API lists them, oldest first."""
    return Stakeholder.objects.filter(account=account).select_related("account").order_by("pk")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def role_guides() -> dict[str, dict[str, list[str]]]:
    """The workspace's stakeholder model: per role its messages, metrics and forums."""
    guides = {role: {"messages": [], "metrics": [], "forums": []} for role in StakeholderRole}
    for guide in RoleGuide.objects.all():
        guides[guide.role] = {
            "messages": _lines(guide.messages),
            "metrics": _lines(guide.metrics),
            "forums": _lines(guide.forums),
        }
    return guides


def stakeholder_map(*, account: Account, today: date) -> dict:
    """The four roles side by side: their people, the gaps, and the framework's guide per role."""
    people = list(stakeholder_list(account=account))
    guides = role_guides()
    columns = []
    for role in MAP_ROLES:
        in_role = [person for person in people if person.role == role]
        active = [person for person in in_role if not person.has_left]
        gaps = []
        if not active:
            left = [person for person in in_role if person.has_left]
            if left:
                latest = max(left, key=lambda person: person.left_on)
                days = (today - latest.left_on).days
                gaps.append(f"{role.label} left {days} day{'' if days == 1 else 's'} ago")
            else:
                gaps.append(f"No {role.label}")
        columns.append({"role": role, "people": in_role, "gaps": gaps, "guide": guides[role]})
    return {"columns": columns, "count": len(people)}


def account_facts(*, account: Account, thresholds: Thresholds, today: date) -> AccountFacts:
    """What the flags read of one account, in five queries whatever its size."""
    plan = (
        SuccessPlan.objects.filter(account=account, status=PlanStatus.ACTIVE)
        .annotate(ownerless=Count("objectives", filter=Q(objectives__owner__isnull=True)))
        .only("starts_on", "last_reviewed_on")
        .first()
    )
    departures = tuple(
        Departure(role_label=StakeholderRole(role).label, left_on=left_on)
        for role, left_on in StakeholderChange.objects.filter(
            account=account,
            role__in=KEY_ROLES,
            left_on__gte=today - timedelta(days=thresholds.departure_signal_days),
        ).values_list("role", "left_on")
    )
    after = today - timedelta(days=thresholds.theatre_window_days)
    meetings = (
        Interaction.objects.filter(account=account, occurred_on__gt=after, occurred_on__lte=today)
        .filter(Exists(InteractionParticipant.objects.filter(interaction=OuterRef("pk"))))
        .count()
    )
    plan_changes = SuccessPlan.objects.filter(account=account).aggregate(
        started=Count("id", filter=Q(starts_on__gt=after, starts_on__lte=today), distinct=True),
        reviewed=Count(
            "reviews",
            filter=Q(reviews__reviewed_on__gt=after, reviews__reviewed_on__lte=today),
            distinct=True,
        ),
    )
    # Evidence lives in value, above this app: its change log is registered with this one.
    evidence_changes = change_count(account=account, after=after, today=today)
    return AccountFacts(
        contract_start=account.contract_start,
        has_plan=plan is not None,
        plan_reviewed_or_started_on=plan.reviewed_or_started_on if plan else None,
        objectives_without_owner=plan.ownerless if plan else 0,
        departures=departures,
        meetings_in_window=meetings,
        evidence_changes_in_window=evidence_changes,
        plan_changes_in_window=plan_changes["started"] + plan_changes["reviewed"],
    )


def relationship_theatre_accounts(*, today: date, book: Q | None = None) -> QuerySet[Account]:
    """The accounts the relationship theatre flag (``flags.account_flags``) names today, read
    for all of them at once from the same facts ``account_facts`` reads of one: at least the
    threshold of meetings in the window, and no claim changed, plan started or plan reviewed in
    it. Each carries ``meetings_in_window``."""
    thresholds = flag_thresholds()
    after = today - timedelta(days=thresholds.theatre_window_days)
    meetings = (
        Interaction.objects.filter(
            account=OuterRef("pk"), occurred_on__gt=after, occurred_on__lte=today
        )
        .filter(Exists(InteractionParticipant.objects.filter(interaction=OuterRef("pk"))))
        .order_by()
        .values("account")
        .annotate(count=Count("id"))
        .values("count")
    )
    plan_changes = SuccessPlan.objects.filter(account=OuterRef("pk")).filter(
        Q(starts_on__gt=after, starts_on__lte=today)
        | Q(reviews__reviewed_on__gt=after, reviews__reviewed_on__lte=today)
    )
    return (
        Account.objects.filter(book or Q())
        .annotate(meetings_in_window=Coalesce(Subquery(meetings[:1]), 0))
        .filter(meetings_in_window__gte=thresholds.theatre_min_interactions)
        .filter(*no_change_conditions(after=after, today=today), ~Exists(plan_changes))
    )


def account_flag_list(*, account: Account, today: date) -> list[Flag]:
    thresholds = flag_thresholds()
    facts = account_facts(account=account, thresholds=thresholds, today=today)
    return account_flags(facts, thresholds=thresholds, today=today)


def active_plan(*, account: Account) -> SuccessPlan | None:
    """The account's active plan with its objectives (and owners) and milestones."""
    return (
        SuccessPlan.objects.filter(account=account, status=PlanStatus.ACTIVE)
        .prefetch_related(
            Prefetch("objectives", queryset=Objective.objects.select_related("owner", "use_case")),
            Prefetch("milestones", queryset=Milestone.objects.all()),
        )
        .first()
    )


def archived_plans(*, account: Account) -> QuerySet[SuccessPlan]:
    return SuccessPlan.objects.filter(account=account, status=PlanStatus.ARCHIVED)


def account_handoff(*, account: Account) -> SalesHandoff | None:
    return (
        SalesHandoff.objects.filter(account=account).prefetch_related("promises", "people").first()
    )


def promise_list(*, account: Account) -> QuerySet[HandoffPromise]:
    return HandoffPromise.objects.filter(handoff__account=account)


def interaction_list(*, account: Account) -> QuerySet[Interaction]:
    """The account's timeline, newest first, with participants and next-action owners."""
    return (
        Interaction.objects.filter(account=account)
        .select_related("next_action_owner")
        .prefetch_related(Prefetch("participants", queryset=Stakeholder.objects.order_by("name")))
    )


def share_link_list(*, plan: SuccessPlan) -> QuerySet[SharedLink]:
    return SharedLink.objects.filter(purpose=PLAN_SHARE_PURPOSE, target_id=plan.pk)


def _count(queryset: QuerySet, by: str) -> Coalesce:
    grouped = queryset.order_by().values(by).annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(grouped, output_field=IntegerField()), Value(0))


def people_changes_subquery(*, since: date, until: date) -> Coalesce:
    """How many of the account's people left, or took another role, between the two days, as
    an expression over an account queryset. A role change is a state whose role differs from
    the person's state before it."""
    earlier_other_role = StakeholderState.objects.filter(
        stakeholder=OuterRef("stakeholder"), since__lt=OuterRef("since")
    ).exclude(role=OuterRef("role"))
    departures = Stakeholder.objects.filter(
        account=OuterRef("pk"), left_on__gte=since, left_on__lte=until
    )
    role_changes = StakeholderState.objects.filter(
        stakeholder__account=OuterRef("pk"), since__gte=since, since__lte=until
    ).filter(Exists(earlier_other_role))
    return _count(departures, "account") + _count(role_changes, "stakeholder__account")


def last_conversation_subquery(*, until: date) -> Subquery:
    """The day of the account's latest interaction on or before ``until`` that a customer
    took part in (an internal note with no participant is no conversation); null if none."""
    spoken = (
        Interaction.objects.filter(account=OuterRef("pk"), occurred_on__lte=until)
        .filter(Exists(InteractionParticipant.objects.filter(interaction=OuterRef("pk"))))
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )
    return Subquery(spoken, output_field=DateField())


def overdue_milestones_subquery(*, today: date) -> Coalesce:
    """Milestones of the account's active plan due before ``today`` and not done or missed."""
    overdue = Milestone.objects.filter(
        plan__account=OuterRef("pk"),
        plan__status=PlanStatus.ACTIVE,
        due_on__lt=today,
        status__in=[MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS],
    )
    return _count(overdue, "plan__account")


SEARCH_LIMIT = 10  # matches a search shows of each kind


def stakeholder_search(*, text: str) -> list[dict]:
    """People whose name or e-mail matches ``text``, typos allowed, best match first; erased
    people keep no name to match."""
    similarity = Greatest(TrigramWordSimilarity(text, "name"), TrigramWordSimilarity(text, "email"))
    with forgiving_trigrams():
        return list(
            Stakeholder.objects.filter(erased_at__isnull=True)
            .filter(
                Q(name__icontains=text)
                | Q(email__icontains=text)
                | Q(name__trigram_word_similar=text)
                | Q(email__trigram_word_similar=text)
            )
            .annotate(similarity=similarity)
            .order_by("-similarity", "pk")
            .values("pk", "name", "email", "role", "account_id", "account__name")[:SEARCH_LIMIT]
        )


# ---- personal data export --------------------------------------------------------------

EXPORT_FIELDS = (
    "name",
    "email",
    "title",
    "role",
    "influence",
    "sentiment",
    "status",
    "added_on",
    "left_on",
    "notes",
)


def stakeholder_export(*, stakeholder: Stakeholder) -> dict:
    """Everything CSOS holds about one person: their record, conversations and objectives."""
    interactions = Interaction.objects.filter(participants=stakeholder).order_by("occurred_on")
    return {
        "stakeholder": {field: _plain(getattr(stakeholder, field)) for field in EXPORT_FIELDS},
        "account": stakeholder.account.name,
        "interactions": [
            {"date": row.occurred_on.isoformat(), "kind": row.kind, "title": row.title}
            for row in interactions
        ],
        "objectives_owned": list(
            Objective.objects.filter(owner=stakeholder).values_list("title", flat=True)
        ),
    }


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def stakeholder_export_csv(*, stakeholder: Stakeholder) -> str:
    """The export as CSV: one row per fact, ``section,field,value``."""
    data = stakeholder_export(stakeholder=stakeholder)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "field", "value"])
    for field, value in data["stakeholder"].items():
        writer.writerow(["stakeholder", field, "" if value is None else value])
    writer.writerow(["account", "name", data["account"]])
    for row in data["interactions"]:
        writer.writerow(["interaction", row["date"], f"{row['kind']}: {row['title']}"])
    for title in data["objectives_owned"]:
        writer.writerow(["objective", "owner of", title])
    return out.getvalue()
