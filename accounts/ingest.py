"""Bulk ingestion of accounts from integrations: upsert by ``external_id``, all or nothing.

An account's ARR and status belong to its ledger (see accounts/services.py), so a batch writes
only the descriptive fields; ARR arrives as ARR movements. New accounts start active with no
ARR. A field a batch does not send keeps its stored value; a new account gets its default.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import (
    SEGMENTATION_ATTRIBUTES,
    Account,
    AccountStatus,
    ArrMovement,
    LifecycleStage,
    MovementKind,
    Segment,
)
from accounts.selectors import OWNER_ROLES
from accounts.services import arr_movement_record
from accounts.signals import accounts_created
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
from csos.models import Membership, Workspace


def _currency(value: Any) -> str:
    code = f.text(max_length=3)(value).upper()
    if len(code) != 3 or not code.isalpha():
        raise f.Invalid("invalid-currency", "Use a three-letter ISO 4217 code such as USD.")
    return code


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
        **{name: f.integer(min_value=1, max_value=5) for name in SEGMENTATION_ATTRIBUTES},
    },
    required=frozenset({"external_id", "name"}),
    key=("external_id",),
)


def account_ids_by_external_id(external_ids: Iterable[str]) -> dict[str, int]:
    """The ids of the workspace's accounts among ``external_ids``, by external_id."""
    return dict(
        Account.objects.filter(external_id__in=set(external_ids)).values_list("external_id", "pk")
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


# Record field -> model field, where they differ.
_MODEL_FIELD = {"owner_email": "owner"}


def _upsert_target(workspace: Workspace) -> UpsertTarget:
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
    """Validate every record, then create or update the accounts they name in one upsert.

    Besides each field's own rules: an owner must be a CSM, leader or admin of the workspace,
    a renewal may not precede the contract start, and an account with an ARR ledger keeps its
    currency. Any invalid record raises a 400 problem listing all of them; nothing is written.
    """
    batch = validate_records(records, ACCOUNT_RECORD)
    owners = dict(
        Membership.objects.filter(
            user__email__in={row["owner_email"] for row in batch.rows if row.get("owner_email")},
            role__in=OWNER_ROLES,
        ).values_list("user__email", "user_id")
    )
    owners = {email.lower(): user_id for email, user_id in owners.items()}
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
        if email is not None and email not in owners:
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

    counts = copy_upsert_rows(
        target=_upsert_target(workspace),
        rows=(
            {
                _MODEL_FIELD.get(name, name): owners[value]
                if name == "owner_email" and value
                else value
                for name, value in row.items()
            }
            for row in batch.rows
        ),
    )
    written = account_ids_by_external_id(row["external_id"] for row in batch.rows).values()
    accounts_created.send(sender=Account, workspace=workspace, account_ids=list(written))
    return counts


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
    accounts = {
        account.external_id: account
        for account in Account.objects.filter(
            external_id__in={row["account_external_id"] for row in batch.rows}
        )
    }
    booked = {
        movement.external_id: movement
        for movement in ArrMovement.objects.filter(
            external_id__in=[row["external_id"] for row in batch.rows]
        ).select_related("account")
    }
    counts = UpsertCounts()
    to_book: list[tuple[int, dict]] = []
    for index, row in zip(batch.indexes, batch.rows, strict=True):
        account = accounts.get(row["account_external_id"])
        if account is None:
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
        elif _same_movement(existing, row):
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
    to_book.sort(key=lambda item: (item[1]["account_external_id"], item[1]["date"], item[0]))
    for index, row in to_book:
        try:
            arr_movement_record(
                account=accounts[row["account_external_id"]],
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


def _same_movement(movement: ArrMovement, row: dict) -> bool:
    return (
        movement.account.external_id == row["account_external_id"]
        and movement.kind == row["kind"]
        and movement.date == row["date"]
        and movement.amount == row["amount"]
        and movement.note == row.get("note", "")
    )
