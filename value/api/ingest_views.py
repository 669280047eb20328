from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from csos.api.bulk import Batch
from csos.api.ingest import BulkIngestView
from csos.api.schema import BULK_RESPONSES, IDEMPOTENCY_KEY_PARAMETER, INVALID_BATCH_EXAMPLE
from value.ingest import USAGE_OPTIONS, usage_bulk_upsert


class UsageRecordSchema(serializers.Serializer):
    account_external_id = serializers.CharField(max_length=100)
    metric = serializers.SlugField(max_length=60, help_text="The usage metric's key.")
    day = serializers.DateField(help_text="Today or earlier.")
    value = serializers.FloatField(min_value=0)


class UsageBatchSchema(serializers.Serializer):
    records = UsageRecordSchema(many=True, help_text="1 to 10,000 daily values.")
    create_missing_accounts = serializers.BooleanField(
        required=False, default=False, help_text="Create accounts not known yet, named by id."
    )
    create_missing_metrics = serializers.BooleanField(
        required=False, default=False, help_text="Create metrics not defined yet, as daily sums."
    )


class UsageBulkView(BulkIngestView):
    """Store daily usage values per account and metric."""

    batch_options = USAGE_OPTIONS

    @extend_schema(
        operation_id="usage_records_bulk_upsert",
        summary="Upsert daily usage records",
        description=(
            "Stores each account's value of a usage metric on a day; a value sent again for "
            "the same account, metric and day replaces the stored one. Unknown accounts and "
            "metrics are errors unless `create_missing_accounts` / `create_missing_metrics` "
            "are set. All records are validated first; any error writes nothing."
        ),
        request=UsageBatchSchema,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses=BULK_RESPONSES,
        examples=[
            OpenApiExample(
                "Two days of active users",
                request_only=True,
                value={
                    "records": [
                        {
                            "account_external_id": "CRM-1001",
                            "metric": "active_users",
                            "day": "2026-11-23",
                            "value": 182,
                        },
                        {
                            "account_external_id": "CRM-1001",
                            "metric": "active_users",
                            "day": "2026-11-24",
                            "value": 190,
                        },
                    ]
                },
            ),
            OpenApiExample(
                "Written",
                response_only=True,
                status_codes=["200"],
                value={"created": 1, "updated": 1, "unchanged": 0},
            ),
            INVALID_BATCH_EXAMPLE,
        ],
        tags=["ingest"],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def ingest(self, batch: Batch) -> Response:
        counts = usage_bulk_upsert(workspace=self.workspace, records=batch.records, **batch.options)
        return Response(counts.as_dict())
