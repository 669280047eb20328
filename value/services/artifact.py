"""Writes of the retention artifact: the next action and its owner."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Account
from csos.models import Workspace
from value.models import (
    RetentionArtifact,
)

# ----------------------------------------------------------------------------- the artifact


@transaction.atomic
def retention_artifact_update(
    *, workspace: Workspace, account: Account, data: dict[str, Any]
) -> RetentionArtifact:
    """Set the account's next action to close its value gap, its owner and due date."""
    artifact = RetentionArtifact.objects.filter(account=account).first() or RetentionArtifact(
        workspace=workspace, account=account
    )
    artifact.next_action = data["next_action"]
    artifact.owner = data["owner"]
    artifact.due_on = data["due_on"]
    if artifact.due_on and not artifact.next_action.strip():
        raise ValidationError({"next_action": "Say what is due."})
    artifact.save()
    return artifact
