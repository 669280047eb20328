"""Segmentation and allocation: the rules that place accounts, their history, CSM capacity."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from accounts.models import Motion, ValueProblem
from csos.models import TenantModel
from csos.tenancy import TenantForeignKey, TenantOneToOneField


class Match(models.TextChoices):
    ALL = "all", "All conditions hold"
    ANY = "any", "Any condition holds"


class SegmentRule(TenantModel):
    """One rule of the workspace's ordered list: the accounts its condition holds for, and not
    placed by a rule of lower ``priority``, get its motion and value problem.

    ``clauses`` is a list of ``{"field", "op", "value"}`` checked against the whitelist of
    ``playbooks.segments.conditions``; it is data, never evaluated as code.
    """

    name = models.CharField(max_length=100)
    priority = models.PositiveIntegerField(help_text="Lower numbers are tried first.")
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)
    clauses = models.JSONField(default=list)
    motion = models.CharField(max_length=20, choices=Motion.choices)
    value_problem = models.CharField(max_length=20, choices=ValueProblem.choices)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "priority"], name="segment_rule_unique_priority"
            ),
            models.UniqueConstraint(fields=["workspace", "name"], name="segment_rule_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


def _weight(label: str, default: str) -> models.DecimalField:
    return models.DecimalField(
        f"load of a {label} account",
        max_digits=6,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal(0))],
        help_text="Capacity points one account of this motion takes from its owner.",
    )


class SegmentSettings(TenantModel):
    """The default rule's outcome, each motion's load per account, and the capacity of a CSM
    no one has set one for."""

    default_motion = models.CharField(max_length=20, choices=Motion.choices, default=Motion.POOLED)
    default_value_problem = models.CharField(
        max_length=20, choices=ValueProblem.choices, default=ValueProblem.ADOPTION
    )
    weight_digital = _weight("digital", "0.2")
    weight_pooled = _weight("pooled", "1")
    weight_named = _weight("named CSM", "3")
    weight_strategic = _weight("strategic", "8")
    default_capacity = models.DecimalField(
        "default capacity",
        max_digits=8,
        decimal_places=2,
        default=Decimal(100),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Points a CSM carries when no capacity is set for them.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"], name="segment_settings_one_per_workspace"
            ),
            models.CheckConstraint(
                condition=models.Q(default_capacity__gt=0),
                name="segment_settings_capacity_positive",
            ),
        ]

    def __str__(self) -> str:
        return "Segment settings"

    @property
    def weights(self) -> dict[str, Decimal]:
        """Each motion's load per account."""
        return {motion: getattr(self, f"weight_{motion}") for motion in Motion.values}


class CsmCapacity(TenantModel):
    """How many load points a member's book may carry, and the motions they may own.

    An account whose motion is not among its owner's ``motions`` does not fit them (a strategic
    account in a pooled queue); the load page lists it and rebalancing never moves one there.
    """

    membership = TenantOneToOneField(
        "csos.Membership", on_delete=models.CASCADE, related_name="capacity"
    )
    capacity = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    motions = models.JSONField(default=list, help_text="The motions this member may own.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__gt=0), name="csm_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Capacity {self.capacity}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Re-segmenting"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class RunTrigger(models.TextChoices):
    NIGHTLY = "nightly", "Nightly"
    ON_DEMAND = "on_demand", "On demand"
    RULES = "rules", "Rules changed"


class SegmentationRun(TenantModel):
    """One re-segmentation of the workspace's accounts, for its page to follow."""

    trigger = models.CharField(max_length=10, choices=RunTrigger.choices)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    account_count = models.PositiveIntegerField(default=0)
    changed_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Re-segmentation ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {RunStatus.DONE, RunStatus.FAILED}


class SegmentChange(TenantModel):
    """An account placed anew: its motion and value problem before and after, the rule that
    placed it (blank: the default) and why, as the rule read on the account's facts then.

    The latest change of an account is its current placement.
    """

    account = TenantForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="segment_changes"
    )
    from_motion = models.CharField(max_length=20, choices=Motion.choices, blank=True)
    from_value_problem = models.CharField(max_length=20, choices=ValueProblem.choices, blank=True)
    to_motion = models.CharField(max_length=20, choices=Motion.choices)
    to_value_problem = models.CharField(max_length=20, choices=ValueProblem.choices)
    rule = TenantForeignKey(
        SegmentRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule_name = models.CharField(max_length=100)
    reason = models.CharField(max_length=500)
    run = TenantForeignKey(
        SegmentationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["workspace", "account", "-at", "-id"])]

    def __str__(self) -> str:
        return f"{self.from_motion or 'unplaced'} → {self.to_motion}"
