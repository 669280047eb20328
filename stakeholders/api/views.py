import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from accounts.api.base import AccountWorkViewSet
from csos.api.base import ScopedReadOnlyViewSet, StableOrderingFilter, service_errors
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


class SuccessPlanApiFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id")
    account_external_id = django_filters.CharFilter(field_name="account__external_id")
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)
    starts_after = django_filters.DateFilter(field_name="starts_on", lookup_expr="gte")
    starts_before = django_filters.DateFilter(field_name="starts_on", lookup_expr="lte")

    class Meta:
        model = SuccessPlan
        fields = []


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

INVALID_PLAN_EXAMPLE = OpenApiExample(
    "Invalid objective",
    status_codes=["400"],
    response_only=True,
    value={
        "type": "urn:csos:problem:invalid-input",
        "title": "The request has invalid input",
        "status": 400,
        "detail": "Fix the fields listed in `errors` and send the request again.",
        "errors": [
            {
                "index": None,
                "field": "objectives.0.owner",
                "code": "invalid",
                "message": "The owner must be a stakeholder of this account.",
            }
        ],
    },
)


@extend_schema_view(
    list=extend_schema(
        summary="List success plans",
        examples=[OpenApiExample("A page of plans", response_only=True, value=[PLAN_EXAMPLE])],
    ),
    retrieve=extend_schema(
        summary="Get one success plan",
        examples=[OpenApiExample("A plan", response_only=True, value=PLAN_EXAMPLE)],
    ),
    create=extend_schema(
        summary="Start a success plan",
        description=(
            "Starts the account's active plan with its objectives; the previous active plan is "
            "archived. With `from_handoff`, the sales handoff's people and promises seed it "
            "first. A member may start plans only on the accounts they may edit."
        ),
        request=PlanCreateSerializer,
        responses={201: PlanOutputSerializer},
        examples=[
            OpenApiExample(
                "A plan with one objective",
                request_only=True,
                value={
                    "account": 42,
                    "title": "FY27 success plan",
                    "starts_on": "2026-04-01",
                    "objectives": [{k: v for k, v in OBJECTIVE_EXAMPLE.items() if k != "id"}],
                },
            ),
            OpenApiExample("Started", response_only=True, status_codes=["201"], value=PLAN_EXAMPLE),
            INVALID_PLAN_EXAMPLE,
        ],
    ),
    partial_update=extend_schema(
        summary="Change a success plan",
        description=(
            "Renames the active plan and saves objectives: one with an `id` is changed, one "
            "without is added. Archived plans are not changed."
        ),
        request=PlanUpdateSerializer,
        responses={200: PlanOutputSerializer},
        examples=[
            OpenApiExample(
                "Raise an objective's target",
                request_only=True,
                value={"objectives": [{"id": 51, "title": "Prove ROI", "target_level": 4}]},
            ),
            OpenApiExample("Changed", response_only=True, status_codes=["200"], value=PLAN_EXAMPLE),
            INVALID_PLAN_EXAMPLE,
        ],
    ),
)
class SuccessPlanViewSet(AccountWorkViewSet):
    """Success plans of the workspace's accounts with their objectives, paged by cursor."""

    model = SuccessPlan
    serializer_class = PlanOutputSerializer
    filterset_class = SuccessPlanApiFilter
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    ordering_fields = ["id", "starts_on", "created_at"]

    def scope_queryset(self, queryset):
        return queryset.select_related("account").prefetch_related(
            Prefetch("objectives", queryset=Objective.objects.order_by("id"))
        )

    def _saved(self, plan: SuccessPlan, status_code=status.HTTP_200_OK) -> Response:
        return Response(
            self.get_serializer(self.get_queryset().get(pk=plan.pk)).data, status=status_code
        )

    def create(self, request, *args, **kwargs):
        data = PlanCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        self.check_may_write(fields["account"])
        try:
            plan = services.plan_create(by=self.actor, **fields)
        except ValidationError as error:
            raise service_errors(error) from None
        return self._saved(plan, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        plan = self.get_object()
        self.check_may_write(plan.account)
        data = PlanUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.plan_update(plan=plan, by=self.actor, **data.validated_data)
        except ValidationError as error:
            raise service_errors(error) from None
        return self._saved(plan)
