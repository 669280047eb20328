"""Bulk ingestion of support tickets and survey responses: upsert by the source's id.

Tickets come from a helpdesk keyed by its ticket id, survey answers from a survey tool keyed by
its response id; both name their account by ``external_id``. Records are validated all at once
(the same checks serve the API and the CSV upload), then written with one COPY and one upsert.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower

from accounts.ingest import fail_unknown_account
from accounts.models import Account
from accounts.selectors.external_ids import account_ids_by_external_id
from csos.api import fields as f
from csos.api.bulk import (
    RecordSpec,
    UpsertCounts,
    UpsertTarget,
    ValidatedBatch,
    copy_upsert_rows,
    validate_records,
)
from health.models import (
    SURVEY_RANGE,
    SupportTicket,
    SurveyKind,
    SurveyResponse,
    TicketPriority,
    TicketStatus,
)
from stakeholders.models import Stakeholder

_ACCOUNT_ID = f.text_of(Account, "external_id")


def _lower_choice(choices: list[str]) -> f.Parser:
    """A choice written in any case: ``P1`` is ``p1``."""
    parse = f.text(max_length=max(len(choice) for choice in choices), choices=choices)

    def lowered(value: Any) -> str:
        return parse(value.lower() if isinstance(value, str) else value)

    return lowered


TICKET_RECORD = RecordSpec(
    fields={
        "external_id": f.text_of(SupportTicket, "external_id"),
        "account_external_id": _ACCOUNT_ID,
        "subject": f.text_of(SupportTicket, "subject", blank=True),
        "priority": _lower_choice(list(TicketPriority.values)),
        "status": _lower_choice(list(TicketStatus.values)),
        "opened_on": f.day(not_in_future=True),
        "closed_on": f.nullable(f.day(not_in_future=True)),
    },
    required=frozenset({"external_id", "account_external_id", "priority", "status", "opened_on"}),
    key=("external_id",),
)
TICKET_UPSERT = UpsertTarget(
    model=SupportTicket, key=("external_id",), insert_defaults={"subject": ""}
)

MAX_COMMENT_LENGTH = 10_000
SURVEY_RECORD = RecordSpec(
    fields={
        "external_id": f.text_of(SurveyResponse, "external_id"),
        "account_external_id": _ACCOUNT_ID,
        "kind": _lower_choice(list(SurveyKind.values)),
        "score": f.integer(min_value=0),
        "comment": f.text(max_length=MAX_COMMENT_LENGTH, blank=True),
        "respondent_email": f.nullable(f.email),
        "respondent_name": f.text_of(SurveyResponse, "respondent_name", blank=True),
        "answered_on": f.day(not_in_future=True),
    },
    required=frozenset({"external_id", "account_external_id", "kind", "score", "answered_on"}),
    key=("external_id",),
)
SURVEY_UPSERT = UpsertTarget(
    model=SurveyResponse,
    key=("external_id",),
    insert_defaults={
        "comment": "",
        "respondent": None,
        "respondent_name": "",
        "respondent_email": "",
    },
    key_sql="(workspace_id, external_id) WHERE NOT (external_id = '')",
)


@dataclass(frozen=True)
class Checked:
    """A validated batch and the rows it writes, in model field names."""

    batch: ValidatedBatch
    rows: list[dict[str, Any]]

    def write(self, target: UpsertTarget) -> UpsertCounts:
        """The rows upserted; any invalid record raises a 400 problem listing all of them, and
        nothing is written."""
        self.batch.raise_if_invalid()
        return copy_upsert_rows(target=target, rows=self.rows)


def _checked(
    records: list[Any], spec: RecordSpec, check_row: Callable[[ValidatedBatch, int, dict], None]
) -> tuple[ValidatedBatch, dict[str, int]]:
    batch = validate_records(records, spec)
    account_ids = account_ids_by_external_id(row["account_external_id"] for row in batch.rows)
    for index, row in zip(batch.indexes, batch.rows, strict=True):
        if row["account_external_id"] not in account_ids:
            fail_unknown_account(batch, index, row["account_external_id"])
        check_row(batch, index, row)
    return batch, account_ids


def _check_ticket(batch: ValidatedBatch, index: int, row: dict) -> None:
    closed_on = row.get("closed_on")
    if row["status"] == TicketStatus.CLOSED and closed_on is None:
        batch.fail(index, "closed_on", "required", "A closed ticket needs closed_on.")
    elif row["status"] != TicketStatus.CLOSED and closed_on is not None:
        batch.fail(index, "closed_on", "not-closed", "Only a closed ticket has closed_on.")
    if closed_on is not None and closed_on < row["opened_on"]:
        batch.fail(index, "closed_on", "before-opened", "The ticket closed before it opened.")


def support_ticket_check(*, records: list[Any]) -> Checked:
    """Every record checked against its fields, its account and the ticket's dates."""
    batch, account_ids = _checked(records, TICKET_RECORD, _check_ticket)
    rows = [
        {
            **{name: value for name, value in row.items() if name != "account_external_id"},
            "account": account_ids.get(row["account_external_id"]),
            "closed_on": row.get("closed_on"),
        }
        for row in batch.rows
    ]
    return Checked(batch=batch, rows=rows)


def _check_survey(batch: ValidatedBatch, index: int, row: dict) -> None:
    low, high = SURVEY_RANGE[row["kind"]]
    if not low <= row["score"] <= high:
        batch.fail(
            index,
            "score",
            "out-of-range",
            f"A {row['kind'].upper()} score is from {low} to {high}.",
        )


def survey_response_check(*, records: list[Any]) -> Checked:
    """Every record checked against its fields, its account and its kind's score range.

    A respondent e-mail links the answer to the account's stakeholder with that address, when
    there is one; otherwise the answer keeps the address alone.
    """
    batch, account_ids = _checked(records, SURVEY_RECORD, _check_survey)
    emails = {row["respondent_email"] for row in batch.rows if row.get("respondent_email")}
    people = {
        (account_id, email): pk
        for pk, account_id, email in Stakeholder.objects.annotate(address=Lower("email"))
        .filter(account_id__in=account_ids.values(), address__in=emails)
        .values_list("pk", "account_id", "address")
    }
    rows = []
    for row in batch.rows:
        account_id = account_ids.get(row["account_external_id"])
        values = {name: value for name, value in row.items() if name != "account_external_id"}
        if "respondent_email" in row:
            email = row["respondent_email"] or ""
            values["respondent_email"] = email
            values["respondent"] = people.get((account_id, email))
        rows.append({"account": account_id, **values})
    return Checked(batch=batch, rows=rows)


@transaction.atomic
def support_ticket_bulk_upsert(*, records: list[Any]) -> UpsertCounts:
    """Validate every ticket, then create or update them by the helpdesk's id in one upsert."""
    return support_ticket_check(records=records).write(TICKET_UPSERT)


@transaction.atomic
def survey_response_bulk_upsert(*, records: list[Any]) -> UpsertCounts:
    """Validate every answer, then create or update them by the survey tool's id in one upsert."""
    return survey_response_check(records=records).write(SURVEY_UPSERT)
