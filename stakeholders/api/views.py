import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from csos.api.base import ScopedReadOnlyViewSet
from stakeholders.api.serializers import StakeholderOutputSerializer
from stakeholders.models import Stakeholder, StakeholderRole, StakeholderStatus


class StakeholderApiFilter(django_filters.FilterSet):
    account_external_id = django_filters.CharFilter(field_name="account__external_id")
    role = django_filters.ChoiceFilter(choices=StakeholderRole.choices)
    status = django_filters.ChoiceFilter(choices=StakeholderStatus.choices)

    class Meta:
        model = Stakeholder
        fields = []


STAKEHOLDER_EXAMPLE = {
    "id": 7,
    "account": 42,
    "account_external_id": "CRM-1001",
    "name": "Dana Whitfield",
    "email": "dana.whitfield@acme.example",
    "title": "VP Operations",
    "role": "owner",
    "influence": 5,
    "sentiment": "positive",
    "status": "active",
    "added_on": "2025-04-02",
    "left_on": None,
    "erased": False,
}


@extend_schema_view(
    list=extend_schema(
        summary="List stakeholders",
        examples=[
            OpenApiExample(
                "A page of stakeholders", response_only=True, value=[STAKEHOLDER_EXAMPLE]
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Get one stakeholder",
        examples=[OpenApiExample("A stakeholder", response_only=True, value=STAKEHOLDER_EXAMPLE)],
    ),
)
class StakeholderViewSet(ScopedReadOnlyViewSet):
    """The people at customer accounts, oldest first, paged by cursor."""

    model = Stakeholder
    serializer_class = StakeholderOutputSerializer
    filterset_class = StakeholderApiFilter

    def scope_queryset(self, queryset):
        return queryset.select_related("account")
