"""Bulk ingestion of accounts from integrations: upsert by ``external_id``, all or nothing.

An account's ARR and status belong to its ledger (see accounts/services.py), so a batch writes
only the descriptive fields; ARR arrives as ARR movements. New accounts start active with no
ARR. A field a batch does not send keeps its stored value; a new account gets its default.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.creation import accounts_create, owner_ids_by_email
from accounts.models import (
    SEGMENTATION_ATTRIBUTES,
    Account,
    AccountStatus,
    ArrMovement,
    LifecycleStage,
    MovementKind,
    Segment,
)
from accounts.selectors.external_ids import account_ids_by_external_id, accounts_by_external_id
from accounts.services import ParentLinkRefused, account_parents_link, arr_movement_record
from csos.api import fields as f
from csos.api.bulk import (
    RecordSpec,
    UpsertCounts,
    UpsertTarget,
    ValidatedBatch,
    copy_upsert_rows,
    validate_records,
    workspace_lock,
)
from csos.currencies import currency_problem
from csos.models import Workspace


def _currency(value: Any) -> str:
    code = f.text(max_length=3)(value)
    problem = currency_problem(code)
    if problem:
        raise f.Invalid("invalid-currency", problem)
    return code.upper()


ACCOUNT_RECORD = RecordSpec(
    fields={
        "external_id": f.text_of(Account, "external_id"),
        "name": f.text_of(Account, "name"),
        "owner_email": f.nullable(f.email),
        "currency": _currency,
        "contract_start": f.nullable(f.day()),
        "renewal_date": f.nullable(f.day()),
        "licensed_seats": f.integer(min_value=0, max_value=2_147_483_647),
        "lifecycle_stage": f.text(max_length=20, choices=list(LifecycleStage.values)),
        "segment": f.text(max_length=20, choices=list(Segment.values)),
        "industry": f.text_of(Account, "industry", blank=True),
        "parent_external_id": f.nullable(f.text_of(Account, "external_id")),
        **{name: f.integer(min_value=1, max_value=5) for name in SEGMENTATION_ATTRIBUTES},
    },
    required=frozenset({"external_id", "name"}),
    key=("external_id",),
)


def fail_unknown_account(
    batch: ValidatedBatch,
    index: int,
    external_id: str,
    *,
    field: str = "account_external_id",
    advice: str = "send it in an accounts batch first",
) -> None:
    """Marks the record at ``index`` as naming no account of the workspace."""
    batch.fail(
        index,
        field,
        "unknown-account",
        f"No account has the external_id {external_id!r}; {advice}.",
    )


def fail_same_account_twice(
    batch: ValidatedBatch,
    account_ids: dict[str, int],
    *,
    key: tuple[str, ...],
    field: str = "account_external_id",
) -> None:
    """Fails each record whose ``key`` repeats an earlier record's once ``field`` is read as
    the account it names: an account's own id and its alias would otherwise write one row
    twice. The records' own keys were already checked; only an alias makes these."""
    seen: dict[tuple, int] = {}
    for index, row in zip(batch.indexes, batch.rows, strict=True):
        if row[field] not in account_ids:
            continue
        resolved = tuple(account_ids[row[name]] if name == field else row[name] for name in key)
        if resolved in seen:
            batch.fail(
                index,
                field,
                "duplicate-key",
                f"Record {seen[resolved]} of this batch names the same account (by its "
                f"external_id or an alias of it) with the same key.",
            )
        else:
            seen[resolved] = index


# Record field -> model field, where they differ; owners are resolved to their user id.
_MODEL_FIELD = {"owner_email": "owner_id"}


def _upsert_target(workspace: Workspace) -> UpsertTarget:
    """Only stored accounts go through the upsert; PostgreSQL still checks the row it would
    insert before it finds the conflict, so that row is completed as a new account would be."""
    defaults = {
        field.name: field.get_default()
        for field in Account._meta.concrete_fields
        if field.name not in {"id", "workspace", "created_at", "updated_at"}
    }
    defaults.update(
        arr=Decimal("0"), status=AccountStatus.ACTIVE, currency=workspace.default_currency
    )
    return UpsertTarget(
        model=Account,
        key=("external_id",),
        insert_defaults=defaults,
        created_column="created_at",
        updated_column="updated_at",
    )


@transaction.atomic
def account_bulk_upsert(*, workspace: Workspace, records: list[Any]) -> UpsertCounts:
    """Validate every record, then create the new accounts and update the others at once.

    New accounts are created by ``accounts_create``, with the checks, audit and signal of
    every other path; stored ones are updated in one upsert. Besides each field's own rules:
    an owner must be a CSM, leader or admin of the workspace (its e-mail in any case), a
    renewal may not precede the contract start, and an account with an ARR ledger keeps its
    currency; a parent must be an account of the workspace or of the batch, and make no loop
    (``account_parents_link``). Any invalid record raises a 400 problem listing all of them;
    nothing is written.
    """
    batch = validate_records(records, ACCOUNT_RECORD)
    # Batches of a workspace run one at a time, so an id new to one is not created by another.
    workspace_lock("accounts")
    owners = owner_ids_by_email(emails=(row.get("owner_email") or "" for row in batch.rows))
    stored = _named_accounts(batch)
    ledger_currency = dict(
        Account.objects.filter(
            external_id__in=[row["external_id"] for row in batch.rows if "currency" in row],
            arr_movements__isnull=False,
        )
        .distinct()
        .values_list("external_id", "currency")
    )
    for index, row in zip(batch.indexes, batch.rows, strict=True):
        email = row.get("owner_email")
        if email is not None and email.lower() not in owners:
            batch.fail(
                index,
                "owner_email",
                "unknown-owner",
                f"{email} is not a CSM, leader or admin of this workspace.",
            )
        start, renewal = row.get("contract_start"), row.get("renewal_date")
        if start and renewal and renewal < start:
            batch.fail(
                index, "renewal_date", "before-start", "The renewal date is before contract start."
            )
        booked = ledger_currency.get(row["external_id"])
        if booked is not None and row["currency"] != booked:
            batch.fail(
                index,
                "currency",
                "currency-locked",
                f"The account's ARR ledger is in {booked}; its currency cannot change.",
            )
    batch.raise_if_invalid()
    for row in batch.rows:
        if row.get("owner_email"):
            row["owner_email"] = owners[row["owner_email"].lower()]
    # A new account takes the model's defaults and the workspace's currency for what its
    # record leaves out; a stored one keeps its values for them.
    new = [row for row in batch.rows if row["external_id"] not in stored]
    accounts_create(
        workspace=workspace,
        by=None,
        accounts=[
            Account(
                currency=workspace.default_currency,
                **_model_values(row),
            )
            for row in new
        ],
        source="api",
    )
    counts = copy_upsert_rows(
        target=_upsert_target(workspace),
        rows=(_model_values(row) for row in batch.rows if row["external_id"] in stored),
    )
    counts.created = len(new)
    _link_parents(workspace, batch)
    return counts


def _named_accounts(batch: ValidatedBatch) -> set[str]:
    """The own external ids of the stored accounts the batch names. A record or a parent named
    by an alias is rewritten to its account's own id, so that it updates the account rather
    than create a second one; two records naming one account are refused."""
    named = accounts_by_external_id(
        external_id
        for row in batch.rows
        for external_id in (row["external_id"], row.get("parent_external_id"))
        if external_id
    )
    fail_same_account_twice(
        batch,
        {external_id: account.pk for external_id, account in named.items()},
        key=("external_id",),
        field="external_id",
    )
    for row in batch.rows:
        for field in ("external_id", "parent_external_id"):
            if row.get(field) in named:
                row[field] = named[row[field]].external_id
    return {account.external_id for account in named.values()}


def _model_values(row: dict[str, Any]) -> dict[str, Any]:
    """A record's values by model field; the parent is linked once every account exists."""
    return {
        _MODEL_FIELD.get(name, name): value
        for name, value in row.items()
        if name != "parent_external_id"
    }


def _link_parents(workspace: Workspace, batch: ValidatedBatch) -> None:
    """Place the batch's accounts under the parents it names, once all of them exist; a
    refused link fails its record, and the whole batch is undone."""
    linked = [
        (index, (row["external_id"], row["parent_external_id"]))
        for index, row in zip(batch.indexes, batch.rows, strict=True)
        if "parent_external_id" in row
    ]
    try:
        account_parents_link(workspace=workspace, pairs=[pair for _index, pair in linked])
    except ParentLinkRefused as refused:
        for position, refusal in refused.refusals.items():
            batch.fail(linked[position][0], refusal.field, refusal.code, refusal.message)
        batch.raise_if_invalid()


_movement_amount = ArrMovement._meta.get_field("amount")

ARR_MOVEMENT_RECORD = RecordSpec(
    fields={
        "external_id": f.text_of(ArrMovement, "external_id"),
        "account_external_id": f.text_of(Account, "external_id"),
        "kind": f.text(max_length=20, choices=list(MovementKind.values)),
        "date": f.day(),
        "amount": f.decimal(
            max_digits=_movement_amount.max_digits,
            decimal_places=_movement_amount.decimal_places,
            positive=True,
        ),
        "note": f.text_of(ArrMovement, "note", blank=True),
    },
    required=frozenset({"external_id", "account_external_id", "kind", "date", "amount"}),
    key=("external_id",),
)


@transaction.atomic
def arr_movement_bulk_record(*, workspace: Workspace, records: list[Any]) -> UpsertCounts:
    """Book a batch of ARR movements through the ledger's rules, keyed by the integrator's id.

    A movement already booked under its id is unchanged when sent again with the same values
    and an error with other values: the ledger is append-only, so a mistake is corrected by a
    new movement. New movements are booked per account in date order; a ledger rule broken by
    any of them fails the whole batch with an error per record.
    """
    batch = validate_records(records, ARR_MOVEMENT_RECORD)
    # Batches of a workspace book one at a time: a movement id sent by two concurrent requests
    # is found booked by the second, instead of inserted twice.
    workspace_lock("arr-movements")
    account_ids = account_ids_by_external_id(row["account_external_id"] for row in batch.rows)
    accounts = Account.objects.in_bulk(set(account_ids.values()))
    booked = {
        movement.external_id: movement
        for movement in ArrMovement.objects.filter(
            external_id__in=[row["external_id"] for row in batch.rows]
        )
    }
    counts = UpsertCounts()
    to_book: list[tuple[int, dict]] = []
    for index, row in zip(batch.indexes, batch.rows, strict=True):
        account_id = account_ids.get(row["account_external_id"])
        if account_id is None:
            batch.fail(
                index,
                "account_external_id",
                "unknown-account",
                f"No account has the external_id {row['account_external_id']!r}.",
            )
            continue
        existing = booked.get(row["external_id"])
        if existing is None:
            to_book.append((index, row))
        elif _same_movement(existing, row, account_id=account_id):
            counts.unchanged += 1
        else:
            batch.fail(
                index,
                "external_id",
                "already-booked",
                "A movement with this id is booked with other values; the ledger keeps it. "
                "Book a correcting movement under a new id.",
            )
    batch.raise_if_invalid()
    # Sorted by account, not by the id naming it: an alias books in its account's date order.
    to_book.sort(
        key=lambda item: (account_ids[item[1]["account_external_id"]], item[1]["date"], item[0])
    )
    for index, row in to_book:
        try:
            arr_movement_record(
                account=accounts[account_ids[row["account_external_id"]]],
                by=None,
                kind=row["kind"],
                on=row["date"],
                amount=row["amount"],
                note=row.get("note", ""),
                external_id=row["external_id"],
            )
        except ValidationError as error:
            for field_name, messages in error.message_dict.items():
                for message in messages:
                    batch.fail(index, field_name, "ledger-rule", message)
    # Raising leaves the atomic block, which rolls back the movements booked before.
    batch.raise_if_invalid()
    counts.created = len(to_book)
    return counts


def _same_movement(movement: ArrMovement, row: dict, *, account_id: int) -> bool:
    return (
        movement.account_id == account_id
        and movement.kind == row["kind"]
        and movement.date == row["date"]
        and movement.amount == row["amount"]
        and movement.note == row.get("note", "")
    )
