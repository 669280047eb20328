"""The framework: use cases, each with its value path and value delta estimate."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from csos.models import TenantModel


class UseCase(TenantModel):
    """A framework unit of value, with its value path and value delta estimate."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    outcome = models.CharField(max_length=200, help_text="The business outcome it serves.")
    presence_meaning = models.TextField("level 1, presence: what it means", blank=True)
    engagement_meaning = models.TextField("level 2, engagement: what it means", blank=True)
    value_meaning = models.TextField(
        "level 3, use-case value: what it means and how it is proved", blank=True
    )
    roi_meaning = models.TextField("level 4, ROI: what it means and how it is proved", blank=True)
    implicit_value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text="What a customer reaches alone, in the workspace's value unit.",
    )
    assisted_value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text="What a customer reaches with CS help, in the same unit.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The table keeps the name it had when use cases lived in value.
        db_table = "value_usecase"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="use_case_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def value_delta(self) -> Decimal:
        return self.assisted_value - self.implicit_value
