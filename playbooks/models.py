from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from csos.models import TenantModel
from csos.tenancy import TenantForeignKey
from playbooks.rules import renewal_windows_parse


class TaskPriority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    DISMISSED = "dismissed", "Dismissed"


class Task(TenantModel):
    """A piece of work a playbook created for an account, with the reason that fired it.

    ``cause`` names what fired it (a band, a renewal, a departure, one interaction's next
    action); an account holds one open task per cause. ``occasion`` names the instance of the
    cause (the week, the renewal window, the departure), which fires once however often the
    triggers run, whatever became of its task.
    """

    account = TenantForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="tasks")
    playbook = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    reason = models.CharField(max_length=300)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField()
    priority = models.CharField(max_length=8, choices=TaskPriority.choices)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    cause = models.CharField(max_length=120)
    occasion = models.CharField(max_length=120, blank=True)
    snoozed_until = models.DateField(
        null=True, blank=True, help_text="The task stays out of the queue until this day."
    )
    outcome = models.CharField(max_length=300, blank=True, help_text="What closing it achieved.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account", "cause"],
                condition=models.Q(status=TaskStatus.OPEN),
                name="task_one_open_per_cause",
            ),
            models.UniqueConstraint(
                fields=["workspace", "account", "cause", "occasion"],
                name="task_once_per_occasion",
            ),
        ]
        # Ends with the id so lists ordered by due date then id (My tasks, the portfolio's
        # panel) read their first rows off the index, however many tasks share a due date.
        indexes = [models.Index(fields=["workspace", "assignee", "status", "due_on", "id"])]

    def __str__(self) -> str:
        return self.title


def _weight_field(default: float, help_text: str) -> models.FloatField:
    return models.FloatField(
        default=default,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=help_text,
    )


class AttentionSettings(TenantModel):
    """The workspace's weights of the attention ranking (see playbooks/attention.py)."""

    risk = _weight_field(30, "Points for a Red band (half for Yellow).")
    trend = _weight_field(10, "Points for a fall of 20 health points or more last week.")
    renewal = _weight_field(20, "Points for a renewal that is due today or past.")
    arr = _weight_field(15, "Points for the largest ARR in the queue.")
    value_delta = _weight_field(10, "Points for the largest unrealised value in the queue.")
    work = _weight_field(10, "Points for six or more open items.")
    stakeholders = _weight_field(15, "Points for two or more stakeholder changes in 30 days.")
    silence = _weight_field(10, "Points for silence as long as the silence horizon.")
    unproven = _weight_field(10, "Points for three unproven claims inside the renewal horizon.")
    renewal_horizon_days = models.PositiveSmallIntegerField(
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text="Days before a renewal from which it counts as near.",
    )
    silence_horizon_days = models.PositiveSmallIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days without a customer conversation that count as full silence.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"], name="attention_settings_one_per_workspace"
            )
        ]

    def __str__(self) -> str:
        return "Attention weights"


def renewal_windows_clean(value: str) -> str:
    """The windows in their stored form, widest first (``"120, 90"``); a ``ValidationError``
    says what is wrong."""
    try:
        return ", ".join(str(days) for days in renewal_windows_parse(value))
    except ValueError as error:
        raise ValidationError(str(error)) from None


class PlaybookSettings(TenantModel):
    """The workspace's thresholds for the playbook triggers and escalations."""

    band_margin = models.FloatField(
        default=2.0,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text="Points a health score must lie inside a band before it counts as entered: "
        "a score wobbling around a threshold fires nothing.",
    )
    expansion_usage_score = models.FloatField(
        default=9.0,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text="Usage score (0-10) from which an account entering Green fires the expansion "
        "play.",
    )
    renewal_windows = models.CharField(
        max_length=60,
        default="120, 90, 60, 30",
        validators=[renewal_windows_clean],
        help_text="Days before the renewal date at which a renewal checkpoint starts, "
        "separated by commas.",
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Days a task may stay overdue before a leader is asked to step in.",
    )
    next_action_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Interactions of this many days back whose next action becomes a task.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"], name="playbook_settings_one_per_workspace"
            )
        ]

    def __str__(self) -> str:
        return "Playbook settings"

    @property
    def windows(self) -> tuple[int, ...]:
        """The renewal windows in days, widest first."""
        return renewal_windows_parse(self.renewal_windows)


class DigestKind(models.TextChoices):
    CSM = "csm", "CSM"
    LEADER = "leader", "Leader"


class DigestDelivery(TenantModel):
    """One weekly digest e-mail sent to one member: at most one per member and week."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday of the week the digest covers.")
    kind = models.CharField(max_length=6, choices=DigestKind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-week", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user", "week"], name="digest_delivery_one_per_user_week"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} digest of {self.week}"


class DigestOptOut(TenantModel):
    """A member who asked not to receive the weekly digest of this workspace."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user"], name="digest_opt_out_one_per_user"
            )
        ]

    def __str__(self) -> str:
        return "Weekly digest unsubscribed"


# Segmentation and allocation keep their models in their own module; Django finds them here.
from playbooks.segments.models import (  # noqa: E402, F401
    CsmCapacity,
    SegmentationRun,
    SegmentChange,
    SegmentRule,
    SegmentSettings,
)
