"""Writes of the stakeholder framework: role guides and flag thresholds."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from csos.models import Workspace
from csos.services import audit_record
from stakeholders.models import (
    FlagThresholds,
    RoleGuide,
    StakeholderRole,
)

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
