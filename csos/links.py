"""Signed links for people without a CSOS login: expiring, single-use or revocable.

A link is a ``SharedLink`` row plus a token signed with the project's secret and salted with
the link's purpose, so a token made for one purpose never opens another. The token only names
the row; the row decides whether the link still opens. The token is the visitor's whole
authority, so resolving it is the one place a page looks a row up before any workspace is in
scope; every later read runs inside the link's workspace.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import transaction
from django.utils import timezone

from csos.models import SharedLink, Workspace
from csos.tenancy import workspace_scope

_SALT_PREFIX = "csos.links:"


class LinkRefused(Exception):
    """The link does not open; ``reason`` says why in words fit for the visitor."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


TAMPERED = "This link is not valid. Check that you copied all of it."
EXPIRED = "This link has expired. Ask the person who sent it for a new one."
USED = "This link has already been used."
REVOKED = "This link has been withdrawn."


@dataclass(frozen=True)
class IssuedLink:
    link: SharedLink
    token: str


def link_issue(
    *,
    workspace: Workspace,
    purpose: str,
    target_id: int,
    by: AbstractBaseUser | None,
    lifetime: timedelta,
    single_use: bool = True,
) -> IssuedLink:
    """Create a link to ``target_id`` for ``purpose`` and return it with its token."""
    link = SharedLink.dangerously_unscoped.create(
        workspace=workspace,
        purpose=purpose,
        target_id=target_id,
        single_use=single_use,
        created_by=by if by is not None and by.is_authenticated else None,
        expires_at=timezone.now() + lifetime,
    )
    return IssuedLink(link=link, token=link_token(link))


def link_token(link: SharedLink) -> str:
    """A token that opens ``link``; any token made for it opens it as long as the row allows."""
    return signing.dumps(link.pk, salt=_SALT_PREFIX + link.purpose)


def link_resolve(*, token: str, purpose: str, now: datetime | None = None) -> SharedLink:
    """The link ``token`` names, if it opens now; otherwise ``LinkRefused``."""
    try:
        link_id = signing.loads(token, salt=_SALT_PREFIX + purpose)
    except signing.BadSignature:
        raise LinkRefused(TAMPERED) from None
    link = (
        SharedLink.dangerously_unscoped.select_related("workspace")
        .filter(pk=link_id, purpose=purpose)
        .first()
    )
    if link is None:
        raise LinkRefused(TAMPERED)
    _check_open(link, now=now or timezone.now())
    return link


@contextmanager
def link_scope(*, token: str, purpose: str) -> Iterator[SharedLink]:
    """The link ``token`` opens, with the block run in the link's workspace: how a page reached
    without a session sets the scope. ``LinkRefused`` (before any scope) when it does not open."""
    link = link_resolve(token=token, purpose=purpose)
    with workspace_scope(link.workspace):
        yield link


def _check_open(link: SharedLink, *, now: datetime) -> None:
    if link.revoked_at is not None:
        raise LinkRefused(REVOKED)
    if link.single_use and link.used_at is not None:
        raise LinkRefused(USED)
    if now >= link.expires_at:
        raise LinkRefused(EXPIRED)


@transaction.atomic
def link_use(*, link: SharedLink, ip: str | None, now: datetime | None = None) -> SharedLink:
    """Mark a single-use link used, from ``ip``; a second use (even a concurrent one) is refused.

    The row is locked, so of two visitors submitting at once only the first gets through.
    """
    now = now or timezone.now()
    locked = SharedLink.dangerously_unscoped.select_for_update().get(pk=link.pk)
    _check_open(locked, now=now)
    locked.used_at = now
    locked.used_from = ip
    locked.save(update_fields=["used_at", "used_from"])
    return locked


def link_revoke(*, link: SharedLink, now: datetime | None = None) -> None:
    SharedLink.objects.filter(pk=link.pk, revoked_at=None).update(revoked_at=now or timezone.now())


def link_sender(*, workspace: Workspace, sender: AbstractBaseUser | None) -> str:
    """Who a link's page says asks: the user who sent it, and their company (the workspace)."""
    name = (sender.get_full_name() or sender.email) if sender is not None else ""
    return f"{name} of {workspace.name}" if name else workspace.name


def recipient_refusal(*, person, account_id: int) -> str | None:
    """Why a link may not go to ``person`` (a stakeholder, untyped as the core knows no app),
    or None: they must be on the account's map, still there, and have an e-mail address."""
    if person.account_id != account_id:
        return "Choose a stakeholder of this account."
    if person.has_left or person.erased_at is not None:
        return f"{person.name} is no longer at the account."
    if not person.email:
        return f"{person.name} has no e-mail address: add it to their record."
    return None


def client_ip(request) -> str | None:
    """The address the request came from, as the web server reports it."""
    return request.META.get("REMOTE_ADDR") or None
