from collections.abc import Iterator
from contextlib import contextmanager

import django_filters
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import AccountRowFilter, AccountWorkViewSet
from csos.api.base import (
    QueryParametersSerializer,
    ScopedAPIView,
    ServiceCreateMixin,
    ServiceUpdateMixin,
)
from csos.api.problems import FieldError, ProblemException
from csos.api.schema import invalid_fields_example, read_schemas, write_schema
from csos.models import LEADER_ROLES
from value import services
from value.api.serializers import (
    CoverageSchema,
    EvidenceCreateSerializer,
    EvidenceOutputSerializer,
    EvidenceUpdateSerializer,
    coverage_document,
)
from value.models import Evidence, EvidenceSource, EvidenceStatus, Level
from value.selectors import coverage as coverage_selectors


class EvidenceApiFilter(AccountRowFilter):
    use_case = django_filters.NumberFilter(field_name="use_case_id")
    level = django_filters.TypedChoiceFilter(
        choices=[(level.value, level.label) for level in (Level.USE_CASE_VALUE, Level.ROI)],
        coerce=int,
    )
    status = django_filters.ChoiceFilter(choices=EvidenceStatus.choices)
    source = django_filters.ChoiceFilter(choices=EvidenceSource.choices)
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")


EVIDENCE_EXAMPLE = {
    "id": 311,
    "account": 42,
    "account_external_id": "CRM-1001",
    "use_case_name": "Automate ticket triage",
    "use_case": 5,
    "level": 3,
    "claim": "Triage time per ticket fell from 9 to 2 minutes.",
    "metric_name": "Minutes per ticket",
    "baseline": "9.0000",
    "current": "2.0000",
    "unit": "minutes",
    "source": "customer",
    "document_url": None,
    "confirmed_by_name": "",
    "confirmed_by_stakeholder": 7,
    "confirmed_on": "2026-10-14",
    "status": "proven",
    "confirmation": None,
    "created_at": "2026-10-14T10:02:11Z",
    "updated_at": "2026-10-14T10:02:11Z",
}

EVIDENCE_INPUT_EXAMPLE = {
    key: EVIDENCE_EXAMPLE[key]
    for key in ("account", *services.EVIDENCE_FIELDS)
    if key not in {"document_url", "confirmed_by_name"}
}

INVALID_EVIDENCE_EXAMPLE = invalid_fields_example(
    "Invalid evidence",
    field="confirmed_on",
    code="invalid",
    message="Proven evidence needs the date it was confirmed.",
)


@extend_schema_view(
    **read_schemas(
        list_summary="List evidence",
        page="A page of evidence",
        retrieve_summary="Get one piece of evidence",
        item="Evidence",
        example=EVIDENCE_EXAMPLE,
    ),
    create=write_schema(
        summary="Record evidence",
        description=(
            "Records a value claim for an account's use case and re-derives the account's "
            "ladder. Checked as the evidence form checks it: a proven claim needs its "
            "confirmation date, proven use-case value its baseline and current. No one proves "
            "ROI here: only the account's Owner answering a confirmation link does, and a "
            "leader signed in may record an in-person confirmation as `attested`, which never "
            "counts as the customer's. Breaking those answers 422 naming the field. "
            "A member may record evidence only for the accounts they may edit."
        ),
        request=EvidenceCreateSerializer,
        response=EvidenceOutputSerializer,
        status_code=201,
        example=("A proven claim", EVIDENCE_INPUT_EXAMPLE),
        written=("Recorded", EVIDENCE_EXAMPLE),
        invalid=INVALID_EVIDENCE_EXAMPLE,
    ),
    partial_update=write_schema(
        summary="Change evidence",
        description=(
            "Changes the fields sent; the evidence's history keeps each change with its "
            "before and after values, and the ladder is re-derived."
        ),
        request=EvidenceUpdateSerializer,
        response=EvidenceOutputSerializer,
        example=("Disputed", {"status": "disputed"}),
        written=("Changed", {**EVIDENCE_EXAMPLE, "status": "disputed"}),
        invalid=INVALID_EVIDENCE_EXAMPLE,
    ),
)
class EvidenceViewSet(ServiceCreateMixin, ServiceUpdateMixin, AccountWorkViewSet):
    """Value evidence of the workspace's accounts, paged by cursor."""

    model = Evidence
    serializer_class = EvidenceOutputSerializer
    create_serializer_class = EvidenceCreateSerializer
    update_serializer_class = EvidenceUpdateSerializer
    filterset_class = EvidenceApiFilter
    ordering_fields = ["id", "created_at", "updated_at"]

    def scope_queryset(self, queryset):
        return queryset.select_related("account", "use_case")

    @property
    def may_attest(self) -> bool:
        """A leader or admin signed in may attest; a token acts for no one and may not."""
        return self.membership is not None and self.membership.sees_all_portfolios

    def create_row(self, fields: dict) -> Evidence:
        account = fields.pop("account")
        with proof_refusals():
            return services.evidence_record(
                workspace=self.workspace,
                account=account,
                by=self.actor,
                data=fields,
                may_attest=self.may_attest,
            )

    def update_input(self, row: Evidence) -> EvidenceUpdateSerializer:
        return self.update_serializer_class(row, data=self.request.data, partial=True)

    def update_row(self, row: Evidence, fields: dict) -> None:
        with proof_refusals():
            services.evidence_update(
                evidence=row, by=self.actor, data=fields, may_attest=self.may_attest
            )


@contextmanager
def proof_refusals() -> Iterator[None]:
    """A write that would make a fact its writer may not make true answers 422, naming the
    fields at fault; other invalid input stays a 400."""
    try:
        yield
    except services.ProofRefused as refused:
        raise ProblemException(
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
            code="proof-refused",
            title="Not yours to make true",
            detail=" ".join(refused.messages),
            errors=[
                FieldError(field=name, code="proof-refused", message=message)
                for name, messages in refused.message_dict.items()
                for message in messages
            ],
        ) from None


COVERAGE_EXAMPLE = {
    "by": "segment",
    "currency": "USD",
    "as_of": "2026-11-25",
    "groups": [
        {
            "key": "enterprise",
            "name": "Enterprise",
            "accounts": 4,
            "levels": [
                {"level": 0, "name": "None proven", "accounts": 1, "account_share": 25.0},
                {"level": 1, "name": "Presence", "accounts": 0, "account_share": 0.0},
                {"level": 2, "name": "Engagement", "accounts": 1, "account_share": 25.0},
                {"level": 3, "name": "Use-case value", "accounts": 2, "account_share": 50.0},
                {"level": 4, "name": "ROI", "accounts": 0, "account_share": 0.0},
            ],
            "arr": [
                {"currency": "USD", "level": 3, "arr": "240000.00", "arr_share": 61.5},
            ],
            "converted": [{"level": 3, "arr": "240000.00", "arr_share": 61.5}],
            "unconverted": [{"currency": "GBP", "accounts": 1, "arr": "40000.00"}],
            "at_least": [
                {
                    "level": 3,
                    "name": "Use-case value",
                    "accounts": 2,
                    "account_share": 50.0,
                    "arr": [{"currency": "USD", "arr": "240000.00", "arr_share": 61.5}],
                    "converted_arr": "240000.00",
                    "converted_arr_share": 61.5,
                }
            ],
        }
    ],
}


class CoverageQuerySchema(QueryParametersSerializer):
    by = serializers.ChoiceField(["segment", "csm"], default="segment")
    as_of = serializers.DateField(
        required=False, help_text="The day whose exchange rates convert ARR; today by default."
    )


class ValueCoverageView(ScopedAPIView):
    """Value-proof coverage, as the leaders' coverage page shows it."""

    @extend_schema(
        operation_id="value_coverage",
        summary="Value-proof coverage by segment or CSM",
        description=(
            "For the active accounts of each segment (or each CSM's book), how many reach each "
            "highest proven ladder level, and their share of the group's accounts and of its "
            "ARR per currency; under `at_least`, the same for the accounts that have proven each "
            "level or a higher one. Members need the leader or admin role, as on the page."
        ),
        parameters=[
            OpenApiParameter("by", enum=["segment", "csm"], default="segment"),
            OpenApiParameter("as_of", OpenApiTypes.DATE, description="Rates of this day."),
        ],
        responses={200: CoverageSchema},
        examples=[OpenApiExample("By segment", response_only=True, value=COVERAGE_EXAMPLE)],
        tags=["value"],
    )
    def get(self, request, *args, **kwargs):
        if self.membership is not None and self.membership.role not in LEADER_ROLES:
            self.permission_denied(request, message="Value coverage is for leaders and admins.")
        query = CoverageQuerySchema(data=request.query_params)
        query.is_valid(raise_exception=True)
        coverage = coverage_selectors.value_coverage(
            by=query.validated_data["by"],
            as_of=query.validated_data.get("as_of") or timezone.localdate(),
        )
        return Response(coverage_document(coverage))
