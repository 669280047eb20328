"""Bulk ingestion of stakeholders from integrations: upsert by account and e-mail, all or nothing.

A person is named by their account's ``external_id`` and their e-mail (compared without case).
A field a record leaves out keeps its stored value; a new person needs a name and a role. An
Owner or Champion a batch marks as left gets the stakeholder change the page would record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.ingest import fail_same_account_twice, fail_unknown_account
from accounts.models import Account
from accounts.selectors.external_ids import account_ids_by_external_id
from accounts.signals import stakeholders_changed
from csos.api import fields as f
from csos.api.bulk import RecordSpec, UpsertCounts, UpsertTarget, copy_upsert_rows, validate_records
from csos.models import Workspace
from stakeholders.models import (
    KEY_ROLES,
    Sentiment,
    Stakeholder,
    StakeholderChange,
    StakeholderRole,
    StakeholderStatus,
)
from stakeholders.services import stakeholder_changes_announce, stakeholder_states_record

STAKEHOLDER_RECORD = RecordSpec(
    fields={
        "account_external_id": f.text_of(Account, "external_id"),
        "email": f.email,
        "name": f.text_of(Stakeholder, "name"),
        "title": f.text_of(Stakeholder, "title", blank=True),
        "role": f.text(max_length=10, choices=list(StakeholderRole.values)),
        "influence": f.integer(min_value=1, max_value=5),
        "sentiment": f.text(max_length=10, choices=list(Sentiment.values)),
        "status": f.text(max_length=10, choices=list(StakeholderStatus.values)),
        "added_on": f.day(not_in_future=True),
        "left_on": f.nullable(f.day(not_in_future=True)),
    },
    required=frozenset({"account_external_id", "email"}),
    key=("account_external_id", "email"),
)
REQUIRED_ON_CREATE = ("name", "role")

STAKEHOLDER_UPSERT = UpsertTarget(
    model=Stakeholder,
    key=("account", "email"),
    insert_defaults={
        field.name: field.get_default()
        for field in Stakeholder._meta.concrete_fields
        if field.name not in {"id", "workspace", "account", "email"}
    },
    key_sql="(workspace_id, account_id, lower(email)) WHERE NOT (email = '')",
)


def _existing(account_ids: set[int]) -> dict[tuple[int, str], dict]:
    rows = (
        Stakeholder.objects.filter(account_id__in=account_ids)
        .exclude(email="")
        .values("id", "account_id", "email", "role", "sentiment", "status", "added_on")
    )
    return {(row["account_id"], row["email"].lower()): row for row in rows}


@transaction.atomic
def stakeholder_bulk_upsert(*, workspace: Workspace, records: list[Any]) -> UpsertCounts:
    """Validate every record, then create or update the people they name in one upsert.

    Besides each field's own rules: the account must exist, a new person needs a name and a
    role, a left person needs the date they left (an active one none) and cannot have left
    before they were added. Any invalid record raises a 400 problem listing all of them.
    """
    batch = validate_records(records, STAKEHOLDER_RECORD)
    account_ids = account_ids_by_external_id(row["account_external_id"] for row in batch.rows)
    existing = _existing(set(account_ids.values()))
    today = timezone.localdate()
    departures: list[tuple[int, str, str, dt.date]] = []
    keys: list[tuple[int, str]] = []
    rows = []
    for index, row in zip(batch.indexes, batch.rows, strict=True):
        account_id = account_ids.get(row["account_external_id"])
        if account_id is None:
            fail_unknown_account(batch, index, row["account_external_id"])
            continue
        stored = existing.get((account_id, row["email"]))
        if stored is None:
            for name in REQUIRED_ON_CREATE:
                if name not in row:
                    batch.fail(index, name, "required", "A new stakeholder needs this field.")
        if "left_on" in row and "status" not in row:
            batch.fail(index, "status", "required", "Send the status with left_on.")
        if "status" in row:
            _standing_check(batch, index, row=row, stored=stored, today=today)
            role = row.get("role") or (stored["role"] if stored else None)
            was_left = stored is not None and stored["status"] == StakeholderStatus.LEFT
            if row["status"] == StakeholderStatus.LEFT and not was_left and role in KEY_ROLES:
                departures.append((account_id, row["email"], role, row.get("left_on")))
        values = {name: value for name, value in row.items() if name != "account_external_id"}
        if "status" in row:
            values["left_on"] = row.get("left_on")
        rows.append({"account": account_id, **values})
        keys.append((account_id, row["email"]))
    fail_same_account_twice(batch, account_ids, key=STAKEHOLDER_RECORD.key)
    batch.raise_if_invalid()
    counts = copy_upsert_rows(target=STAKEHOLDER_UPSERT, rows=rows)
    if departures:
        _record_departures(workspace, departures)
    _record_states(existing, keys, today=today)
    _announce_changes(workspace, existing, keys)
    standing = sorted({row["account"] for row in rows if {"role", "status"} & row.keys()})
    if standing:
        stakeholders_changed.send(sender=Stakeholder, account_ids=standing)
    return counts


def _standing_check(batch, index: int, *, row: dict, stored: dict | None, today: dt.date) -> None:
    """A left person has the date they left, no earlier than they were added; an active one
    has none."""
    left_on = row.get("left_on")
    if row["status"] == StakeholderStatus.LEFT and left_on is None:
        batch.fail(index, "left_on", "required", "A person who left needs left_on.")
    elif row["status"] == StakeholderStatus.ACTIVE and left_on is not None:
        batch.fail(index, "left_on", "active-has-left-on", "An active person has no left_on.")
    added_on = row.get("added_on") or (stored["added_on"] if stored else today)
    if left_on is not None and left_on < added_on:
        batch.fail(
            index,
            "left_on",
            "before-added",
            f"The person was added on {added_on:%Y-%m-%d}; they cannot have left before.",
        )


def _record_states(
    before: dict[tuple[int, str], dict], keys: list[tuple[int, str]], *, today: dt.date
) -> None:
    """The dated roles and sentiments of the people the batch created or changed."""
    people = Stakeholder.objects.filter(account_id__in={account_id for account_id, _ in keys}).only(
        "workspace_id", "account_id", "email", "role", "sentiment", "added_on"
    )
    by_key = {(person.account_id, person.email.lower()): person for person in people}
    changes = []
    for key in keys:
        stored = before.get(key)
        changes.append((by_key[key], (stored["role"], stored["sentiment"]) if stored else None))
    stakeholder_states_record(changes=changes, today=today)


def _announce_changes(
    workspace: Workspace, before: dict[tuple[int, str], dict], keys: list[tuple[int, str]]
) -> None:
    """The departures and role changes of the people the batch changed (not those it added)."""
    stored = [key for key in keys if key in before]
    if not stored:
        return
    people = Stakeholder.objects.filter(pk__in=[before[key]["id"] for key in stored])
    changes = [
        (person, before[key]["role"], before[key]["status"] == StakeholderStatus.LEFT)
        for person in people.select_related("account__owner").order_by("pk")
        for key in [(person.account_id, person.email.lower())]
    ]
    stakeholder_changes_announce(workspace=workspace, changes=changes)


def _record_departures(
    workspace: Workspace, departures: list[tuple[int, str, str, dt.date]]
) -> None:
    """The stakeholder changes of Owners and Champions the batch marked as left."""
    people = _existing({account_id for account_id, *_ in departures})
    StakeholderChange.objects.bulk_create(
        [
            StakeholderChange(
                workspace=workspace,
                account_id=account_id,
                stakeholder_id=people[(account_id, email)]["id"],
                role=role,
                left_on=left_on,
            )
            for account_id, email, role, left_on in departures
        ]
    )
