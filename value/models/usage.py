"""Usage: the metrics a workspace measures, their daily records, and the product events mapped
to them."""

import json

from django.core.exceptions import ValidationError
from django.db import models

from csos.models import TenantModel
from csos.tenancy import TenantForeignKey


class Aggregation(models.TextChoices):
    SUM = "sum", "Sum"
    MAX = "max", "Maximum"
    LAST = "last", "Latest value"


class UsageMetric(TenantModel):
    """A measure of product usage that integrations report daily per account."""

    key = models.SlugField(max_length=60, help_text="The name integrations report it under.")
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=40, blank=True)
    aggregation = models.CharField(
        max_length=4,
        choices=Aggregation.choices,
        default=Aggregation.SUM,
        help_text="How daily values combine over a window. Summed metrics are read per week.",
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="usage_metric_unique_key")
        ]

    def __str__(self) -> str:
        return self.name


class UsageRecord(TenantModel):
    """One account's value of one metric on one day.

    The primary read is "every account's records of a window": the covering (workspace, day)
    index serves it; the unique (workspace, account, metric, day) index serves one account's
    history and makes repeated daily pushes idempotent.
    """

    account = TenantForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    metric = TenantForeignKey(UsageMetric, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    value = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account", "metric", "day"], name="usage_record_unique_day"
            )
        ]
        indexes = [
            # Covering: a window's aggregate reads the index alone, never the table.
            models.Index(
                fields=["workspace", "day"],
                include=["account", "metric", "value"],
                name="usage_record_window",
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} on {self.day}: {self.value}"


class EventMeasure(models.TextChoices):
    COUNT = "count", "Number of events"
    DISTINCT_USERS = "distinct_users", "Distinct users"


def validate_property_filter(value) -> None:
    """A property filter is a JSON object of scalar values (text, number, true/false, null)."""
    if not isinstance(value, dict):
        raise ValidationError(
            'Write a JSON object of property values, such as {"automated": false}.',
            code="wrong-type",
        )
    nested = sorted(name for name, part in value.items() if isinstance(part, dict | list))
    if nested:
        raise ValidationError(
            "Each property must equal one text, number, true/false or null value, not a list "
            "or object: %(names)s.",
            code="not-scalar",
            params={"names": ", ".join(nested)},
        )


class EventMapping(TenantModel):
    """Product events of one name, counted into a usage metric's daily records.

    All mappings of one metric measure it the same way: its daily value counts the events of
    all their names, or the distinct users who sent any of them. A mapping with a property
    filter counts only the events whose top-level properties equal each of its values, type
    included (``true`` is not ``"true"``).
    """

    event = models.CharField(max_length=200, help_text="The event name the product tracks.")
    metric = TenantForeignKey(UsageMetric, on_delete=models.CASCADE, related_name="event_mappings")
    measure = models.CharField(
        max_length=14, choices=EventMeasure.choices, default=EventMeasure.COUNT
    )
    property_filter = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_property_filter],
        help_text='Count only events whose properties have these values, e.g. {"automated": '
        "false}. Leave empty to count every event of the name.",
    )

    class Meta:
        ordering = ["event", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "event", "metric"], name="event_mapping_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.metric_id}"

    def property_conditions(self) -> list[str]:
        """The filter as people read it, values in JSON: ``automated = false``."""
        return [f"{name} = {json.dumps(value)}" for name, value in self.property_filter.items()]


class ProductEvent(TenantModel):
    """One tracked product event, stored once per ``message_id``.

    The daily usage records of mapped metrics are recomputed from these rows, so an event sent
    twice counts once and distinct users stay exact.
    """

    message_id = models.CharField(max_length=200)
    account = TenantForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    user_id = models.CharField(max_length=200)
    event = models.CharField(max_length=200)
    timestamp = models.DateTimeField()
    properties = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "message_id"], name="product_event_unique_message"
            )
        ]
        indexes = [
            # The roll-up reads one account's events of some names over a day.
            models.Index(
                fields=["workspace", "account", "event", "timestamp"], name="product_event_rollup"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} at {self.timestamp}"
