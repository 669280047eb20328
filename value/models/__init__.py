"""The value ladder: usage, thresholds, evidence and the retention artifact, per use case."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from csos.models import TenantModel
from csos.tenancy import TenantForeignKey, TenantOneToOneField
from framework.models import UseCase

# Django finds an app's models in its ``models`` module: the usage ones come in here.
from value.models.usage import (  # noqa: F401
    Aggregation,
    EventMapping,
    EventMeasure,
    ProductEvent,
    UsageMetric,
    UsageRecord,
    validate_property_filter,
)


class Level(models.IntegerChoices):
    PRESENCE = 1, "Presence"
    ENGAGEMENT = 2, "Engagement"
    USE_CASE_VALUE = 3, "Use-case value"
    ROI = 4, "ROI"


# Levels 1-2 are measured from usage; 3-4 need evidence.
USAGE_LEVELS = (Level.PRESENCE, Level.ENGAGEMENT)
EVIDENCE_LEVELS = (Level.USE_CASE_VALUE, Level.ROI)


class ValueSettings(TenantModel):
    """How the workspace measures value: the unit of value deltas, windows and staleness."""

    value_unit = models.CharField(
        max_length=40, default="USD a year", help_text="The unit value deltas are estimated in."
    )
    usage_window_days = models.PositiveSmallIntegerField(
        default=28,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text="Usage over this many trailing days proves presence and engagement.",
    )
    evidence_stale_days = models.PositiveSmallIntegerField(
        default=180,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Evidence confirmed longer ago than this is stale and stops counting.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="value_settings_one_per_workspace")
        ]

    def __str__(self) -> str:
        return "Value settings"


class Threshold(TenantModel):
    """A usage condition of a use case's level 1 or 2: metric over the window ≥ minimum.

    With ``per_seat`` the minimum is a share of the account's licensed seats (0.6 = 60%).
    """

    use_case = TenantForeignKey(UseCase, on_delete=models.CASCADE, related_name="thresholds")
    level = models.PositiveSmallIntegerField(
        choices=[(level.value, level.label) for level in USAGE_LEVELS]
    )
    metric = TenantForeignKey(UsageMetric, on_delete=models.PROTECT, related_name="+")
    minimum = models.DecimalField(
        max_digits=14, decimal_places=4, validators=[MinValueValidator(0)]
    )
    per_seat = models.BooleanField("share of licensed seats", default=False)

    class Meta:
        ordering = ["level", "id"]

    def __str__(self) -> str:
        return f"{self.metric} ≥ {self.minimum}"


class AccountUseCase(TenantModel):
    """A use case an account pursues, with the ladder level last computed for it."""

    account = TenantForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="pursued_use_cases"
    )
    use_case = TenantForeignKey(UseCase, on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(
        default=0, help_text="The one stored level every surface reads; see ladder_refresh."
    )
    # One line per level (1 to 4) saying why it is or is not reached, written with the level.
    reasons = models.JSONField(null=True, blank=True)
    # The ids of the claims that count at the levels reached, written with the level.
    proof_ids = models.JSONField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    # Set when a write whose ladder is re-derived in the background commits; cleared by it.
    refresh_pending = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["use_case__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account", "use_case"], name="account_use_case_unique"
            )
        ]
        indexes = [models.Index(fields=["workspace", "account", "level"])]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.use_case_id} at level {self.level}"


class EvidenceSource(models.TextChoices):
    USAGE = "usage", "Usage data"
    CUSTOMER = "customer", "Customer-reported"
    SURVEY = "survey", "Survey"
    DOCUMENT = "document", "Document link"


class EvidenceStatus(models.TextChoices):
    PROVEN = "proven", "Proven"
    UNPROVEN = "unproven", "Unproven"
    DISPUTED = "disputed", "Disputed"
    # A leader's record of an in-person confirmation: shown as such, never customer-confirmed.
    ATTESTED = "attested", "Attested in person"


class Evidence(TenantModel):
    """A value claim for an account's use case at level 3 or 4, with its figures and proof."""

    account = TenantForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    use_case = TenantForeignKey(UseCase, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(
        choices=[(level.value, level.label) for level in EVIDENCE_LEVELS]
    )
    claim = models.TextField()
    metric_name = models.CharField(max_length=120, blank=True)
    baseline = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    current = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=10, choices=EvidenceSource.choices)
    document_url = models.URLField(blank=True)
    confirmed_by_name = models.CharField("confirmed by", max_length=120, blank=True)
    # Who the CSM says confirmed it; only ``confirmation`` (the customer's own answer) counts for
    # ROI, see value/ladder.py.
    confirmed_by_stakeholder = TenantForeignKey(
        "stakeholders.Stakeholder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="confirming stakeholder",
    )
    confirmed_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=EvidenceStatus.choices, default=EvidenceStatus.UNPROVEN
    )
    confirmation = TenantForeignKey(
        "value.ConfirmationRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The customer's answer through a link that made the claim proven, if any.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-level", "-confirmed_on", "-id"]
        verbose_name_plural = "evidence"
        indexes = [
            models.Index(fields=["workspace", "account", "use_case"]),
            # Search: typo-tolerant matches on the claim and its metric.
            *(
                GinIndex(fields=[name], opclasses=["gin_trgm_ops"], name=f"evidence_{name}_trgm")
                for name in ("claim", "metric_name")
            ),
        ]

    def __str__(self) -> str:
        return self.claim[:80]


class EvidenceChange(TenantModel):
    """One change of a piece of evidence: who (a user, or a customer through a link), when, what."""

    evidence = TenantForeignKey(Evidence, on_delete=models.CASCADE, related_name="changes")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_name = models.CharField(max_length=120, blank=True, help_text="Who, when not a user.")
    at = models.DateTimeField(auto_now_add=True)
    summary = models.CharField(max_length=200)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.summary


class ConfirmationOutcome(models.TextChoices):
    PENDING = "pending", "Waiting"
    CONFIRMED = "confirmed", "Confirmed"
    DISPUTED = "disputed", "Disputed"


class ConfirmationRequest(TenantModel):
    """A claim sent to one stakeholder of the account's map to confirm or dispute through a
    signed link.

    The name and e-mail are those the link was sent to. The answer is bound to the stakeholder
    and to their role and standing at the moment of answering: level 4 counts only when they
    were an active Owner then.
    """

    evidence = TenantForeignKey(Evidence, on_delete=models.CASCADE, related_name="confirmations")
    link = TenantOneToOneField("csos.SharedLink", on_delete=models.CASCADE, related_name="+")
    stakeholder = TenantForeignKey(
        "stakeholders.Stakeholder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who it is addressed to, from the account's stakeholder map.",
    )
    confirmer_name = models.CharField(max_length=120)
    confirmer_email = models.EmailField()
    answered_role = models.CharField(
        max_length=10, blank=True, help_text="The stakeholder's role when they answered."
    )
    answered_active = models.BooleanField(
        null=True, help_text="Whether the stakeholder was active (had not left) when they answered."
    )
    outcome = models.CharField(
        max_length=10, choices=ConfirmationOutcome.choices, default=ConfirmationOutcome.PENDING
    )
    comment = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_from = models.GenericIPAddressField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"Confirmation by {self.confirmer_name}"


class RetentionArtifact(TenantModel):
    """The account's next action to close its value gap, with owner and due date.

    What is proven and unproven is derived from the ladder; only the action is stored.
    """

    account = TenantOneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="retention_artifact"
    )
    next_action = models.CharField(max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField("due", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.next_action or "No next action"
