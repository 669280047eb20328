"""Writes of customer accounts and their ARR ledger."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import (
    MOVEMENT_SIGN,
    Account,
    AccountStatus,
    ArrMovement,
    MovementKind,
)
from csos.models import Membership, Role, Workspace

ACCOUNT_FIELDS = (
    "name",
    "external_id",
    "owner",
    "currency",
    "contract_start",
    "renewal_date",
    "licensed_seats",
    "lifecycle_stage",
    "segment",
    "industry",
    "complexity",
    "strategic_potential",
    "product_maturity",
    "implementation_difficulty",
    "executive_visibility",
)


def _validate_account(account: Account) -> None:
    errors: dict[str, str] = {}
    clash = Account.unscoped.filter(
        workspace=account.workspace, external_id=account.external_id
    ).exclude(pk=account.pk)
    if clash.exists():
        errors["external_id"] = f"Another account already uses the id {account.external_id!r}."
    if (
        account.contract_start
        and account.renewal_date
        and account.renewal_date < account.contract_start
    ):
        errors["renewal_date"] = "The renewal date is before the contract start."
    if (
        account.owner_id
        and not Membership.unscoped.filter(
            workspace=account.workspace,
            user_id=account.owner_id,
            role__in=[Role.CSM, Role.LEADER, Role.ADMIN],
        ).exists()
    ):
        errors["owner"] = "The owner must be a CSM, leader or admin of this workspace."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def account_create(
    *, workspace: Workspace, by: AbstractBaseUser | None, arr: Decimal, data: dict[str, Any]
) -> Account:
    """Create an account; a starting ARR enters the ledger as new business at contract start."""
    account = Account(workspace=workspace, **{k: data[k] for k in ACCOUNT_FIELDS if k in data})
    _validate_account(account)
    account.save()
    if arr > 0:
        arr_movement_record(
            account=account,
            by=by,
            kind=MovementKind.NEW,
            on=account.contract_start or date.today(),
            amount=arr,
        )
        account.refresh_from_db(fields=["arr"])
    return account


@transaction.atomic
def account_update(*, account: Account, data: dict[str, Any]) -> Account:
    for field in ACCOUNT_FIELDS:
        if field in data:
            setattr(account, field, data[field])
    _validate_account(account)
    account.save()
    return account


@transaction.atomic
def arr_movement_record(
    *,
    account: Account,
    by: AbstractBaseUser | None,
    kind: str,
    on: date,
    amount: Decimal,
    note: str = "",
) -> ArrMovement:
    """Book an ARR change in the ledger and carry it into the account's current ARR and status."""
    account = Account.unscoped.select_for_update().get(pk=account.pk)
    if amount <= 0:
        raise ValidationError({"amount": "Enter the size of the change as a positive amount."})
    sign = MOVEMENT_SIGN[MovementKind(kind)]
    if kind == MovementKind.CHURN and amount != account.arr:
        raise ValidationError(
            {"amount": f"A churn removes the whole ARR: {account.arr} {account.currency}."}
        )
    if sign < 0 and amount > account.arr:
        raise ValidationError(
            {"amount": f"Cannot take away more than the current ARR ({account.arr})."}
        )
    if kind == MovementKind.REACTIVATION and account.status != AccountStatus.CHURNED:
        raise ValidationError({"kind": "Only a churned account can be reactivated."})

    movement = ArrMovement.unscoped.create(
        workspace=account.workspace,
        account=account,
        kind=kind,
        date=on,
        amount=amount,
        note=note,
        recorded_by=by if by is not None and by.is_authenticated else None,
    )
    account.arr += sign * amount
    if kind == MovementKind.CHURN:
        account.status = AccountStatus.CHURNED
    elif kind == MovementKind.REACTIVATION:
        account.status = AccountStatus.ACTIVE
    account.save(update_fields=["arr", "status", "updated_at"])
    return movement


def account_can_edit(*, membership: Membership, account: Account) -> bool:
    """Leaders and admins edit every account; a CSM edits the accounts they own."""
    if membership.sees_all_portfolios:
        return True
    return membership.role == Role.CSM and account.owner_id == membership.user_id
