import functools
import operator
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts import ledger
from csos.models import TenantModel
from csos.tenancy import TenantForeignKey, TenantOneToOneField


class LifecycleStage(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ADOPTION = "adoption", "Adoption"
    VALUE = "value", "Value realisation"
    RENEWAL = "renewal", "Renewal"
    EXPANSION = "expansion", "Expansion"


class AccountStatus(models.TextChoices):
    ACTIVE = ledger.ACTIVE, "Active"
    CHURNED = ledger.CHURNED, "Churned"


class Segment(models.TextChoices):
    SMALL = "small", "Small business"
    MID_MARKET = "mid_market", "Mid-market"
    ENTERPRISE = "enterprise", "Enterprise"


class Motion(models.TextChoices):
    """How much human attention an account gets, decided by the workspace's segment rules."""

    DIGITAL = "digital", "Digital"
    POOLED = "pooled", "Pooled"
    NAMED = "named", "Named CSM"
    STRATEGIC = "strategic", "Strategic"


class ValueProblem(models.TextChoices):
    """What the account's success hinges on now, decided with its motion."""

    ADOPTION = "adoption", "Adoption"
    VALUE_PROOF = "value_proof", "Value proof"
    RISK_GOVERNANCE = "risk_governance", "Risk governance"
    EXPANSION = "expansion", "Expansion"


# The five segmentation attributes, each scored 1 (low) to 5 (high).
SEGMENTATION_ATTRIBUTES = (
    "complexity",
    "strategic_potential",
    "product_maturity",
    "implementation_difficulty",
    "executive_visibility",
)


def _scale_field(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )


class Account(TenantModel):
    """A customer company and its contract, owned by one CSM."""

    name = models.CharField(max_length=200)
    external_id = models.CharField(
        max_length=100, help_text="The customer's key in the CRM; integrations match on it."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="owner CSM",
    )
    arr = models.DecimalField("ARR", max_digits=14, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="USD")
    contract_start = models.DateField(null=True, blank=True)
    renewal_date = models.DateField(null=True, blank=True)
    licensed_seats = models.PositiveIntegerField(default=0)
    # Blank when not known yet: an imported account whose CRM says nothing of its stage or
    # segment is left empty rather than given a guess.
    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.ONBOARDING, blank=True
    )
    status = models.CharField(
        max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    segment = models.CharField(
        max_length=20, choices=Segment.choices, default=Segment.SMALL, blank=True
    )
    industry = models.CharField(max_length=80, blank=True)
    domain = models.CharField(
        max_length=253, blank=True, help_text="The customer's web domain, as acme.example."
    )
    # Blank until the segment rules have placed the account.
    motion = models.CharField(max_length=20, choices=Motion.choices, blank=True)
    value_problem = models.CharField(max_length=20, choices=ValueProblem.choices, blank=True)
    parent = TenantForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The group or holding this account belongs to.",
    )
    complexity = _scale_field("complexity")
    strategic_potential = _scale_field("strategic potential")
    product_maturity = _scale_field("product maturity")
    implementation_difficulty = _scale_field("implementation difficulty")
    executive_visibility = _scale_field("executive visibility")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="account_unique_external_id"
            ),
            models.CheckConstraint(condition=models.Q(arr__gte=0), name="account_arr_not_negative"),
            *(
                models.CheckConstraint(
                    condition=models.Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"account_{name}_1_to_5",
                )
                for name in SEGMENTATION_ATTRIBUTES
            ),
        ]
        indexes = [
            # A CSM's portfolio, in the orders it is most often read. The page picks its rows'
            # ids first, and adds up its summary, from these indexes alone.
            models.Index(
                fields=["workspace", "owner", "name"], include=["id"], name="account_book_names"
            ),
            models.Index(
                fields=["workspace", "owner", "arr"], include=["id"], name="account_book_arr"
            ),
            models.Index(
                fields=["workspace", "owner", "renewal_date"],
                include=["currency", "arr", "id"],
                name="account_book_renewals",
            ),
            models.Index(fields=["workspace", "renewal_date"]),
            models.Index(fields=["workspace", "arr"]),
            # Search: typo-tolerant matches on what people type to find an account.
            *(
                GinIndex(fields=[name], opclasses=["gin_trgm_ops"], name=f"account_{name}_trgm")
                for name in ("name", "external_id", "domain")
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MovementKind(models.TextChoices):
    NEW = ledger.NEW, "New"
    EXPANSION = ledger.EXPANSION, "Expansion"
    CONTRACTION = ledger.CONTRACTION, "Contraction"
    CHURN = ledger.CHURN, "Churn"
    REACTIVATION = ledger.REACTIVATION, "Reactivation"


MOVEMENT_SIGN = ledger.SIGN


class ArrMovement(TenantModel):
    """One change of an account's ARR. The ledger of these is what NRR and GRR are computed from."""

    account = TenantForeignKey(Account, on_delete=models.CASCADE, related_name="arr_movements")
    kind = models.CharField(max_length=20, choices=MovementKind.choices)
    date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    note = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(
        max_length=100,
        blank=True,
        db_default="",
        help_text="The integration's key for this change (a CRM deal or invoice id).",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reverses = TenantOneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reversal",
        help_text="The mistaken movement this one undoes; retention counts neither of them.",
    )

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="arr_movement_positive"),
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~models.Q(external_id=""),
                name="arr_movement_unique_external_id",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} on {self.date}"

    @property
    def signed_amount(self) -> Decimal:
        return self.amount * MOVEMENT_SIGN[self.kind]


class CaptureKind(models.TextChoices):
    RENEWAL = "renewal", "Renewal"
    EXPANSION = "expansion", "Expansion"
    ADVOCACY = "advocacy", "Advocacy"


class CaptureOutcome(models.TextChoices):
    RENEWED = "renewed", "Renewed"
    CHURNED = "churned", "Churned"
    EXPANDED = "expanded", "Renewed and expanded"
    DOWNGRADED = "downgraded", "Renewed and downgraded"
    SEATS = "seats", "More seats"
    TIER = "tier", "Higher tier"
    PRODUCTS = "products", "More products"
    CASE_STUDY = "case_study", "Case study"
    REFERENCE_CALL = "reference_call", "Reference call"
    REVIEW = "review", "Review"
    TALK = "talk", "Talk"
    SOCIAL_POST = "social_post", "Social post"
    INTRODUCTION = "introduction", "Introduction"


# The outcomes each kind of value capture may have.
CAPTURE_OUTCOMES = {
    CaptureKind.RENEWAL: (
        CaptureOutcome.RENEWED,
        CaptureOutcome.CHURNED,
        CaptureOutcome.EXPANDED,
        CaptureOutcome.DOWNGRADED,
    ),
    CaptureKind.EXPANSION: (CaptureOutcome.SEATS, CaptureOutcome.TIER, CaptureOutcome.PRODUCTS),
    CaptureKind.ADVOCACY: (
        CaptureOutcome.CASE_STUDY,
        CaptureOutcome.REFERENCE_CALL,
        CaptureOutcome.REVIEW,
        CaptureOutcome.TALK,
        CaptureOutcome.SOCIAL_POST,
        CaptureOutcome.INTRODUCTION,
    ),
}


class ValueCapture(TenantModel):
    """Value the customer gave back: a renewal's outcome, an expansion or an act of advocacy."""

    account = TenantForeignKey(Account, on_delete=models.CASCADE, related_name="captures")
    kind = models.CharField(max_length=10, choices=CaptureKind.choices)
    outcome = models.CharField(max_length=20, choices=CaptureOutcome.choices)
    date = models.DateField()
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="ARR gained or lost, in the account's currency, where there is one.",
    )
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=functools.reduce(
                    operator.or_,
                    (
                        models.Q(kind=kind, outcome__in=outcomes)
                        for kind, outcomes in CAPTURE_OUTCOMES.items()
                    ),
                ),
                name="value_capture_outcome_fits_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0) | models.Q(amount__isnull=True),
                name="value_capture_amount_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "date"])]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on {self.date}"


class AccountAlias(TenantModel):
    """Another system's key for an account: the same company exported by a second CRM under its
    own ID, linked on import. A later file naming the alias updates the account it stands for."""

    account = TenantForeignKey(Account, on_delete=models.CASCADE, related_name="aliases")
    external_id = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="account_alias_unique_external_id"
            )
        ]

    def __str__(self) -> str:
        return self.external_id
