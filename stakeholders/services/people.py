"""Writes of stakeholders: adding, changing, departing, deleting and erasing people.

Every write validates the rules that span rows (a departure after the person was added)
and raises a ValidationError naming the field before anything is saved.
"""

from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.event_bodies import account_ref
from accounts.models import Account
from accounts.signals import stakeholder_erased, stakeholders_changed
from csos.events import publish_many
from csos.models import AuditEvent, Workspace
from csos.services import audit_record
from stakeholders.models import (
    KEY_ROLES,
    HandoffPerson,
    Interaction,
    Objective,
    PlanReview,
    Stakeholder,
    StakeholderChange,
    StakeholderState,
    StakeholderStatus,
)

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


def stakeholder_changes_announce(
    *, workspace: Workspace, changes: list[tuple[Stakeholder, str, bool]]
) -> None:
    """Publish stakeholder.departed for each person who has just left and
    stakeholder.role_changed for each whose role changed; ``changes`` pairs a person with their
    role before and whether they had left before."""
    departed, moved = [], []
    for person, role_before, was_left in changes:
        body = {
            "account": account_ref(person.account),
            "stakeholder": {
                "id": person.pk,
                "name": person.name,
                "role": person.role,
                "status": person.status,
            },
        }
        if person.has_left and not was_left:
            departed.append(body)
        if person.role != role_before:
            moved.append({**body, "previous_role": role_before})
    publish_many(workspace=workspace, event_type="stakeholder.departed", bodies=departed)
    publish_many(workspace=workspace, event_type="stakeholder.role_changed", bodies=moved)


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
    stakeholder_changes_announce(
        workspace=current.workspace, changes=[(current, before["role"], was_left)]
    )
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
