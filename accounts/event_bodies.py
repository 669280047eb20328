"""The ``account`` object every domain event about a customer carries (see csos.event_types)."""

from typing import Any

from django.conf import settings
from django.urls import reverse

from accounts.models import Account


def account_ref(account: Account) -> dict[str, Any]:
    """The customer as events describe it; ``band`` is the health app's and left to it."""
    owner = account.owner
    return {
        "id": account.pk,
        "name": account.name,
        "external_id": account.external_id,
        "segment": account.segment,
        "owner_id": owner.pk if owner else None,
        "owner_email": owner.email if owner else None,
        "band": None,
        "url": settings.SITE_URL + reverse("account_detail", args=[account.pk]),
    }
