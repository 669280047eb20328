"""Support tickets and survey responses uploaded as CSV, checked and written by the code of
their bulk endpoints."""

from collections.abc import Callable
from typing import Any

from accounts.csv_import import ACCOUNT_EXTERNAL_ID_FIELD
from csos.api.bulk import UpsertCounts
from csos.imports.batch import CsvBatchImport
from csos.imports.spec import FieldSpec, ImportSpec
from csos.models import Workspace
from health.ingest import support_ticket_bulk_upsert, survey_response_bulk_upsert
from health.models import SurveyKind, TicketPriority, TicketStatus

TICKET_SPEC = ImportSpec(
    kind="support_tickets",
    fields=(
        FieldSpec(
            "external_id",
            "Ticket ID",
            required=True,
            synonyms=("ticket id", "id", "ticket", "ticket number", "key", "issue key"),
            example="ZD-88121",
        ),
        ACCOUNT_EXTERNAL_ID_FIELD,
        FieldSpec("subject", "Subject", synonyms=("title", "summary"), example="SSO login fails"),
        FieldSpec(
            "priority",
            "Priority",
            required=True,
            synonyms=("severity", "urgency", "ticket priority"),
            maps_values=True,
            example="p1",
        ),
        FieldSpec(
            "status",
            "Status",
            required=True,
            synonyms=("state", "ticket status"),
            maps_values=True,
            example="open",
        ),
        FieldSpec(
            "opened_on",
            "Opened on",
            required=True,
            synonyms=("created", "created at", "created date", "opened", "date opened"),
            example="2026-11-24",
        ),
        FieldSpec(
            "closed_on",
            "Closed on",
            synonyms=("closed", "closed at", "solved at", "resolved at", "date closed"),
        ),
    ),
)

SURVEY_SPEC = ImportSpec(
    kind="survey_responses",
    fields=(
        FieldSpec(
            "external_id",
            "Response ID",
            required=True,
            synonyms=("response id", "id", "survey response id", "answer id"),
            example="NPS-2026-11-0042",
        ),
        ACCOUNT_EXTERNAL_ID_FIELD,
        FieldSpec(
            "kind",
            "Survey kind",
            required=True,
            synonyms=("survey type", "survey", "type"),
            maps_values=True,
            example="nps",
        ),
        FieldSpec(
            "score", "Score", required=True, synonyms=("rating", "answer", "nps score"), example="9"
        ),
        FieldSpec(
            "comment",
            "Comment",
            synonyms=("comments", "feedback", "verbatim", "reason"),
            example="Great support",
        ),
        FieldSpec(
            "respondent_email",
            "Respondent e-mail",
            synonyms=("email", "respondent", "email address"),
            example="dana@acme.example",
        ),
        FieldSpec("respondent_name", "Respondent name", synonyms=("name", "respondent full name")),
        FieldSpec(
            "answered_on",
            "Answered on",
            required=True,
            synonyms=("date", "submitted at", "answered at", "response date", "submitted"),
            example="2026-11-21",
        ),
    ),
)


def _in_scope(upsert: Callable[..., UpsertCounts]) -> Callable[..., UpsertCounts]:
    """The health upserts write to the workspace in scope, so they take no workspace."""

    def run(*, workspace: Workspace, records: list[Any]) -> UpsertCounts:
        return upsert(records=records)

    return run


TICKET_CSV = CsvBatchImport(
    spec=TICKET_SPEC,
    title="Import support tickets",
    upsert=_in_scope(support_ticket_bulk_upsert),
    url_name="ticket_import",
    noun="Tickets",
    back_url_name="portfolio",
    choices=lambda: {"priority": TicketPriority.choices, "status": TicketStatus.choices},
    help_text=(
        "One row per ticket, matched on its id, such as a helpdesk export; its account is "
        "named by its external ID."
    ),
)

SURVEY_CSV = CsvBatchImport(
    spec=SURVEY_SPEC,
    title="Import survey responses",
    upsert=_in_scope(survey_response_bulk_upsert),
    url_name="survey_import",
    noun="Survey responses",
    back_url_name="portfolio",
    numbers=frozenset({"score"}),
    choices=lambda: {"kind": SurveyKind.choices},
    help_text=(
        "One row per answer, matched on its response id, such as a survey tool's export; its "
        "account is named by its external ID, and a respondent e-mail links it to the "
        "stakeholder with that address."
    ),
)
