import django_filters
from drf_spectacular.utils import extend_schema_view

from accounts.api.base import AccountExternalIdFilter
from accounts.api.serializers import AccountOutputSerializer
from accounts.models import Account, AccountStatus, LifecycleStage, Segment
from accounts.selectors import account_api_rows
from csos.api.base import ScopedReadOnlyViewSet
from csos.api.schema import read_schemas


class AccountApiFilter(django_filters.FilterSet):
    external_id = AccountExternalIdFilter(account_field="pk")
    owner_email = django_filters.CharFilter(field_name="owner__email", lookup_expr="iexact")
    lifecycle_stage = django_filters.ChoiceFilter(choices=LifecycleStage.choices)
    status = django_filters.ChoiceFilter(choices=AccountStatus.choices)
    segment = django_filters.ChoiceFilter(choices=Segment.choices)
    renewal_after = django_filters.DateFilter(field_name="renewal_date", lookup_expr="gte")
    renewal_before = django_filters.DateFilter(field_name="renewal_date", lookup_expr="lte")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Account
        fields = []


ACCOUNT_EXAMPLE = {
    "id": 42,
    "external_id": "CRM-1001",
    "name": "Acme Corp",
    "owner_email": "bob@example.com",
    "owner_name": "Bob Marsh",
    "arr": "48000.00",
    "currency": "USD",
    "contract_start": "2025-04-01",
    "renewal_date": "2027-03-31",
    "licensed_seats": 250,
    "lifecycle_stage": "adoption",
    "status": "active",
    "segment": "enterprise",
    "industry": "Manufacturing",
    "complexity": 4,
    "strategic_potential": 5,
    "product_maturity": 3,
    "implementation_difficulty": 3,
    "executive_visibility": 4,
    "created_at": "2025-03-20T09:14:00Z",
    "updated_at": "2026-11-02T17:40:12Z",
    "proven_level": 3,
    "health_band": "yellow",
    "health_score": 63.5,
}


@extend_schema_view(
    **read_schemas(
        list_summary="List accounts",
        page="A page of accounts",
        retrieve_summary="Get one account",
        item="An account",
        example=ACCOUNT_EXAMPLE,
    )
)
class AccountViewSet(ScopedReadOnlyViewSet):
    """Customer accounts of the workspace, oldest first unless ``ordering`` says otherwise,
    paged by cursor; each with its owner, latest health and highest proven ladder level."""

    model = Account
    serializer_class = AccountOutputSerializer
    filterset_class = AccountApiFilter
    ordering_fields = ["id", "name", "arr", "updated_at"]

    def scope_queryset(self, queryset):
        # The workspace's accounts, as the selector every reader of the API's shape uses.
        return account_api_rows()
