"""Invitations to a workspace: sending one, reading its signed token, accepting or revoking it."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from csos.models import (
    Invitation,
    Membership,
    Workspace,
)
from csos.services import User, audit_record, membership_add

INVITATION_SALT = "csos.invitation"


@transaction.atomic
def invitation_create(
    *, workspace: Workspace, by: AbstractBaseUser | None, email: str, role: str
) -> Invitation:
    """Invite an address to the workspace. The answer is the same whether or not the address
    already uses CSOS elsewhere; only this workspace's own members and invitations refuse it."""
    email = email.strip().lower()
    members = Membership.dangerously_unscoped.filter(workspace=workspace)
    if members.filter(user__email__iexact=email).exists():
        raise ValidationError({"email": f"{email} is already a member of this workspace."})
    if Invitation.dangerously_unscoped.filter(
        workspace=workspace, email=email, accepted_at=None, revoked_at=None
    ).exists():
        raise ValidationError(
            {"email": f"{email} has a pending invitation; revoke it to send a new one."}
        )
    invitation = Invitation.dangerously_unscoped.create(
        workspace=workspace, email=email, role=role, invited_by=by
    )
    audit_record(
        workspace=workspace,
        actor=by,
        action="invitation.create",
        obj=invitation,
        after={"email": email, "role": role},
    )
    return invitation


def user_with_email_exists(*, email: str) -> bool:
    """Asked only on an invitation's own page, by the holder of the link sent to ``email``."""
    return User.objects.filter(email__iexact=email).exists()


def invitation_token(*, invitation: Invitation) -> str:
    """The signed part of the e-mailed link: it names the workspace and the invitation."""
    return signing.dumps([invitation.workspace_id, invitation.pk], salt=INVITATION_SALT)


def invitation_token_read(token: str) -> tuple[int, int] | None:
    """(workspace id, invitation id) of a genuine token younger than PASSWORD_RESET_TIMEOUT."""
    try:
        workspace_id, invitation_id = signing.loads(
            token, salt=INVITATION_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT
        )
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return int(workspace_id), int(invitation_id)


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """``user``, signed in with the invited address, joins with the invited role."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError("This invitation has been used or revoked.")
    if user.email.strip().lower() != invitation.email:
        raise ValidationError(f"This invitation is for {invitation.email}.")
    membership = membership_add(
        workspace=invitation.workspace, by=user, email=invitation.email, role=invitation.role
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(
        workspace=invitation.workspace,
        actor=user,
        action="invitation.accept",
        obj=invitation,
        after={"email": invitation.email, "role": invitation.role},
    )
    return membership


@transaction.atomic
def invitation_accept_as_new_user(
    *, invitation: Invitation, full_name: str, password: str
) -> Membership:
    """A person new to CSOS accepts by choosing their own name and password."""
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(f"{invitation.email} already has a CSOS sign-in: sign in to accept.")
    first, _, last = full_name.strip().partition(" ")
    user = User(
        username=invitation.email,
        email=invitation.email,
        first_name=first[:150],
        last_name=last.strip()[:150],
    )
    user.set_password(password)
    user.save()
    return invitation_accept(invitation=invitation, user=user)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: AbstractBaseUser | None) -> None:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        return
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        workspace=invitation.workspace,
        actor=by,
        action="invitation.revoke",
        obj=invitation,
        before={"email": invitation.email, "role": invitation.role},
    )
