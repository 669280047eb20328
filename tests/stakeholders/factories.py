"""Factories of the stakeholders app, and the Alpha rows the tenancy sweep requests."""

import datetime as dt

import factory

from csos.models import SharedLink
from stakeholders.models import (
    FlagThresholds,
    HandoffPerson,
    HandoffPromise,
    Interaction,
    InteractionKind,
    InteractionParticipant,
    Milestone,
    Objective,
    PlanReview,
    RoleGuide,
    SalesHandoff,
    Stakeholder,
    StakeholderChange,
    StakeholderRole,
    StakeholderState,
    SuccessPlan,
)
from stakeholders.sharing import PLAN_SHARE_PURPOSE
from tests.factories import AccountFactory, TenantFactory


class StakeholderFactory(TenantFactory):
    class Meta:
        model = Stakeholder

    account = factory.SubFactory(AccountFactory)
    workspace = factory.SelfAttribute("account.workspace")
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@customer.example")
    title = "Head of Operations"
    role = StakeholderRole.PRODUCER
    added_on = dt.date(2025, 1, 1)


class SuccessPlanFactory(TenantFactory):
    class Meta:
        model = SuccessPlan

    account = factory.SubFactory(AccountFactory)
    workspace = factory.SelfAttribute("account.workspace")
    title = factory.Sequence(lambda n: f"Plan {n}")
    starts_on = dt.date(2025, 1, 15)


class ObjectiveFactory(TenantFactory):
    class Meta:
        model = Objective

    plan = factory.SubFactory(SuccessPlanFactory)
    workspace = factory.SelfAttribute("plan.workspace")
    title = factory.Sequence(lambda n: f"Objective {n}")
    use_case_name = "Ticket triage"
    target_level = 3


class InteractionFactory(TenantFactory):
    class Meta:
        model = Interaction

    account = factory.SubFactory(AccountFactory)
    workspace = factory.SelfAttribute("account.workspace")
    kind = InteractionKind.MEETING
    occurred_on = dt.date(2025, 6, 1)
    title = factory.Sequence(lambda n: f"Meeting {n}")


class InteractionParticipantFactory(TenantFactory):
    class Meta:
        model = InteractionParticipant

    interaction = factory.SubFactory(InteractionFactory)
    workspace = factory.SelfAttribute("interaction.workspace")
    stakeholder = factory.SubFactory(
        StakeholderFactory, account=factory.SelfAttribute("..interaction.account")
    )


class SalesHandoffFactory(TenantFactory):
    class Meta:
        model = SalesHandoff

    account = factory.SubFactory(AccountFactory)
    workspace = factory.SelfAttribute("account.workspace")
    signed_on = dt.date(2025, 1, 1)


def alpha_stakeholder_objects(account) -> dict:
    """One row of every stakeholders model on ``account``, carrying the sweep's markers."""
    workspace = account.workspace
    person = StakeholderFactory(
        account=account,
        name="ALPHA-SECRET-PERSON",
        email="alpha-person@customer.example",
        role=StakeholderRole.OWNER,
    )
    plan = SuccessPlanFactory(account=account, title="ALPHA-SECRET-PLAN")
    objective = ObjectiveFactory(plan=plan, title="ALPHA-SECRET-OBJECTIVE", owner=person)
    milestone = Milestone.dangerously_unscoped.create(
        workspace=workspace, plan=plan, title="ALPHA-SECRET-PLAN milestone", due_on=plan.starts_on
    )
    review = PlanReview.dangerously_unscoped.create(
        workspace=workspace, plan=plan, reviewed_on=plan.starts_on, changes="ALPHA-SECRET-PLAN"
    )
    link = SharedLink.dangerously_unscoped.create(
        workspace=workspace,
        purpose=PLAN_SHARE_PURPOSE,
        target_id=plan.pk,
        single_use=False,
        expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
    )
    handoff = SalesHandoffFactory(account=account, use_cases="ALPHA-SECRET-PROMISE")
    promise = HandoffPromise.dangerously_unscoped.create(
        workspace=workspace, handoff=handoff, outcome="ALPHA-SECRET-PROMISE"
    )
    handoff_person = HandoffPerson.dangerously_unscoped.create(
        workspace=workspace, handoff=handoff, name="ALPHA-SECRET-PERSON", role="owner"
    )
    interaction = InteractionFactory(account=account, title="ALPHA-SECRET-MEETING")
    participant = InteractionParticipant.dangerously_unscoped.create(
        workspace=workspace, interaction=interaction, stakeholder=person
    )
    change = StakeholderChange.dangerously_unscoped.create(
        workspace=workspace,
        account=account,
        stakeholder=person,
        role="owner",
        left_on=plan.starts_on,
    )
    state = StakeholderState.dangerously_unscoped.create(
        workspace=workspace,
        stakeholder=person,
        role="owner",
        sentiment="positive",
        since=person.added_on,
    )
    guide = RoleGuide.dangerously_unscoped.create(
        workspace=workspace, role="owner", messages="ALPHA-SECRET-PLAN"
    )
    thresholds = FlagThresholds.dangerously_unscoped.create(workspace=workspace)
    return {
        Stakeholder: person,
        SuccessPlan: plan,
        Objective: objective,
        Milestone: milestone,
        PlanReview: review,
        SharedLink: link,
        SalesHandoff: handoff,
        HandoffPromise: promise,
        HandoffPerson: handoff_person,
        Interaction: interaction,
        InteractionParticipant: participant,
        FlagThresholds: thresholds,
        StakeholderChange: change,
        StakeholderState: state,
        RoleGuide: guide,
    }
