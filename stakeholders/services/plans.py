"""Writes of success plans: objectives, milestones, reviews and share links.

A milestone stays inside its plan and an objective's owner on its account; a ValidationError
names the field before anything is saved.
"""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from csos.links import link_issue, link_revoke
from csos.models import SharedLink
from csos.services import audit_record
from stakeholders.models import (
    KEY_ROLES,
    Milestone,
    Objective,
    PlanReview,
    PlanStatus,
    SalesHandoff,
    Stakeholder,
    SuccessPlan,
)
from stakeholders.services.people import stakeholder_create
from stakeholders.sharing import PLAN_SHARE_PURPOSE

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
