"""The weekly e-mail digests: per CSM (their overdue and open tasks, band changes and renewals
entering a window in their book) and per leader (the same portfolio-wide, renewals at risk,
overdue tasks by CSM and value-proof coverage), at most one per member and week, with a
one-click unsubscribe by a signed link.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Account, AccountStatus
from csos.models import LEADER_ROLES, Membership, Role, Workspace
from health import selectors as health_selectors
from health.models import Band
from health.scoring import iso_week
from playbooks.models import DigestDelivery, DigestKind, DigestOptOut
from playbooks.selectors import open_tasks, playbook_settings
from value.models import Level
from value.selectors import accounts_with_level

_UNSUBSCRIBE_SALT = "playbooks.digest-unsubscribe"
SHOWN = 10  # rows of each list the e-mail shows; the counts say how many there are
# The week's digest goes out from Monday at this hour, in the workspace's own time zone.
DIGEST_WEEKDAY, DIGEST_HOUR = 0, 7


def digest_kind(membership: Membership) -> str | None:
    """Leaders and admins get the portfolio digest, CSMs their own; viewers none."""
    if membership.role in LEADER_ROLES:
        return DigestKind.LEADER
    return DigestKind.CSM if membership.role == Role.CSM else None


def renewals_entering_windows(
    *, today: dt.date, windows: tuple[int, ...], owner_id: int | None = None
) -> list[dict]:
    """Active accounts whose renewal came within one of ``windows`` days during the seven days
    up to ``today``: ``account``, ``window``, ``days`` left. One query."""
    entered = Q()
    for window in windows:
        entered |= Q(
            renewal_date__gt=today + dt.timedelta(days=window - 7),
            renewal_date__lte=today + dt.timedelta(days=window),
        )
    accounts = Account.objects.filter(entered, status=AccountStatus.ACTIVE)
    if owner_id is not None:
        accounts = accounts.filter(owner_id=owner_id)
    rows = []
    for account in accounts.select_related("owner").order_by("renewal_date", "pk"):
        days = (account.renewal_date - today).days
        window = min(w for w in windows if days <= w)
        rows.append({"account": account, "window": window, "days": days})
    return rows


def csm_digest(*, user: AbstractBaseUser, today: dt.date) -> dict:
    tasks = list(open_tasks(assignee_id=user.pk))
    overdue = [task for task in tasks if task.due_on < today]
    return {
        "overdue": overdue,
        "open": [task for task in tasks if task.due_on >= today],
        "band_changes": health_selectors.band_changes(week=iso_week(today), owner_id=user.pk),
        "renewals": renewals_entering_windows(
            today=today, windows=playbook_settings().windows, owner_id=user.pk
        ),
    }


def leader_digest(*, today: dt.date) -> dict:
    windows = playbook_settings().windows
    at_risk = (
        Account.objects.filter(
            status=AccountStatus.ACTIVE,
            renewal_date__gte=today,
            renewal_date__lte=today + dt.timedelta(days=max(windows)),
        )
        .annotate(band=health_selectors.latest_band_subquery())
        .filter(band__in=[Band.RED, Band.YELLOW])
        .select_related("owner")
        .order_by("renewal_date", "pk")
    )
    overdue = Counter(
        task.assignee.get_full_name() or task.assignee.email if task.assignee else "Unassigned"
        for task in open_tasks().filter(due_on__lt=today)
    )
    levels = accounts_with_level().filter(status=AccountStatus.ACTIVE)
    active = levels.count()
    proven = levels.filter(highest_level__gte=Level.USE_CASE_VALUE).count()
    return {
        "band_changes": health_selectors.band_changes(week=iso_week(today)),
        "renewals": renewals_entering_windows(today=today, windows=windows),
        "at_risk": [{"account": account, "band": Band(account.band).label} for account in at_risk],
        "overdue_by_csm": sorted(overdue.items(), key=lambda item: (-item[1], item[0])),
        "overdue_count": sum(overdue.values()),
        "coverage": {
            "active": active,
            "proven": proven,
            "share": round(100 * proven / active, 1) if active else None,
        },
    }


def unsubscribe_token(*, workspace: Workspace, user: AbstractBaseUser) -> str:
    return signing.dumps([workspace.pk, user.pk], salt=_UNSUBSCRIBE_SALT)


def unsubscribe_target(token: str) -> tuple[int, int] | None:
    """(workspace id, user id) the token was made for, or None for a forged one."""
    try:
        workspace_id, user_id = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return workspace_id, user_id


def digest_subscribed(*, user: AbstractBaseUser) -> bool:
    return not DigestOptOut.objects.filter(user=user).exists()


def digest_subscription_set(*, workspace: Workspace, user: AbstractBaseUser, on: bool) -> None:
    """Receive (``on``) or stop the weekly digest of ``workspace``; idempotent."""
    if on:
        DigestOptOut.objects.filter(user=user).delete()
    else:
        DigestOptOut.objects.get_or_create(workspace=workspace, user=user)


def digest_send(*, membership: Membership, today: dt.date) -> bool:
    """Send ``membership``'s digest of the week ``today`` falls in, unless they opted out, hold
    no digest role, or already got it; True when sent.

    The week's delivery row is written first, under its unique key, so a second run (or a
    concurrent one) sends nothing; the mail goes once the row is committed.
    """
    kind = digest_kind(membership)
    user = membership.user
    if kind is None or not user.email or not digest_subscribed(user=user):
        return False
    week = iso_week(today)
    try:
        with transaction.atomic():
            DigestDelivery.objects.create(
                workspace=membership.workspace, user=user, week=week, kind=kind
            )
            content = (
                csm_digest(user=user, today=today)
                if kind == DigestKind.CSM
                else leader_digest(today=today)
            )
            message = _digest_mail(membership=membership, kind=kind, week=week, content=content)
            transaction.on_commit(message.send)
    except IntegrityError:
        return False
    return True


def _digest_mail(
    *, membership: Membership, kind: str, week: dt.date, content: dict
) -> EmailMultiAlternatives:
    workspace, user = membership.workspace, membership.user
    unsubscribe = settings.SITE_URL + reverse(
        "digest_unsubscribe",
        kwargs={"token": unsubscribe_token(workspace=workspace, user=user)},
    )
    context = {
        **content,
        "kind": kind,
        "week": week,
        "user": user,
        "workspace": workspace,
        "site_url": settings.SITE_URL,
        "unsubscribe_url": unsubscribe,
        "settings_url": settings.SITE_URL + reverse("digest_settings"),
        "shown": SHOWN,
    }
    message = EmailMultiAlternatives(
        subject=f"{workspace.name}: your week of {week:%d %b %Y}",
        body=render_to_string("playbooks/digest_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        # RFC 8058: a mail client may unsubscribe with one POST to the link, no page shown.
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string("playbooks/digest_email.html", context), "text/html"
    )
    return message


def digest_due(*, time_zone: str, now: dt.datetime) -> bool:
    """Whether the week's digest is due at ``now`` in ``time_zone``: from Monday DIGEST_HOUR:00
    local time to the week's end, so an hourly run that missed the hour catches up."""
    local = now.astimezone(zoneinfo.ZoneInfo(time_zone))
    return not (local.weekday() == DIGEST_WEEKDAY and local.hour < DIGEST_HOUR)


def digests_send(*, workspace: Workspace, today: dt.date) -> int:
    """Send the week's digest to each member of ``workspace`` in scope who has not had it; how
    many were sent."""
    members = (
        Membership.objects.filter(workspace=workspace)
        .exclude(user__in=DigestDelivery.objects.filter(week=iso_week(today)).values("user"))
        .select_related("user", "workspace")
    )
    return sum(digest_send(membership=membership, today=today) for membership in members)
