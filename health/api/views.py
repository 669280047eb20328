import django_filters
from drf_spectacular.utils import extend_schema_view

from accounts.api.base import AccountRowFilter
from csos.api.base import ScopedReadOnlyViewSet
from csos.api.schema import read_schemas
from health.api.serializers import HealthSnapshotOutputSerializer
from health.models import Band, HealthSnapshot


class HealthSnapshotApiFilter(AccountRowFilter):
    week = django_filters.DateFilter(help_text="The Monday of the ISO week.")
    week_after = django_filters.DateFilter(field_name="week", lookup_expr="gte")
    week_before = django_filters.DateFilter(field_name="week", lookup_expr="lte")
    band = django_filters.ChoiceFilter(choices=Band.choices)


SNAPSHOT_EXAMPLE = {
    "id": 5120,
    "account": 42,
    "account_external_id": "CRM-1001",
    "week": "2026-11-16",
    "total": 28.0,
    "band": "red",
    "change": -31.5,
    "scores": {"usage": 2.0, "stakeholders": 1.0, "support": 3.0, "sentiment": None},
    "drivers": {"stakeholders": ["The Champion Dana Whitfield left on 2026-11-12."]},
    "proven_evidence": 1,
    "theatre": "",
    "model_name": "Default",
    "model_version": 3,
    "computed_at": "2026-11-16T05:12:40Z",
}


@extend_schema_view(
    **read_schemas(
        list_summary="List weekly health snapshots",
        page="A page of snapshots",
        retrieve_summary="Get one health snapshot",
        item="A snapshot",
        example=SNAPSHOT_EXAMPLE,
    )
)
class HealthSnapshotViewSet(ScopedReadOnlyViewSet):
    """Each account's weekly health, score by dimension and the facts behind it; read-only."""

    model = HealthSnapshot
    serializer_class = HealthSnapshotOutputSerializer
    filterset_class = HealthSnapshotApiFilter
    ordering_fields = ["id", "week"]

    def scope_queryset(self, queryset):
        return queryset.select_related("account")
