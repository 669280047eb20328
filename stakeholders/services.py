"""Writes of stakeholders, success plans, handoffs and interactions.

Every write validates the rules that span rows (a departure after the person was added, a
milestone inside its plan, participants of the same account) and raises a ValidationError
naming the field before anything is saved.
"""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from accounts.signals import stakeholder_erased, stakeholders_changed
from csos.links import link_issue, link_revoke
from csos.models import AuditEvent, SharedLink, Workspace
from csos.services import audit_record
from stakeholders.models import (
    KEY_ROLES,
    FlagThresholds,
    HandoffPerson,
    HandoffPromise,
    Interaction,
    InteractionParticipant,
    Milestone,
    Objective,
    PlanReview,
    PlanStatus,
    PromiseStatus,
    RoleGuide,
    SalesHandoff,
    Stakeholder,
    StakeholderChange,
    StakeholderRole,
    StakeholderState,
    StakeholderStatus,
    SuccessPlan,
)
from stakeholders.sharing import PLAN_SHARE_PURPOSE

ERASED_NAME = "Erased person"
ERASED_TEXT = "[erased]"
# Stakeholder fields a form may write; status changes go through the same rules.
STAKEHOLDER_FIELDS = (
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


# ---- stakeholders ----------------------------------------------------------------------


def _validate_stakeholder(stakeholder: Stakeholder) -> None:
    errors: dict[str, str] = {}
    if stakeholder.status == StakeholderStatus.LEFT:
        if stakeholder.left_on is None:
            errors["left_on"] = "Enter the date the person left."
        elif stakeholder.added_on and stakeholder.left_on < stakeholder.added_on:
            errors["left_on"] = (
                f"The person was added on {stakeholder.added_on:%Y-%m-%d}; "
                "they cannot have left before that."
            )
    elif stakeholder.left_on is not None:
        errors["left_on"] = "An active person has no departure date; set the status to left."
    if (
        stakeholder.email
        and Stakeholder.objects.filter(
            account_id=stakeholder.account_id, email__iexact=stakeholder.email
        )
        .exclude(pk=stakeholder.pk)
        .exists()
    ):
        errors["email"] = "Another person of this account has this e-mail address."
    if errors:
        raise ValidationError(errors)


def _record_departure(stakeholder: Stakeholder, *, was_left: bool) -> None:
    if stakeholder.has_left and not was_left and stakeholder.role in KEY_ROLES:
        StakeholderChange.objects.create(
            workspace=stakeholder.workspace,
            account_id=stakeholder.account_id,
            stakeholder=stakeholder,
            role=stakeholder.role,
            left_on=stakeholder.left_on,
        )


def stakeholder_states_record(
    *, changes: list[tuple[Stakeholder, tuple[str, str] | None]], today: date
) -> None:
    """Date the role and sentiment of people created (``None`` before) or changed (their role
    and sentiment before), so a past week is scored with the ones it had.

    A new person holds theirs since they were added; a change holds from ``today``. A person
    changed for the first time since states were kept gets their earlier state too, dated from
    when they were added.
    """
    moved = [
        (person, before) for person, before in changes if before != (person.role, person.sentiment)
    ]
    kept = set(
        StakeholderState.objects.filter(
            stakeholder__in=[person for person, before in moved if before is not None]
        ).values_list("stakeholder_id", flat=True)
    )
    states = []
    for person, before in moved:
        if before is not None and person.pk not in kept:
            states.append(_state(person, *before, since=person.added_on))
        since = person.added_on if before is None else today
        states.append(_state(person, person.role, person.sentiment, since=since))
    StakeholderState.objects.bulk_create(states)


def _state(person: Stakeholder, role: str, sentiment: str, *, since: date) -> StakeholderState:
    return StakeholderState(
        workspace_id=person.workspace_id,
        stakeholder=person,
        role=role,
        sentiment=sentiment,
        since=since,
    )


@transaction.atomic
def stakeholder_create(
    *, account: Account, by: AbstractBaseUser | None, data: dict[str, Any]
) -> Stakeholder:
    stakeholder = Stakeholder(
        workspace=account.workspace,
        account=account,
        **{key: value for key, value in data.items() if key in STAKEHOLDER_FIELDS},
    )
    _validate_stakeholder(stakeholder)
    stakeholder.save()
    _record_departure(stakeholder, was_left=False)
    stakeholder_states_record(changes=[(stakeholder, None)], today=timezone.localdate())
    stakeholders_changed.send(sender=Stakeholder, account_ids=[account.pk])
    audit_record(
        workspace=account.workspace,
        actor=by,
        action="stakeholder.add",
        obj=stakeholder,
        after={"role": stakeholder.role, "status": stakeholder.status},
    )
    return stakeholder


@transaction.atomic
def stakeholder_update(
    *, stakeholder: Stakeholder, by: AbstractBaseUser | None, data: dict[str, Any]
) -> Stakeholder:
    """Change a stakeholder; an Owner or Champion who leaves records a stakeholder change."""
    current = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    if current.erased_at:
        raise ValidationError("This person's data was erased; the record can no longer change.")
    before = {"role": current.role, "status": current.status}
    was_left, left_on = current.has_left, current.left_on
    state_before = (current.role, current.sentiment)
    for key, value in data.items():
        if key in STAKEHOLDER_FIELDS:
            setattr(current, key, value)
    _validate_stakeholder(current)
    current.save()
    _record_departure(current, was_left=was_left)
    stakeholder_states_record(changes=[(current, state_before)], today=timezone.localdate())
    after = {"role": current.role, "status": current.status}
    if after != before or current.left_on != left_on:
        stakeholders_changed.send(sender=Stakeholder, account_ids=[current.account_id])
    if after != before:
        audit_record(
            workspace=current.workspace,
            actor=by,
            action="stakeholder.update",
            obj=current,
            before=before,
            after=after,
        )
    return current


@transaction.atomic
def stakeholder_delete(
    *, stakeholder: Stakeholder, by: AbstractBaseUser | None, reassign_to: Stakeholder | None
) -> None:
    """Delete a stakeholder; the objectives they own move to ``reassign_to``, never to nobody."""
    owned = Objective.objects.filter(owner=stakeholder)
    if owned.exists():
        if reassign_to is None:
            raise ValidationError(
                {"reassign_to": "This person owns objectives: choose who owns them instead."}
            )
        if reassign_to.pk == stakeholder.pk or reassign_to.account_id != stakeholder.account_id:
            raise ValidationError(
                {"reassign_to": "Choose another stakeholder of the same account."}
            )
        owned.update(owner=reassign_to)
    audit_record(
        workspace=stakeholder.workspace,
        actor=by,
        action="stakeholder.delete",
        obj=stakeholder,
        before={"role": stakeholder.role, "status": stakeholder.status},
    )
    stakeholder.delete()
    stakeholders_changed.send(sender=Stakeholder, account_ids=[stakeholder.account_id])


def _scrub(text: str, needles: list[str]) -> str:
    for needle in needles:
        text = text.replace(needle, ERASED_TEXT)
    return text


@transaction.atomic
def stakeholder_erase(*, stakeholder: Stakeholder, by: AbstractBaseUser | None) -> Stakeholder:
    """Erase a person's identifying data on request, keeping the history's counts, dates, roles.

    The row stays (so interactions, objectives and departures still count), its name, e-mail,
    title and notes are blanked, and every other place that copied them is scrubbed: the
    handoff's key people, the texts of the account's interactions and reviews, the audit log.
    """
    current = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    needles = [value for value in (current.name, current.email) if value]
    HandoffPerson.objects.filter(stakeholder=current).update(name=ERASED_NAME, email="", title="")
    if current.email:
        HandoffPerson.objects.filter(
            handoff__account_id=current.account_id, email__iexact=current.email
        ).update(name=ERASED_NAME, email="", title="")
    text_fields = (
        "title",
        "prep_objective",
        "prep_questions",
        "prep_request",
        "summary",
        "decisions",
        "next_action",
        "updates",
    )
    for interaction in Interaction.objects.filter(account_id=current.account_id):
        changed = [
            name
            for name in text_fields
            if _scrub(getattr(interaction, name), needles) != getattr(interaction, name)
        ]
        for name in changed:
            setattr(interaction, name, _scrub(getattr(interaction, name), needles))
        if changed:
            interaction.save(update_fields=changed)
    for review in PlanReview.objects.filter(plan__account_id=current.account_id):
        if _scrub(review.changes, needles) != review.changes:
            review.changes = _scrub(review.changes, needles)
            review.save(update_fields=["changes"])
    AuditEvent.objects.filter(
        object_type=current._meta.label_lower, object_id=str(current.pk)
    ).update(object_repr=ERASED_NAME)
    stakeholder_erased.send(
        sender=Stakeholder, stakeholder_id=current.pk, needles=needles, replacement=ERASED_NAME
    )
    current.name, current.email, current.title, current.notes = ERASED_NAME, "", "", ""
    current.erased_at = timezone.now()
    current.save(update_fields=["name", "email", "title", "notes", "erased_at"])
    audit_record(
        workspace=current.workspace,
        actor=by,
        action="stakeholder.erase",
        obj=current,
        after={"role": current.role},
    )
    return current


# ---- framework settings ----------------------------------------------------------------


@transaction.atomic
def role_guide_save(
    *, workspace: Workspace, by: AbstractBaseUser | None, role: str, data: dict[str, str]
) -> RoleGuide:
    guide, _ = RoleGuide.objects.update_or_create(
        workspace=workspace, role=StakeholderRole(role), defaults=data
    )
    audit_record(workspace=workspace, actor=by, action="role_guide.save", obj=guide, after=data)
    return guide


@transaction.atomic
def flag_thresholds_save(
    *, workspace: Workspace, by: AbstractBaseUser | None, data: dict[str, int]
) -> FlagThresholds:
    thresholds, _ = FlagThresholds.objects.update_or_create(workspace=workspace, defaults=data)
    audit_record(
        workspace=workspace, actor=by, action="flag_thresholds.save", obj=thresholds, after=data
    )
    return thresholds


# ---- handoff ---------------------------------------------------------------------------


@transaction.atomic
def handoff_save(
    *,
    account: Account,
    by: AbstractBaseUser | None,
    data: dict[str, Any],
    promises: list[dict[str, Any]],
    people: list[dict[str, Any]],
) -> SalesHandoff:
    """Record (or replace) the account's sales handoff with its promises and key people.

    Promises and people already carried into a plan keep their rows and links; the rest are
    replaced by what was submitted.
    """
    handoff = SalesHandoff.objects.filter(account=account).first()
    if handoff is None:
        handoff = SalesHandoff(workspace=account.workspace, account=account, recorded_by=by)
    for key in ("signed_on", "use_cases", "risks", "success_criteria"):
        setattr(handoff, key, data[key])
    handoff.save()
    _replace_rows(handoff, HandoffPromise, promises, key="outcome")
    _replace_rows(handoff, HandoffPerson, people, key="name")
    return handoff


def _replace_rows(handoff: SalesHandoff, model, rows: list[dict[str, Any]], *, key: str) -> None:
    kept_ids = []
    for row in rows:
        instance = row.get("id")
        if instance is not None:
            for name, value in row.items():
                if name != "id":
                    setattr(instance, name, value)
            instance.save()
        else:
            instance = model.objects.create(
                workspace=handoff.workspace,
                handoff=handoff,
                **{name: value for name, value in row.items() if name != "id"},
            )
        kept_ids.append(instance.pk)
    model.objects.filter(handoff=handoff).exclude(pk__in=kept_ids).delete()


@transaction.atomic
def promise_status_set(*, promise: HandoffPromise, status: str) -> HandoffPromise:
    if status not in PromiseStatus.values:
        raise ValidationError({"status": f"{status!r} is not a promise status."})
    promise.status = status
    promise.save(update_fields=["status"])
    return promise


# ---- success plans ---------------------------------------------------------------------


# When a plan is made from a handoff, the first objective owner is the person sales named in
# the role that answers for value, else the sponsor.
OBJECTIVE_OWNER_ROLES = KEY_ROLES


@transaction.atomic
def plan_create(
    *,
    account: Account,
    by: AbstractBaseUser | None,
    title: str,
    starts_on: date,
    from_handoff: bool = False,
    objectives: Sequence[dict[str, Any]] = (),
) -> SuccessPlan:
    """Start the account's active plan; the previous one is archived, not lost.

    From the handoff, every key person becomes a stakeholder (matched by e-mail to one already
    mapped) and every promise becomes an objective, owned by the named Owner or Champion.
    ``objectives`` are added after those; one that fails its checks writes nothing.
    """
    handoff = SalesHandoff.objects.filter(account=account).first() if from_handoff else None
    if from_handoff and handoff is None:
        raise ValidationError({"from_handoff": "This account has no sales handoff yet."})
    Account.objects.select_for_update().get(pk=account.pk)
    SuccessPlan.objects.filter(account=account, status=PlanStatus.ACTIVE).update(
        status=PlanStatus.ARCHIVED, archived_at=timezone.now()
    )
    plan = SuccessPlan.objects.create(
        workspace=account.workspace,
        account=account,
        title=title,
        starts_on=starts_on,
        handoff=handoff,
        created_by=by,
    )
    if handoff is not None:
        _plan_fill_from_handoff(plan, handoff, by=by)
    _objectives_save(plan, objectives)
    audit_record(workspace=account.workspace, actor=by, action="plan.create", obj=plan)
    return plan


@transaction.atomic
def plan_update(
    *,
    plan: SuccessPlan,
    by: AbstractBaseUser | None,
    title: str | None = None,
    objectives: Sequence[dict[str, Any]] = (),
) -> SuccessPlan:
    """Rename the active plan and save its objectives: one with an ``id`` is changed, one
    without is added. An archived plan is kept as it was."""
    if plan.status != PlanStatus.ACTIVE:
        raise ValidationError("An archived plan is kept as it was; change the active plan.")
    before = {"title": plan.title}
    if title is not None and title != plan.title:
        plan.title = title
        plan.save(update_fields=["title"])
    _objectives_save(plan, objectives)
    audit_record(
        workspace=plan.workspace,
        actor=by,
        action="plan.update",
        obj=plan,
        before=before,
        after={"title": plan.title, "objectives": len(objectives)},
    )
    return plan


def _objectives_save(plan: SuccessPlan, objectives: Sequence[dict[str, Any]]) -> None:
    """Save each objective; errors name it by its position, ``objectives.<index>.<field>``."""
    existing = (
        {objective.pk: objective for objective in plan.objectives.all()} if objectives else {}
    )
    for index, data in enumerate(objectives):
        data = dict(data)
        objective_id = data.pop("id", None)
        try:
            if objective_id is not None and objective_id not in existing:
                raise ValidationError({"id": "No objective of this plan has this id."})
            objective_save(plan=plan, data=data, objective=existing.get(objective_id))
        except ValidationError as error:
            raise ValidationError(
                {
                    f"objectives.{index}.{name}": messages
                    for name, messages in error.message_dict.items()
                }
            ) from None


def _plan_fill_from_handoff(
    plan: SuccessPlan, handoff: SalesHandoff, *, by: AbstractBaseUser | None
) -> None:
    mapped = {
        stakeholder.email.lower(): stakeholder
        for stakeholder in Stakeholder.objects.filter(account=plan.account).exclude(email="")
    }
    owners: dict[str, Stakeholder] = {}
    for person in handoff.people.select_related("stakeholder"):
        stakeholder = person.stakeholder or mapped.get(person.email.lower())
        if stakeholder is None:
            stakeholder = stakeholder_create(
                account=plan.account,
                by=by,
                data={
                    "name": person.name,
                    "email": person.email,
                    "title": person.title,
                    "role": person.role,
                    "added_on": handoff.signed_on,
                },
            )
        if person.stakeholder_id != stakeholder.pk:
            person.stakeholder = stakeholder
            person.save(update_fields=["stakeholder"])
        if not stakeholder.has_left:
            owners.setdefault(stakeholder.role, stakeholder)
    owner = next((owners[role] for role in OBJECTIVE_OWNER_ROLES if role in owners), None)
    Objective.objects.bulk_create(
        Objective(
            workspace=plan.workspace,
            plan=plan,
            title=promise.outcome,
            use_case_name=promise.use_case_name,
            target_level=promise.target_level,
            owner=owner,
            promise=promise,
        )
        for promise in handoff.promises.all()
    )


def _check_owner(plan: SuccessPlan, owner: Stakeholder | None) -> None:
    if owner is not None and owner.account_id != plan.account_id:
        raise ValidationError({"owner": "The owner must be a stakeholder of this account."})


@transaction.atomic
def objective_save(
    *, plan: SuccessPlan, data: dict[str, Any], objective: Objective | None = None
) -> Objective:
    _check_owner(plan, data.get("owner"))
    objective = objective or Objective(workspace=plan.workspace, plan=plan)
    for key in ("title", "use_case", "use_case_name", "target_level", "owner"):
        if key in data:
            setattr(objective, key, data[key])
    objective.save()
    return objective


def _check_milestone(plan: SuccessPlan, due_on: date) -> None:
    if due_on < plan.starts_on:
        raise ValidationError(
            {
                "due_on": (
                    f"The plan starts on {plan.starts_on:%Y-%m-%d}; "
                    "a milestone cannot be due before that."
                )
            }
        )


@transaction.atomic
def milestone_save(
    *, plan: SuccessPlan, data: dict[str, Any], milestone: Milestone | None = None
) -> Milestone:
    _check_milestone(plan, data["due_on"])
    milestone = milestone or Milestone(workspace=plan.workspace, plan=plan)
    for key in ("title", "due_on", "status"):
        if key in data:
            setattr(milestone, key, data[key])
    milestone.save()
    return milestone


@transaction.atomic
def plan_review_record(
    *, plan: SuccessPlan, by: AbstractBaseUser | None, reviewed_on: date, changes: str
) -> PlanReview:
    """Log a business review of the plan and what it changed; it resets the review clock."""
    if reviewed_on < plan.starts_on:
        raise ValidationError({"reviewed_on": "The review is dated before the plan started."})
    if reviewed_on > timezone.localdate():
        raise ValidationError({"reviewed_on": "A review is recorded once it has taken place."})
    review = PlanReview.objects.create(
        workspace=plan.workspace,
        plan=plan,
        reviewed_on=reviewed_on,
        changes=changes,
        reviewed_by=by,
    )
    if plan.last_reviewed_on is None or reviewed_on > plan.last_reviewed_on:
        plan.last_reviewed_on = reviewed_on
        plan.save(update_fields=["last_reviewed_on"])
    return review


SHARE_LINK_DAYS = 30


@transaction.atomic
def plan_share_link_create(
    *, plan: SuccessPlan, by: AbstractBaseUser | None, days: int = SHARE_LINK_DAYS
) -> SharedLink:
    link = link_issue(
        workspace=plan.workspace,
        purpose=PLAN_SHARE_PURPOSE,
        target_id=plan.pk,
        by=by,
        lifetime=timedelta(days=days),
        single_use=False,
    ).link
    audit_record(workspace=plan.workspace, actor=by, action="plan.share", obj=link)
    return link


@transaction.atomic
def plan_share_link_revoke(*, link: SharedLink, by: AbstractBaseUser | None) -> None:
    if link.revoked_at is None:
        link_revoke(link=link)
        audit_record(workspace=link.workspace, actor=by, action="plan.share_revoke", obj=link)


# ---- interactions ----------------------------------------------------------------------

INTERACTION_FIELDS = (
    "kind",
    "occurred_on",
    "title",
    "prep_objective",
    "prep_questions",
    "prep_request",
    "summary",
    "decisions",
    "next_action",
    "next_action_owner",
    "next_action_due",
    "updated_evidence",
    "updated_plan",
    "updates",
)


@transaction.atomic
def interaction_save(
    *,
    account: Account,
    by: AbstractBaseUser | None,
    data: dict[str, Any],
    participants: list[Stakeholder],
    interaction: Interaction | None = None,
) -> Interaction:
    """Record or change a conversation; every participant must be a stakeholder of the account."""
    strangers = [person for person in participants if person.account_id != account.pk]
    if strangers:
        raise ValidationError(
            {"participants": "Participants must be stakeholders of this account."}
        )
    if data.get("next_action") and not data.get("next_action_due"):
        raise ValidationError({"next_action_due": "Give the next action a date."})
    interaction = interaction or Interaction(
        workspace=account.workspace, account=account, recorded_by=by
    )
    for key in INTERACTION_FIELDS:
        if key in data:
            setattr(interaction, key, data[key])
    interaction.save()
    InteractionParticipant.objects.filter(interaction=interaction).delete()
    InteractionParticipant.objects.bulk_create(
        InteractionParticipant(workspace=account.workspace, interaction=interaction, stakeholder=p)
        for p in {person.pk: person for person in participants}.values()
    )
    return interaction
