from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.base import account_reference_field
from csos.api.bulk import Batch
from csos.api.ingest import BulkIngestView
from csos.api.schema import UpsertCountsSchema, bulk_schema
from value.events import parse_events, product_event_ingest
from value.ingest import USAGE_OPTIONS, usage_bulk_upsert


class UsageRecordSchema(serializers.Serializer):
    account_external_id = account_reference_field()
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


@bulk_schema(
    operation_id="usage_records_bulk_upsert",
    summary="Upsert daily usage records",
    description=(
        "Stores each account's value of a usage metric on a day; a value sent again for "
        "the same account, metric and day replaces the stored one. Unknown accounts and "
        "metrics are errors unless `create_missing_accounts` / `create_missing_metrics` "
        "are set. All records are validated first; any error writes nothing."
    ),
    request=UsageBatchSchema,
    example=(
        "Two days of active users",
        {
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
)
class UsageBulkView(BulkIngestView):
    """Store daily usage values per account and metric."""

    batch_options = USAGE_OPTIONS

    def ingest(self, batch: Batch) -> Response:
        counts = usage_bulk_upsert(workspace=self.workspace, records=batch.records, **batch.options)
        return Response(counts.as_dict())


class ProductEventSchema(serializers.Serializer):
    type = serializers.ChoiceField(["track"], required=False)
    messageId = serializers.CharField(max_length=200, help_text="Stored once per workspace.")
    userId = serializers.CharField(max_length=200, required=False, allow_null=True)
    anonymousId = serializers.CharField(
        max_length=200, required=False, allow_null=True, help_text="When there is no userId."
    )
    event = serializers.CharField(max_length=200)
    timestamp = serializers.DateTimeField(help_text="ISO 8601 with a UTC offset.")
    properties = serializers.DictField(
        required=False, help_text="`account_id` names the account when the context does not."
    )
    context = serializers.DictField(
        required=False, help_text="`groupId` is the account's external_id or an alias of it."
    )


class ProductEventBatchSchema(serializers.Serializer):
    batch = ProductEventSchema(many=True, help_text="1 to 10,000 track events.")


class ProductEventCountsSchema(UpsertCountsSchema):
    usage_records = UpsertCountsSchema(help_text="The daily usage records recomputed.")


@bulk_schema(
    operation_id="product_events_ingest",
    summary="Send product events (Segment track or batch)",
    description=(
        'Takes one Segment `track` event or `{"batch": [...]}` of them. Each event is '
        "stored once per `messageId`; one sent again, in a later batch or twice in the same "
        "one, counts as unchanged. The account is "
        "named by its external_id in `context.groupId`, else `properties.account_id` or "
        "`properties.groupId`. Events whose name an admin mapped to a usage metric, and whose "
        "properties match the mapping's filter, are "
        "rolled up into that metric's daily records (event count or distinct users) for "
        "the account and the day of their timestamp in the workspace's time zone, recomputed "
        "from every stored event. "
        "All events are validated first; any error writes nothing."
    ),
    request=ProductEventBatchSchema,
    example=(
        "A batch of two events",
        {
            "batch": [
                {
                    "type": "track",
                    "messageId": "ajs-6f1c2b0e-1",
                    "userId": "u-1042",
                    "event": "Report Exported",
                    "timestamp": "2026-11-24T09:12:00Z",
                    "properties": {"format": "pdf"},
                    "context": {"groupId": "CRM-1001"},
                },
                {
                    "type": "track",
                    "messageId": "ajs-6f1c2b0e-2",
                    "userId": "u-2210",
                    "event": "Dashboard Viewed",
                    "timestamp": "2026-11-24T09:15:30Z",
                    "properties": {"account_id": "CRM-1001"},
                },
            ]
        },
    ),
    written=(
        "Stored and rolled up",
        {
            "created": 2,
            "updated": 0,
            "unchanged": 0,
            "usage_records": {"created": 1, "updated": 1, "unchanged": 0},
        },
    ),
    responses={
        200: OpenApiResponse(ProductEventCountsSchema, description="The events were stored."),
    },
)
class ProductEventView(BulkIngestView):
    """Store product events and roll them up into the daily usage of mapped metrics."""

    def parse(self, body: bytes) -> Batch:
        return parse_events(body)

    def ingest(self, batch: Batch) -> Response:
        events, usage = product_event_ingest(
            workspace=self.workspace, records=batch.records, **batch.options
        )
        return Response({**events.as_dict(), "usage_records": usage.as_dict()})
