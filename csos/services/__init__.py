"""Writes of the tenancy core: memberships, roles and workspace configuration, all audited."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from csos.api.tokens import token_generate, token_hash
from csos.models import (
    ApiScope,
    ApiToken,
    AuditEvent,
    Membership,
    Role,
    Workspace,
)
from csos.zones import validate_time_zone

User = get_user_model()


def audit_record(
    *,
    workspace: Workspace,
    actor: AbstractBaseUser | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one row to the workspace's audit log. Callers run it inside their transaction."""
    return AuditEvent.dangerously_unscoped.create(
        workspace=workspace,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before or {},
        after=after or {},
    )


def audit_record_many(
    *,
    workspace: Workspace,
    actor: AbstractBaseUser | None,
    action: str,
    changes: list[tuple[models.Model, dict[str, Any], dict[str, Any]]],
    batch_size: int = 500,
) -> None:
    """``audit_record`` for many objects at once, as (object, before, after), in bulk."""
    actor = actor if actor is not None and actor.is_authenticated else None
    AuditEvent.dangerously_unscoped.bulk_create(
        [
            AuditEvent(
                workspace=workspace,
                actor=actor,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                before=before,
                after=after,
            )
            for obj, before, after in changes
        ],
        batch_size=batch_size,
    )


@transaction.atomic
def membership_add(
    *,
    workspace: Workspace,
    by: AbstractBaseUser | None,
    email: str,
    role: str,
    password: str | None = None,
) -> Membership:
    """Make a person a member at once, creating their user on first sight of the address.

    Only for the operator's ``workspace_create`` command and for an accepted invitation: a
    workspace admin invites (``invitation_create``), so nobody joins without consenting.
    A new user without ``password`` gets an unusable one until they choose one.
    """
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(username=email, email=email)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    elif Membership.dangerously_unscoped.filter(workspace=workspace, user=user).exists():
        raise ValidationError({"email": f"{email} is already a member of this workspace."})
    membership = Membership.dangerously_unscoped.create(workspace=workspace, user=user, role=role)
    audit_record(
        workspace=workspace,
        actor=by,
        action="membership.add",
        obj=membership,
        after={"user": email, "role": role},
    )
    return membership


def _ensure_an_admin_remains(membership: Membership) -> None:
    """Refuse to take ``membership`` away from the workspace's last admin.

    The admin rows stay locked until the caller's transaction ends. Two admins demoting or
    removing each other at once would otherwise each still see the other as admin and leave
    none: the second waits here for the first to commit, then decides from the fresh rows.
    """
    admin_ids = list(
        Membership.dangerously_unscoped.select_for_update()
        .filter(workspace_id=membership.workspace_id, role=Role.ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if membership.pk in admin_ids and len(admin_ids) <= 1:
        raise ValidationError({"role": "A workspace needs at least one admin."})


@transaction.atomic
def membership_change_role(
    *, membership: Membership, by: AbstractBaseUser | None, role: str
) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": f"{role!r} is not a role."})
    if role != Role.ADMIN:
        _ensure_an_admin_remains(membership)
    membership.refresh_from_db(fields=["role"])
    if role == membership.role:
        return membership
    before = {"role": membership.role}
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        workspace=membership.workspace,
        actor=by,
        action="membership.role_change",
        obj=membership,
        before=before,
        after={"role": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: AbstractBaseUser | None) -> None:
    _ensure_an_admin_remains(membership)
    membership.refresh_from_db(fields=["role"])
    audit_record(
        workspace=membership.workspace,
        actor=by,
        action="membership.remove",
        obj=membership,
        before={"user": membership.user.email, "role": membership.role},
    )
    membership.delete()


def _time_zone_check(time_zone: str) -> None:
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        raise ValidationError({"time_zone": error}) from None


@transaction.atomic
def workspace_update(
    *,
    workspace: Workspace,
    by: AbstractBaseUser | None,
    name: str,
    default_currency: str,
    time_zone: str,
) -> Workspace:
    """Rename the workspace, change its currency or its time zone (an IANA name), audited."""
    _time_zone_check(time_zone)
    fields = ("name", "default_currency", "time_zone")
    before = {field: getattr(workspace, field) for field in fields}
    after = {
        "name": name.strip(),
        "default_currency": default_currency.upper(),
        "time_zone": time_zone,
    }
    if before == after:
        return workspace
    for field in fields:
        setattr(workspace, field, after[field])
    workspace.save(update_fields=fields)
    audit_record(
        workspace=workspace,
        actor=by,
        action="workspace.update",
        obj=workspace,
        before=before,
        after=after,
    )
    return workspace


@transaction.atomic
def workspace_create(
    *,
    name: str,
    slug: str,
    admin_email: str,
    admin_password: str | None = None,
    default_currency: str = "USD",
    time_zone: str = "UTC",
    by: AbstractBaseUser | None = None,
) -> Workspace:
    """Open a workspace with its first admin, who then invites the rest of the team."""
    _time_zone_check(time_zone)
    if Workspace.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A workspace with the slug {slug!r} exists already."})
    workspace = Workspace.objects.create(
        name=name.strip(),
        slug=slug,
        default_currency=default_currency.upper(),
        time_zone=time_zone,
    )
    audit_record(
        workspace=workspace,
        actor=by,
        action="workspace.create",
        obj=workspace,
        after={
            "name": workspace.name,
            "slug": slug,
            "default_currency": default_currency,
            "time_zone": time_zone,
        },
    )
    membership_add(
        workspace=workspace, by=by, email=admin_email, role=Role.ADMIN, password=admin_password
    )
    return workspace


def password_reset_email_claim(*, user: AbstractBaseUser) -> bool:
    """Take the one password-reset e-mail ``user`` may receive per PASSWORD_RESET_EMAIL_INTERVAL.

    False while an earlier claim stands. ``cache.add`` is atomic, so two requests racing for
    the same user cannot both send.
    """
    return cache.add(
        f"password-reset-email:{user.pk}",
        True,
        timeout=int(settings.PASSWORD_RESET_EMAIL_INTERVAL.total_seconds()),
    )


@transaction.atomic
def api_token_create(
    *,
    workspace: Workspace,
    by: AbstractBaseUser,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token; the raw secret is returned once here and never stored."""
    if not scopes:
        raise ValidationError({"scopes": "Choose at least one scope."})
    unknown = set(scopes) - set(ApiScope.values)
    if unknown:
        raise ValidationError({"scopes": f"Unknown scopes: {', '.join(sorted(unknown))}."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must lie in the future."})
    prefix, raw = token_generate()
    token = ApiToken.dangerously_unscoped.create(
        workspace=workspace,
        name=name,
        prefix=prefix,
        secret_hash=token_hash(raw),
        scopes=sorted(set(scopes)),
        created_by=by,
        expires_at=expires_at,
    )
    audit_record(
        workspace=workspace,
        actor=by,
        action="api_token.create",
        obj=token,
        after={"scopes": token.scopes},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: AbstractBaseUser) -> ApiToken:
    """Stop a token working from now on; revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(workspace=token.workspace, actor=by, action="api_token.revoke", obj=token)
    return token
