"""Success plans: what one account will reach, by objective and milestone, and their reviews.

The people and the handoff they point at are named by label: this module is imported by the
package's __init__ before those classes exist."""

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.models import Account
from csos.models import TenantModel
from csos.tenancy import TenantForeignKey


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"


class SuccessPlan(TenantModel):
    """The framework applied to one account. One is active; older plans are archived, not lost."""

    account = TenantForeignKey(Account, on_delete=models.CASCADE, related_name="success_plans")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    starts_on = models.DateField()
    handoff = TenantForeignKey(
        "stakeholders.SalesHandoff",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_reviewed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account"],
                condition=models.Q(status="active"),
                name="success_plan_one_active_per_account",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def reviewed_or_started_on(self) -> dt.date:
        return self.last_reviewed_on or self.starts_on


class Objective(TenantModel):
    """What the customer will reach: a use case up to a ladder level, owned by a stakeholder."""

    plan = TenantForeignKey(SuccessPlan, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(max_length=300)
    # The framework's use case; the name stays for objectives written before it was chosen.
    use_case = TenantForeignKey(
        "framework.UseCase",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="use case",
    )
    use_case_name = models.CharField("use case name", max_length=150, blank=True)
    target_level = models.PositiveSmallIntegerField(
        "target ladder level", default=3, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    owner = TenantForeignKey(
        # RESTRICT, not PROTECT: deleting the account still removes plan and people together.
        "stakeholders.Stakeholder",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="objectives",
    )
    promise = TenantForeignKey(
        "stakeholders.HandoffPromise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_level__gte=1, target_level__lte=4),
                name="objective_target_level_1_to_4",
            )
        ]

    def __str__(self) -> str:
        return self.title


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    MISSED = "missed", "Missed"


class Milestone(TenantModel):
    """A dated step of a success plan."""

    plan = TenantForeignKey(SuccessPlan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=300)
    due_on = models.DateField()
    status = models.CharField(
        max_length=12, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class PlanReview(TenantModel):
    """A business review of the plan, and what it changed."""

    plan = TenantForeignKey(SuccessPlan, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField()
    changes = models.TextField(help_text="What changed in the plan at this review.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"Review on {self.reviewed_on}"
