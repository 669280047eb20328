"""People at a customer, the plan to reach value with them, the sales handoff, the conversations.

Stakeholders are personal data: ``stakeholder_erase`` blanks their identifying fields and keeps
the row, so counts, dates and roles of the history stay as they were.
"""

import datetime as dt

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower

from accounts.models import Account
from csos.models import TenantModel
from csos.tenancy import TenantForeignKey

# Django finds an app's models in its ``models`` module: the plans' come in here.
from stakeholders.models.plans import (  # noqa: F401
    Milestone,
    MilestoneStatus,
    Objective,
    PlanReview,
    PlanStatus,
    SuccessPlan,
)


class StakeholderRole(models.TextChoices):
    ENABLER = "enabler", "Enabler"
    PRODUCER = "producer", "Producer"
    CHAMPION = "champion", "Champion"
    OWNER = "owner", "Owner"


# The roles whose departure is a signal for health scoring and playbooks.
KEY_ROLES = (StakeholderRole.OWNER, StakeholderRole.CHAMPION)


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"
    UNKNOWN = "unknown", "Unknown"


class StakeholderStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    LEFT = "left", "Left"


class RoleGuide(TenantModel):
    """The workspace's stakeholder model for one role: what to say, what it measures, where."""

    role = models.CharField(max_length=10, choices=StakeholderRole.choices)
    messages = models.TextField(blank=True, help_text="What this role needs to hear; one per line.")
    metrics = models.TextField(blank=True, help_text="What this role measures; one per line.")
    forums = models.TextField(blank=True, help_text="Where to meet this role; one per line.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "role"], name="role_guide_unique_role")
        ]

    def __str__(self) -> str:
        return f"Stakeholder model: {self.get_role_display()}"


class FlagThresholds(TenantModel):
    """The workspace's thresholds for the success-plan and relationship flags."""

    plan_due_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days after contract start by which an account needs a success plan."
    )
    review_due_days = models.PositiveSmallIntegerField(
        default=100, help_text="Days after its last review by which a plan is reviewed again."
    )
    departure_signal_days = models.PositiveSmallIntegerField(
        default=90, help_text="Days an Owner or Champion departure stays flagged."
    )
    theatre_window_days = models.PositiveSmallIntegerField(
        default=90, help_text="Window in which interactions are counted for relationship theatre."
    )
    theatre_min_interactions = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1)],
        help_text="This many interactions in the window, none of which updated evidence or the "
        "plan, is relationship theatre.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="flag_thresholds_one_per_workspace")
        ]

    def __str__(self) -> str:
        return "Flag thresholds"


class Stakeholder(TenantModel):
    """A person at a customer account, in one of the four roles of the stakeholder model."""

    account = TenantForeignKey(Account, on_delete=models.CASCADE, related_name="stakeholders")
    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    title = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=10, choices=StakeholderRole.choices)
    influence = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    sentiment = models.CharField(
        max_length=10, choices=Sentiment.choices, default=Sentiment.UNKNOWN
    )
    status = models.CharField(
        max_length=10, choices=StakeholderStatus.choices, default=StakeholderStatus.ACTIVE
    )
    added_on = models.DateField(default=dt.date.today)
    left_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person's identifying data was erased on request."
    )

    class Meta:
        ordering = ["-influence", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(influence__gte=1, influence__lte=5),
                name="stakeholder_influence_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(status="active", left_on__isnull=True)
                | models.Q(status="left", left_on__isnull=False),
                name="stakeholder_left_has_date",
            ),
            # Integrations name a person by account and e-mail; erased people have none.
            models.UniqueConstraint(
                F("workspace"),
                F("account"),
                Lower("email"),
                condition=~models.Q(email=""),
                name="stakeholder_unique_email",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "account", "role"]),
            # Search: typo-tolerant matches on a person's name or address.
            *(
                GinIndex(fields=[name], opclasses=["gin_trgm_ops"], name=f"stakeholder_{name}_trgm")
                for name in ("name", "email")
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return "Erased person" if self.erased_at else self.name

    @property
    def has_left(self) -> bool:
        return self.status == StakeholderStatus.LEFT


class StakeholderChange(TenantModel):
    """An Owner or Champion left: the event health scoring and playbooks read."""

    account = TenantForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    stakeholder = TenantForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="changes")
    role = models.CharField(max_length=10, choices=StakeholderRole.choices)
    left_on = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-left_on", "-id"]
        indexes = [models.Index(fields=["workspace", "left_on"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()} left on {self.left_on}"


class StakeholderState(TenantModel):
    """A person's role and sentiment from ``since`` on, until their next state: scoring a past
    week reads the state of its end. The stakeholder services write one on every change of
    either; a person with no state at all (recorded before states were kept) reads their own
    fields."""

    stakeholder = TenantForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="states")
    role = models.CharField(max_length=10, choices=StakeholderRole.choices)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices)
    since = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-since", "-id"]
        indexes = [models.Index(fields=["workspace", "stakeholder", "since"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()}, {self.get_sentiment_display()}, from {self.since}"


class PromiseStatus(models.TextChoices):
    UNPROVEN = "unproven", "Unproven"
    PROVEN = "proven", "Proven"
    DISPUTED = "disputed", "Disputed"
    BROKEN = "broken", "Broken"


class SalesHandoff(TenantModel):
    """What sales recorded at signing; it seeds the success plan and its promises are audited."""

    account = TenantForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    signed_on = models.DateField()
    use_cases = models.TextField(blank=True, help_text="One use case per line.")
    risks = models.TextField(blank=True, help_text="Known risks, one per line.")
    success_criteria = models.TextField(blank=True, help_text="One criterion per line.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account"], name="sales_handoff_one_per_account"
            )
        ]

    def __str__(self) -> str:
        return "Sales handoff"


class HandoffPromise(TenantModel):
    """An outcome sales promised, kept visible with the status of the evidence for it."""

    handoff = TenantForeignKey(SalesHandoff, on_delete=models.CASCADE, related_name="promises")
    outcome = models.CharField(max_length=300)
    use_case_name = models.CharField("use case", max_length=150, blank=True)
    target_level = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    status = models.CharField(
        max_length=10, choices=PromiseStatus.choices, default=PromiseStatus.UNPROVEN
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.outcome


class HandoffPerson(TenantModel):
    """A key person sales named; becomes a stakeholder when a plan is made from the handoff."""

    handoff = TenantForeignKey(SalesHandoff, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    title = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=10, choices=StakeholderRole.choices)
    stakeholder = TenantForeignKey(
        Stakeholder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class InteractionKind(models.TextChoices):
    MEETING = "meeting", "Meeting"
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    BUSINESS_REVIEW = "business_review", "Business review"
    NOTE = "note", "Note"


# Kinds that get a prep sheet and an outcome.
MEETING_KINDS = (InteractionKind.MEETING, InteractionKind.BUSINESS_REVIEW)


class Interaction(TenantModel):
    """One conversation with the customer: who took part, how it was prepared, what it changed."""

    account = TenantForeignKey(Account, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=20, choices=InteractionKind.choices)
    occurred_on = models.DateField("date")
    title = models.CharField(max_length=200)
    participants = models.ManyToManyField(
        Stakeholder, through="InteractionParticipant", related_name="interactions", blank=True
    )
    prep_objective = models.TextField("objective", blank=True)
    prep_questions = models.TextField("questions to ask", blank=True)
    prep_request = models.TextField("value-led request", blank=True)
    summary = models.TextField(blank=True)
    decisions = models.TextField(blank=True)
    next_action = models.CharField(max_length=300, blank=True)
    next_action_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_action_due = models.DateField(null=True, blank=True)
    updated_evidence = models.BooleanField(
        default=False, help_text="The conversation added or changed value evidence."
    )
    updated_plan = models.BooleanField(
        default=False, help_text="The conversation changed the success plan."
    )
    updates = models.TextField("what it updated", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["workspace", "account", "occurred_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def has_prep(self) -> bool:
        return self.kind in MEETING_KINDS


class InteractionParticipant(TenantModel):
    """A stakeholder who took part in an interaction."""

    interaction = TenantForeignKey(Interaction, on_delete=models.CASCADE, related_name="+")
    stakeholder = TenantForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "interaction", "stakeholder"],
                name="interaction_participant_unique",
            )
        ]
