from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.base import account_reference_field
from csos.api.bulk import Batch
from csos.api.ingest import BulkIngestView
from csos.api.schema import batch_schema, bulk_schema
from health.ingest import (
    MAX_COMMENT_LENGTH,
    support_ticket_bulk_upsert,
    survey_response_bulk_upsert,
)
from health.models import SurveyKind, TicketPriority, TicketStatus


class SupportTicketRecordSchema(serializers.Serializer):
    external_id = serializers.CharField(max_length=100, help_text="The helpdesk's ticket id.")
    account_external_id = account_reference_field()
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True)
    priority = serializers.ChoiceField(
        TicketPriority.choices, help_text="p1 (critical) to p4 (low), in any case."
    )
    status = serializers.ChoiceField(TicketStatus.choices)
    opened_on = serializers.DateField(help_text="Today or earlier.")
    closed_on = serializers.DateField(
        required=False, allow_null=True, help_text="Exactly when the status is `closed`."
    )


SupportTicketBatchSchema = batch_schema(SupportTicketRecordSchema, "1 to 10,000 tickets.")


@bulk_schema(
    operation_id="support_tickets_bulk_upsert",
    summary="Upsert support tickets by ticket id",
    description=(
        "Creates the tickets whose `external_id` is new and updates the others. A closed "
        "ticket needs `closed_on`, on or after `opened_on`; an open or pending one has none. "
        "Unknown accounts are errors. All records are validated first; any error writes "
        "nothing."
    ),
    request=SupportTicketBatchSchema,
    example=(
        "An open and a closed ticket",
        {
            "records": [
                {
                    "external_id": "ZD-88121",
                    "account_external_id": "CRM-1001",
                    "subject": "SSO login fails",
                    "priority": "P1",
                    "status": "open",
                    "opened_on": "2026-11-24",
                },
                {
                    "external_id": "ZD-87990",
                    "account_external_id": "CRM-1001",
                    "subject": "Export is slow",
                    "priority": "P3",
                    "status": "closed",
                    "opened_on": "2026-11-10",
                    "closed_on": "2026-11-12",
                },
            ]
        },
    ),
)
class SupportTicketBulkView(BulkIngestView):
    """Create or update support tickets by the helpdesk's ticket id."""

    def ingest(self, batch: Batch) -> Response:
        return Response(support_ticket_bulk_upsert(records=batch.records).as_dict())


class SurveyResponseRecordSchema(serializers.Serializer):
    external_id = serializers.CharField(max_length=100, help_text="The survey tool's response id.")
    account_external_id = account_reference_field()
    kind = serializers.ChoiceField(SurveyKind.choices)
    score = serializers.IntegerField(min_value=0, max_value=10, help_text="NPS 0-10, CSAT 1-5.")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT_LENGTH)
    respondent_email = serializers.EmailField(
        required=False,
        allow_null=True,
        help_text="Links the answer to the account's stakeholder with this address.",
    )
    respondent_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    answered_on = serializers.DateField(help_text="Today or earlier.")


SurveyResponseBatchSchema = batch_schema(SurveyResponseRecordSchema, "1 to 10,000 answers.")


@bulk_schema(
    operation_id="survey_responses_bulk_upsert",
    summary="Upsert survey responses by response id",
    description=(
        "Creates the answers whose `external_id` is new and updates the others. The score "
        "is within its kind's range (NPS 0-10, CSAT 1-5). A respondent e-mail links the "
        "answer to the account's stakeholder with that address. Unknown accounts are "
        "errors. All records are validated first; any error writes nothing."
    ),
    request=SurveyResponseBatchSchema,
    example=(
        "An NPS answer",
        {
            "records": [
                {
                    "external_id": "NPS-2026-11-0042",
                    "account_external_id": "CRM-1001",
                    "kind": "nps",
                    "score": 9,
                    "comment": "The new dashboards saved us a day a week.",
                    "respondent_email": "dana.whitfield@acme.example",
                    "answered_on": "2026-11-21",
                }
            ]
        },
    ),
)
class SurveyResponseBulkView(BulkIngestView):
    """Create or update NPS and CSAT answers by the survey tool's response id."""

    def ingest(self, batch: Batch) -> Response:
        return Response(survey_response_bulk_upsert(records=batch.records).as_dict())
