"""The demo's people, plans, handoffs and a year of conversations, written in bulk.

Shapes the flags can show: accounts with no plan, plans long unreviewed, objectives with no
owner, Owners and Champions who left, and accounts that talk a lot and change nothing.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import timedelta

from accounts.demo import (
    USE_CASE_NAMES,
    DemoOptions,
    Progress,
    bulk_create_batched,
    demo_accounts,
)
from accounts.demo.people import FIRST_NAMES, LAST_NAMES
from csos.models import Workspace
from stakeholders.models import (
    KEY_ROLES,
    MEETING_KINDS,
    HandoffPerson,
    HandoffPromise,
    Interaction,
    InteractionKind,
    InteractionParticipant,
    Milestone,
    MilestoneStatus,
    Objective,
    PlanReview,
    PlanStatus,
    PromiseStatus,
    RoleGuide,
    SalesHandoff,
    Sentiment,
    Stakeholder,
    StakeholderChange,
    StakeholderRole,
    StakeholderStatus,
    SuccessPlan,
)

ROLE_GUIDES = {
    StakeholderRole.ENABLER: (
        "Rollout is on schedule and secure\nFewer tickets for your team",
        "Seats deployed vs licensed\nSSO and integrations live",
        "Implementation stand-up\nIT change board",
    ),
    StakeholderRole.PRODUCER: (
        "Your daily work gets faster\nNew capabilities for your use case",
        "Weekly active users\nUse-case metrics against threshold",
        "Office hours\nTraining sessions",
    ),
    StakeholderRole.CHAMPION: (
        "Progress you can show upward\nWhat peers achieved",
        "Milestones met\nAdoption by team",
        "Monthly success check-in\nQuarterly business review",
    ),
    StakeholderRole.OWNER: (
        "The outcome you bought, proven\nROI in your numbers",
        "Operational improvement vs baseline\nFinancial impact",
        "Executive business review\nRenewal conversation",
    ),
}
TITLES = {
    StakeholderRole.ENABLER: ("IT Manager", "Systems Administrator", "Head of IT"),
    StakeholderRole.PRODUCER: ("Support Lead", "Analyst", "Operations Specialist", "Team Lead"),
    StakeholderRole.CHAMPION: ("Director of Operations", "Head of Support", "Program Manager"),
    StakeholderRole.OWNER: ("VP Customer Experience", "COO", "CFO", "VP Operations"),
}
OUTCOMES = (
    "Cut first response time by 30%",
    "Deflect 20% of tickets to self-service",
    "Handle 15% more tickets per agent",
    "Weekly KPI pack for the board",
    "Halve time to find an answer",
)
TOPICS = (
    "Onboarding check-in",
    "Adoption review",
    "Roadmap walkthrough",
    "Support escalation",
    "Training follow-up",
    "Usage deep dive",
    "Renewal prep",
)
KIND_WEIGHTS = {
    InteractionKind.MEETING: 30,
    InteractionKind.CALL: 25,
    InteractionKind.EMAIL: 30,
    InteractionKind.BUSINESS_REVIEW: 5,
    InteractionKind.NOTE: 10,
}
MEETING_PREP = {
    "prep_objective": "Agree the next value milestone and who proves it.",
    "prep_questions": "Which number would show the pilot worked?\nWho signs off the baseline?",
    "prep_request": "Introduce us to the budget owner to confirm the ROI case.",
}
KEY_DEPARTURE_SHARE = 0.1
# Conversations this recent have their next action still to do, and not late yet.
OPEN_ACTION_DAYS = 30
THEATRE_SHARE = 0.08


def demo_stakeholders_rebuild(
    *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
) -> None:
    """Replace the demo accounts' stakeholders, handoffs, plans and interactions (in the
    workspace's scope, which the demo pipeline sets)."""
    _rebuild(workspace=workspace, rng=rng, options=options, progress=progress)


def _rebuild(
    *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
) -> None:
    accounts = list(
        demo_accounts(workspace=workspace)
        .order_by("external_id")
        .values_list("id", "contract_start", "owner_id")
    )
    account_ids = [account_id for account_id, _, _ in accounts]
    # Plans first: objectives protect the stakeholders who own them.
    for model in (SuccessPlan, SalesHandoff, Interaction, Stakeholder):
        model.objects.filter(account_id__in=account_ids).delete()
    for role, (messages, metrics, forums) in ROLE_GUIDES.items():
        RoleGuide.objects.update_or_create(
            workspace=workspace,
            role=role,
            defaults={"messages": messages, "metrics": metrics, "forums": forums},
        )
    today = options.today
    people = _stakeholders(workspace, rng, accounts, today)
    bulk_create_batched(Stakeholder.objects, people, progress=progress, desc="people")
    by_account: dict[int, list[Stakeholder]] = {}
    for person in people:
        by_account.setdefault(person.account_id, []).append(person)
    StakeholderChange.objects.bulk_create(
        StakeholderChange(
            workspace=workspace,
            account_id=person.account_id,
            stakeholder=person,
            role=person.role,
            left_on=person.left_on,
        )
        for person in people
        if person.has_left and person.role in KEY_ROLES
    )
    handoffs = _handoffs(workspace, rng, accounts, by_account)
    plans = _plans(workspace, rng, accounts, by_account, handoffs, today, progress)
    _interactions(workspace, rng, accounts, by_account, plans, today, progress)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _email(name: str, index: int) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    local = ascii_name.lower().replace(" ", ".").replace("'", "")
    return f"{local}.{index}@customer.example"


def _stakeholders(workspace, rng, accounts, today) -> list[Stakeholder]:
    people = []
    for account_id, contract_start, _owner in accounts:
        added_on = contract_start or today - timedelta(days=365)
        roles = [StakeholderRole.OWNER, StakeholderRole.CHAMPION, StakeholderRole.ENABLER]
        roles += [StakeholderRole.PRODUCER] * rng.randint(1, 4)
        if rng.random() < 0.12:
            roles.remove(rng.choice(KEY_ROLES))  # a map with a gap
        for role in roles:
            name = _name(rng)
            left = role in KEY_ROLES and rng.random() < KEY_DEPARTURE_SHARE
            left_on = today - timedelta(days=rng.randint(3, 200)) if left else None
            if left_on is not None and left_on < added_on:
                left_on = added_on
            people.append(
                Stakeholder(
                    workspace=workspace,
                    account_id=account_id,
                    name=name,
                    email=_email(name, len(people)),
                    title=rng.choice(TITLES[role]),
                    role=role,
                    influence=rng.randint(4, 5) if role in KEY_ROLES else rng.randint(1, 4),
                    sentiment=rng.choice(Sentiment.values),
                    status=StakeholderStatus.LEFT if left else StakeholderStatus.ACTIVE,
                    added_on=added_on,
                    left_on=left_on,
                )
            )
    return people


def _handoffs(workspace, rng, accounts, by_account) -> dict[int, SalesHandoff]:
    handoffs = {
        account_id: SalesHandoff(
            workspace=workspace,
            account_id=account_id,
            signed_on=contract_start,
            use_cases="\n".join(rng.sample(USE_CASE_NAMES, 2)),
            risks="Small admin team\nCompeting internal tool",
            success_criteria="Adoption above 70% of seats\nFirst response time down",
        )
        for account_id, contract_start, _owner in accounts
        if contract_start and rng.random() < 0.7
    }
    SalesHandoff.objects.bulk_create(handoffs.values())
    promises, key_people = [], []
    for account_id, handoff in handoffs.items():
        for outcome in rng.sample(OUTCOMES, rng.randint(1, 3)):
            promises.append(
                HandoffPromise(
                    workspace=workspace,
                    handoff=handoff,
                    outcome=outcome,
                    use_case_name=rng.choice(USE_CASE_NAMES),
                    target_level=rng.randint(3, 4),
                    status=rng.choices(PromiseStatus.values, weights=(50, 30, 10, 10))[0],
                )
            )
        for person in by_account[account_id]:
            if person.role in KEY_ROLES:
                key_people.append(
                    HandoffPerson(
                        workspace=workspace,
                        handoff=handoff,
                        name=person.name,
                        email=person.email,
                        title=person.title,
                        role=person.role,
                        stakeholder=person,
                    )
                )
    HandoffPromise.objects.bulk_create(promises)
    HandoffPerson.objects.bulk_create(key_people)
    return handoffs


def _plans(
    workspace, rng, accounts, by_account, handoffs, today, progress
) -> dict[int, SuccessPlan]:
    """Active plans for most accounts (some with an archived predecessor), none for the rest."""
    plans, active = [], {}
    for account_id, contract_start, _owner in accounts:
        if rng.random() < 0.2:
            continue
        start = max(contract_start or today, today - timedelta(days=rng.randint(60, 500)))
        # A predecessor plan ran for the year before, so only where the contract was in force.
        predecessor = start - timedelta(days=365)
        if rng.random() < 0.25 and contract_start and predecessor >= contract_start:
            plans.append(
                SuccessPlan(
                    workspace=workspace,
                    account_id=account_id,
                    title="First success plan",
                    status=PlanStatus.ARCHIVED,
                    starts_on=predecessor,
                    last_reviewed_on=start - timedelta(days=60),
                )
            )
        # Most plans are reviewed every quarter or so; some are left alone for months.
        reviewed = today - timedelta(days=rng.choice((10, 40, 80, 95, 130, 200)))
        plan = SuccessPlan(
            workspace=workspace,
            account_id=account_id,
            title=f"Success plan {start.year}",
            starts_on=start,
            handoff=handoffs.get(account_id),
            last_reviewed_on=max(reviewed, start) if reviewed > start else None,
        )
        plans.append(plan)
        active[account_id] = plan
    SuccessPlan.objects.bulk_create(plans)
    objectives, milestones, reviews = [], [], []
    for account_id, plan in active.items():
        owners = [p for p in by_account[account_id] if not p.has_left]
        objectives.extend(_objectives(workspace=workspace, plan=plan, owners=owners, rng=rng))
        milestones.extend(_milestones(workspace=workspace, plan=plan, rng=rng, today=today))
        if plan.last_reviewed_on:
            reviews.append(
                PlanReview(
                    workspace=workspace,
                    plan=plan,
                    reviewed_on=plan.last_reviewed_on,
                    changes="Moved a milestone; confirmed the objective owners.",
                )
            )
    bulk_create_batched(Objective.objects, objectives, progress=progress, desc="objectives")
    bulk_create_batched(Milestone.objects, milestones, progress=progress, desc="milestones")
    PlanReview.objects.bulk_create(reviews)
    return active


def _objectives(*, workspace, plan: SuccessPlan, owners: list, rng) -> list[Objective]:
    """One to three objectives, most owned by one of the account's people still in place."""
    return [
        Objective(
            workspace=workspace,
            plan=plan,
            title=f"{use_case} reaches proven value",
            use_case_name=use_case,
            target_level=rng.randint(2, 4),
            owner=rng.choice(owners) if owners and rng.random() < 0.85 else None,
        )
        for use_case in rng.sample(USE_CASE_NAMES, rng.randint(1, 3))
    ]


def _milestones(*, workspace, plan: SuccessPlan, rng, today) -> list[Milestone]:
    """Two to four milestones every 45 days from the plan's start: done (a few missed) once a
    month past, in progress when due, planned after."""
    milestones = []
    for step in range(rng.randint(2, 4)):
        due = plan.starts_on + timedelta(days=45 * (step + 1))
        status = (
            MilestoneStatus.DONE
            if due < today - timedelta(days=30)
            else (MilestoneStatus.IN_PROGRESS if due < today else MilestoneStatus.PLANNED)
        )
        if status == MilestoneStatus.DONE and rng.random() < 0.15:
            status = MilestoneStatus.MISSED
        milestones.append(
            Milestone(
                workspace=workspace,
                plan=plan,
                title=f"Milestone {step + 1}",
                due_on=due,
                status=status,
            )
        )
    return milestones


def _next_action_due(today, days_ago: int, due_in: int):
    """Some days after the conversation; not yet past for a recent one, whose next action the
    playbooks turn into a task (and would escalate at once were it already late)."""
    due = today - timedelta(days=days_ago - due_in)
    if days_ago <= OPEN_ACTION_DAYS:
        return max(due, today + timedelta(days=1))
    return due


def _interactions(workspace, rng, accounts, by_account, plans, today, progress) -> None:
    """A year of conversations; some accounts meet often and never update anything."""
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    interactions, chosen = [], []
    for account_id, _start, owner_id in accounts:
        theatre = rng.random() < THEATRE_SHARE
        count = rng.randint(12, 20) if theatre else rng.randint(3, 18)
        present = by_account[account_id]
        for _ in range(count):
            days_ago = rng.randint(0, 89) if theatre else rng.randint(0, 364)
            kind = rng.choices(kinds, weights=weights)[0]
            updated = not theatre and rng.random() < 0.35
            interactions.append(
                Interaction(
                    workspace=workspace,
                    account_id=account_id,
                    kind=kind,
                    occurred_on=today - timedelta(days=days_ago),
                    title=rng.choice(TOPICS),
                    **(MEETING_PREP if kind in MEETING_KINDS else {}),
                    summary="Walked through adoption and open questions.",
                    next_action="Send the usage summary" if rng.random() < 0.5 else "",
                    next_action_owner_id=owner_id,
                    next_action_due=_next_action_due(today, days_ago, rng.randint(3, 21)),
                    updated_evidence=updated and rng.random() < 0.6,
                    updated_plan=updated,
                    updates="Plan milestone moved" if updated else "",
                )
            )
            people = rng.sample(present, min(len(present), rng.randint(1, 3)))
            # A note is the CSM's own: no customer took part.
            chosen.append([] if kind == InteractionKind.NOTE else people)
    bulk_create_batched(Interaction.objects, interactions, progress=progress, desc="interactions")
    participants = [
        InteractionParticipant(workspace=workspace, interaction=interaction, stakeholder=person)
        for interaction, people in zip(interactions, chosen, strict=True)
        for person in people
    ]
    bulk_create_batched(
        InteractionParticipant.objects,
        participants,
        progress=progress,
        desc="participants",
    )
