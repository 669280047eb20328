"""What CSOS sends out: work queued after a commit, domain events, and the endpoints and
deliveries that carry events to webhooks, Slack and Teams. Imported by ``csos.models``."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from csos.models import TenantModel
from csos.tenancy import TenantForeignKey


class OutboxMessage(TenantModel):
    """A Celery task to send once the transaction that wrote this row commits.

    The row is written in the caller's transaction, so the work exists exactly when the data it
    follows does; a relay sends it after the commit and a sweep re-sends what the relay could
    not (the broker down at commit). ``sent_at`` is set once the broker took the task.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} queued {self.created_at:%Y-%m-%d %H:%M:%S}"


class DomainEvent(TenantModel):
    """Something that happened in the workspace, as announced to the outside world.

    Written inside the transaction of the change it describes, so an event exists only if that
    change committed. ``event_id`` is its stable public id; ``body`` follows the JSON Schema of
    ``event_type`` at ``schema_version`` (see ``csos.event_types``).
    """

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=60)
    schema_version = models.PositiveSmallIntegerField()
    occurred_at = models.DateTimeField(default=timezone.now)
    account_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The customer the event is about, when there is one."
    )
    body = models.JSONField(default=dict)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["workspace", "event_type", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class EndpointKind(models.TextChoices):
    WEBHOOK = "webhook", "Signed webhook"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams incoming webhook"


class WebhookEndpoint(TenantModel):
    """A URL that receives some of the workspace's events: a signed webhook, or a Slack or
    Teams channel's incoming webhook. A personal endpoint (``owner`` set) receives only the
    task events of the owner's own tasks."""

    kind = models.CharField(max_length=10, choices=EndpointKind.choices)
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    event_types = models.JSONField(default=list)
    segments = models.JSONField(default=list, blank=True)
    owner_ids = models.JSONField(default=list, blank=True, help_text="CSMs whose accounts count.")
    bands = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Set on a personal channel: it receives its owner's own task alerts only.",
    )
    secret = models.CharField(max_length=100, blank=True)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "owner", "name"],
                name="webhook_endpoint_unique_name",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(TenantModel):
    """One event sent to one endpoint, with the outcome of its latest attempt.

    The row is the truth of the delivery: a worker claims it by locking it, so one killed mid-
    attempt leaves it pending for the sweep; every attempt carries the same ``webhook-id``.
    """

    endpoint = TenantForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="+")
    event = TenantForeignKey(DomainEvent, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "endpoint", "event"], name="webhook_delivery_unique_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due",
            ),
            # A batch claims one endpoint's due deliveries, oldest first.
            models.Index(
                fields=["endpoint", "next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_endpoint_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint}"

    @property
    def webhook_id(self) -> str:
        """The ``webhook-id`` of every attempt: the event's, so a receiver can deduplicate."""
        return f"msg_{self.event.event_id.hex}"
