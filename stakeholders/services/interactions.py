"""Writes of interactions (meetings, calls, e-mails) and their participants, of one account."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Account
from stakeholders.models import (
    Interaction,
    InteractionParticipant,
    Stakeholder,
)

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
