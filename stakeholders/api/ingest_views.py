from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.base import account_reference_field
from csos.api.bulk import Batch
from csos.api.ingest import BulkIngestView
from csos.api.schema import batch_schema, bulk_schema
from stakeholders.ingest import stakeholder_bulk_upsert
from stakeholders.models import Sentiment, StakeholderRole, StakeholderStatus


class StakeholderRecordSchema(serializers.Serializer):
    account_external_id = account_reference_field()
    email = serializers.EmailField(help_text="With the account, names the person; any case.")
    name = serializers.CharField(max_length=150, required=False, help_text="Needed for a new one.")
    title = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(
        StakeholderRole.choices, required=False, help_text="Needed for a new one."
    )
    influence = serializers.IntegerField(min_value=1, max_value=5, required=False)
    sentiment = serializers.ChoiceField(Sentiment.choices, required=False)
    status = serializers.ChoiceField(StakeholderStatus.choices, required=False)
    added_on = serializers.DateField(required=False, help_text="Today or earlier.")
    left_on = serializers.DateField(
        required=False, allow_null=True, help_text="With status `left`; sent with the status."
    )


StakeholderBatchSchema = batch_schema(StakeholderRecordSchema, "1 to 10,000 people.")


@bulk_schema(
    operation_id="stakeholders_bulk_upsert",
    summary="Upsert stakeholders by account and e-mail",
    description=(
        "Creates the people whose e-mail is new at their account and updates the others; "
        "fields a record omits keep their stored values. A new person needs `name` and "
        "`role`. An Owner or Champion sent with status `left` is recorded as a departure. "
        "Unknown accounts are errors. All records are validated first; any error writes "
        "nothing."
    ),
    request=StakeholderBatchSchema,
    example=(
        "A new champion, and a departure",
        {
            "records": [
                {
                    "account_external_id": "CRM-1001",
                    "email": "dana.whitfield@acme.example",
                    "name": "Dana Whitfield",
                    "title": "VP Operations",
                    "role": "champion",
                    "influence": 5,
                },
                {
                    "account_external_id": "CRM-1001",
                    "email": "sam.ortiz@acme.example",
                    "status": "left",
                    "left_on": "2026-11-20",
                },
            ]
        },
    ),
)
class StakeholderBulkView(BulkIngestView):
    """Create or update the people at accounts by account and e-mail."""

    def ingest(self, batch: Batch) -> Response:
        counts = stakeholder_bulk_upsert(workspace=self.workspace, records=batch.records)
        return Response(counts.as_dict())
