"""Reads of the tenancy core."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from csos.models import ApiToken, AuditEvent, Invitation, Membership


def memberships_of_user(*, user: AbstractBaseUser) -> list[Membership]:
    """Every workspace the user belongs to: it crosses tenants on purpose, being their own list."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.dangerously_unscoped.filter(user=user)
        .select_related("workspace")
        .order_by("workspace__name")
    )


def membership_pick(
    *, memberships: list[Membership], workspace_id: int | None
) -> Membership | None:
    """The membership for the workspace chosen in the session, else the user's first one."""
    for membership in memberships:
        if membership.workspace_id == workspace_id:
            return membership
    return memberships[0] if memberships else None


def membership_list() -> QuerySet[Membership]:
    return Membership.objects.select_related("user").order_by("role", "user__email")


def audit_event_list() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.select_related("actor")


def api_token_list() -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("created_by")


def invitation_pending_list() -> QuerySet[Invitation]:
    return Invitation.objects.filter(accepted_at=None, revoked_at=None).order_by("email")
