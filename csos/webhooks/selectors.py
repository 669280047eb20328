"""Reads of the endpoints pages."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from csos.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

DELIVERY_LOG_SIZE = 200


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    """The workspace's shared endpoints (personal channels are their owners' own)."""
    return WebhookEndpoint.objects.filter(owner__isnull=True).order_by("name")


def personal_channels(*, user: AbstractBaseUser) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=user).order_by("name")


def delivery_log(*, endpoint: WebhookEndpoint, status: str = "") -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first, of one status when given."""
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
    if status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
    return list(deliveries[:DELIVERY_LOG_SIZE])
