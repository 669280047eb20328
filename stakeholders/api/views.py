import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema_view

from accounts.api.base import AccountExternalIdFilter, AccountRowFilter, AccountWorkViewSet
from csos.api.base import ScopedReadOnlyViewSet, ServiceCreateMixin, ServiceUpdateMixin
from csos.api.schema import invalid_fields_example, read_schemas, write_schema
from stakeholders import services
from stakeholders.api.serializers import (
    PlanCreateSerializer,
    PlanOutputSerializer,
    PlanUpdateSerializer,
    StakeholderOutputSerializer,
)
from stakeholders.models import (
    Objective,
    PlanStatus,
    Stakeholder,
    StakeholderRole,
    StakeholderStatus,
    SuccessPlan,
)


class StakeholderApiFilter(django_filters.FilterSet):
    account_external_id = AccountExternalIdFilter()
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
    **read_schemas(
        list_summary="List stakeholders",
        page="A page of stakeholders",
        retrieve_summary="Get one stakeholder",
        item="A stakeholder",
        example=STAKEHOLDER_EXAMPLE,
    )
)
class StakeholderViewSet(ScopedReadOnlyViewSet):
    """The people at customer accounts, oldest first, paged by cursor."""

    model = Stakeholder
    serializer_class = StakeholderOutputSerializer
    filterset_class = StakeholderApiFilter

    def scope_queryset(self, queryset):
        return queryset.select_related("account")


class SuccessPlanApiFilter(AccountRowFilter):
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)
    starts_after = django_filters.DateFilter(field_name="starts_on", lookup_expr="gte")
    starts_before = django_filters.DateFilter(field_name="starts_on", lookup_expr="lte")


OBJECTIVE_EXAMPLE = {
    "id": 51,
    "title": "Cut triage time per ticket below 3 minutes",
    "use_case": 5,
    "use_case_name": "",
    "target_level": 3,
    "owner": 7,
}

PLAN_EXAMPLE = {
    "id": 12,
    "account": 42,
    "account_external_id": "CRM-1001",
    "title": "FY27 success plan",
    "status": "active",
    "starts_on": "2026-04-01",
    "last_reviewed_on": "2026-10-20",
    "created_at": "2026-04-02T08:30:00Z",
    "archived_at": None,
    "objectives": [OBJECTIVE_EXAMPLE],
}

INVALID_PLAN_EXAMPLE = invalid_fields_example(
    "Invalid objective",
    field="objectives.0.owner",
    code="invalid",
    message="The owner must be a stakeholder of this account.",
)


@extend_schema_view(
    **read_schemas(
        list_summary="List success plans",
        page="A page of plans",
        retrieve_summary="Get one success plan",
        item="A plan",
        example=PLAN_EXAMPLE,
    ),
    create=write_schema(
        summary="Start a success plan",
        description=(
            "Starts the account's active plan with its objectives; the previous active plan is "
            "archived. With `from_handoff`, the sales handoff's people and promises seed it "
            "first. A member may start plans only on the accounts they may edit."
        ),
        request=PlanCreateSerializer,
        response=PlanOutputSerializer,
        status_code=201,
        example=(
            "A plan with one objective",
            {
                "account": 42,
                "title": "FY27 success plan",
                "starts_on": "2026-04-01",
                "objectives": [{k: v for k, v in OBJECTIVE_EXAMPLE.items() if k != "id"}],
            },
        ),
        written=("Started", PLAN_EXAMPLE),
        invalid=INVALID_PLAN_EXAMPLE,
    ),
    partial_update=write_schema(
        summary="Change a success plan",
        description=(
            "Renames the active plan and saves objectives: one with an `id` is changed, one "
            "without is added. Archived plans are not changed."
        ),
        request=PlanUpdateSerializer,
        response=PlanOutputSerializer,
        example=(
            "Raise an objective's target",
            {"objectives": [{"id": 51, "title": "Prove ROI", "target_level": 4}]},
        ),
        written=("Changed", PLAN_EXAMPLE),
        invalid=INVALID_PLAN_EXAMPLE,
    ),
)
class SuccessPlanViewSet(ServiceCreateMixin, ServiceUpdateMixin, AccountWorkViewSet):
    """Success plans of the workspace's accounts with their objectives, paged by cursor."""

    model = SuccessPlan
    serializer_class = PlanOutputSerializer
    create_serializer_class = PlanCreateSerializer
    update_serializer_class = PlanUpdateSerializer
    filterset_class = SuccessPlanApiFilter
    ordering_fields = ["id", "starts_on", "created_at"]

    def scope_queryset(self, queryset):
        return queryset.select_related("account").prefetch_related(
            Prefetch("objectives", queryset=Objective.objects.order_by("id"))
        )

    def create_row(self, fields: dict) -> SuccessPlan:
        return services.plan_create(by=self.actor, **fields)

    def update_row(self, row: SuccessPlan, fields: dict) -> None:
        services.plan_update(plan=row, by=self.actor, **fields)
