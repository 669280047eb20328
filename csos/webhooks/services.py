"""Managing endpoints: add, change, rotate a secret, remove. Admins only (the pages check)."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from csos.event_types import EVENT_TYPES, TASK_EVENTS
from csos.models import EndpointKind, WebhookEndpoint, Workspace
from csos.services import audit_record
from csos.webhooks import signing, transport

ROTATION_OVERLAP = dt.timedelta(hours=24)
_AUDITED = ("kind", "name", "url", "event_types", "segments", "owner_ids", "bands", "enabled")


def _snapshot(endpoint: WebhookEndpoint) -> dict:
    return {name: getattr(endpoint, name) for name in _AUDITED}


def _check(endpoint: WebhookEndpoint) -> None:
    unknown = sorted(set(endpoint.event_types) - set(EVENT_TYPES))
    if unknown:
        raise ValidationError({"event_types": f"Unknown event types: {', '.join(unknown)}."})
    if not endpoint.event_types:
        raise ValidationError({"event_types": "Choose at least one event."})
    if endpoint.owner_id is not None and set(endpoint.event_types) - TASK_EVENTS:
        raise ValidationError({"event_types": "A personal channel receives task events only."})
    try:
        transport.url_check(endpoint.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES)
    except transport.UnsafeDestination as error:
        raise ValidationError({"url": str(error)}) from None
    if WebhookEndpoint.objects.filter(name=endpoint.name, owner_id=endpoint.owner_id).exclude(
        pk=endpoint.pk
    ):
        raise ValidationError({"name": "Another endpoint has this name."})


@transaction.atomic
def endpoint_create(
    *,
    workspace: Workspace,
    by: AbstractBaseUser,
    kind: str,
    name: str,
    url: str,
    event_types: list[str],
    segments: list[str] = (),
    owner_ids: list[int] = (),
    bands: list[str] = (),
    owner: AbstractBaseUser | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it and, for a signed webhook, its secret, shown this once."""
    endpoint = WebhookEndpoint(
        workspace=workspace,
        kind=kind,
        name=name,
        url=url,
        event_types=sorted(event_types),
        segments=sorted(segments),
        owner_ids=sorted(owner_ids),
        bands=sorted(bands),
        owner=owner,
        created_by=by,
        secret=signing.secret_new() if kind == EndpointKind.WEBHOOK else "",
    )
    _check(endpoint)
    endpoint.save()
    audit_record(
        workspace=workspace, actor=by, action="webhook_endpoint.created", obj=endpoint,
        after=_snapshot(endpoint),
    )  # fmt: skip
    return endpoint, endpoint.secret


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, by: AbstractBaseUser, **changes) -> None:
    """Change an endpoint's URL, events, filters or state; enabling it clears why it stopped."""
    before = _snapshot(endpoint)
    for name, value in changes.items():
        setattr(endpoint, name, sorted(value) if isinstance(value, list | tuple) else value)
    if endpoint.enabled:
        endpoint.disabled_reason = ""
    _check(endpoint)
    endpoint.save()
    audit_record(
        workspace=endpoint.workspace, actor=by, action="webhook_endpoint.changed", obj=endpoint,
        before=before, after=_snapshot(endpoint),
    )  # fmt: skip


@transaction.atomic
def endpoint_secret_rotate(
    *, endpoint: WebhookEndpoint, by: AbstractBaseUser, overlap: dt.timedelta = ROTATION_OVERLAP
) -> str:
    """A new secret, shown once; the previous one keeps signing beside it for ``overlap``."""
    if endpoint.kind != EndpointKind.WEBHOOK:
        raise ValidationError("Only a signed webhook has a secret.")
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = timezone.now() + overlap
    endpoint.secret = signing.secret_new()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    audit_record(
        workspace=endpoint.workspace, actor=by, action="webhook_endpoint.secret_rotated",
        obj=endpoint, after={"previous_secret_until": endpoint.previous_secret_until.isoformat()},
    )  # fmt: skip
    return endpoint.secret


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, by: AbstractBaseUser) -> None:
    audit_record(
        workspace=endpoint.workspace, actor=by, action="webhook_endpoint.deleted", obj=endpoint,
        before=_snapshot(endpoint),
    )  # fmt: skip
    endpoint.delete()
