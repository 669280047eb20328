from decimal import Decimal

from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.base import account_reference_field
from accounts.ingest import account_bulk_upsert, arr_movement_bulk_record
from accounts.models import LifecycleStage, MovementKind, Segment
from csos.api.bulk import Batch
from csos.api.ingest import BulkIngestView
from csos.api.schema import batch_schema, bulk_schema


class AccountRecordSchema(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=100,
        help_text="Your CRM's id of the account. An alias of a stored account (an ID a second "
        "CRM gave it, linked by a CSV import) updates that account.",
    )
    name = serializers.CharField(max_length=200)
    owner_email = serializers.EmailField(required=False, allow_null=True)
    currency = serializers.CharField(required=False, min_length=3, max_length=3)
    contract_start = serializers.DateField(required=False, allow_null=True)
    renewal_date = serializers.DateField(required=False, allow_null=True)
    licensed_seats = serializers.IntegerField(required=False, min_value=0)
    lifecycle_stage = serializers.ChoiceField(LifecycleStage.choices, required=False)
    segment = serializers.ChoiceField(Segment.choices, required=False)
    industry = serializers.CharField(required=False, allow_blank=True, max_length=80)
    parent_external_id = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=100,
        help_text="The external_id of the group or holding it belongs to (HubSpot parent "
        "company, Salesforce ParentId), or an alias of it: an account of the workspace or of "
        "this batch; null makes it a top account.",
    )
    complexity = serializers.IntegerField(required=False, min_value=1, max_value=5)
    strategic_potential = serializers.IntegerField(required=False, min_value=1, max_value=5)
    product_maturity = serializers.IntegerField(required=False, min_value=1, max_value=5)
    implementation_difficulty = serializers.IntegerField(required=False, min_value=1, max_value=5)
    executive_visibility = serializers.IntegerField(required=False, min_value=1, max_value=5)


AccountBatchSchema = batch_schema(AccountRecordSchema, "1 to 10,000 accounts.")


@bulk_schema(
    operation_id="accounts_bulk_upsert",
    summary="Upsert accounts by external_id",
    description=(
        "Creates the accounts whose `external_id` is new and updates the others; fields a "
        "record omits keep their stored values. ARR and status are not fields: send ARR "
        "movements. A `parent_external_id` places the account under its group; a parent the "
        "workspace does not have, or one that makes a loop, is refused. All records are "
        "validated first; any error writes nothing."
    ),
    request=AccountBatchSchema,
    example=(
        "A group and its subsidiary",
        {
            "records": [
                {
                    "external_id": "CRM-1001",
                    "name": "Acme Corp",
                    "owner_email": "bob@example.com",
                    "renewal_date": "2027-03-31",
                    "licensed_seats": 250,
                    "segment": "enterprise",
                },
                {
                    "external_id": "CRM-1002",
                    "name": "Acme Europe",
                    "parent_external_id": "CRM-1001",
                },
            ]
        },
    ),
)
class AccountBulkView(BulkIngestView):
    """Create or update accounts by ``external_id``."""

    def ingest(self, batch: Batch) -> Response:
        counts = account_bulk_upsert(workspace=self.workspace, records=batch.records)
        return Response(counts.as_dict())


class ArrMovementRecordSchema(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=100, help_text="Your id of this change (a deal or invoice id)."
    )
    account_external_id = account_reference_field()
    kind = serializers.ChoiceField(MovementKind.choices)
    date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


ArrMovementBatchSchema = batch_schema(ArrMovementRecordSchema, "1 to 10,000 movements.")


@bulk_schema(
    operation_id="arr_movements_bulk_record",
    summary="Book ARR movements",
    description=(
        "Books each movement in the account's ARR ledger, which carries it into the "
        "account's ARR and status. Movements of one account are booked in date order and "
        "never before its latest booked one. A movement already booked under its "
        "`external_id` is unchanged when sent again with the same values and an error "
        "with other values. Unknown accounts are errors."
    ),
    request=ArrMovementBatchSchema,
    example=(
        "New business, then an expansion",
        {
            "records": [
                {
                    "external_id": "INV-2025-001",
                    "account_external_id": "CRM-1001",
                    "kind": "new",
                    "date": "2025-04-01",
                    "amount": "48000.00",
                },
                {
                    "external_id": "INV-2026-017",
                    "account_external_id": "CRM-1001",
                    "kind": "expansion",
                    "date": "2026-04-01",
                    "amount": "12000.00",
                    "note": "50 more seats",
                },
            ]
        },
    ),
    written=("Booked", {"created": 2, "updated": 0, "unchanged": 0}),
)
class ArrMovementBulkView(BulkIngestView):
    """Book ARR movements keyed by the integrator's id."""

    def ingest(self, batch: Batch) -> Response:
        counts = arr_movement_bulk_record(workspace=self.workspace, records=batch.records)
        return Response(counts.as_dict())
