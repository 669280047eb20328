"""Writes of customer accounts and their ARR ledger.

The ledger (ArrMovement) is the truth about an account's ARR: ``Account.arr`` always equals the
signed sum of its movements, and an account is churned exactly when its last status-changing
movement was a churn. So ARR and status change only through ``arr_movement_record`` (or the CSV
import, which books the same movements), and account edits never write them.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

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
# Who owns an account and the key integrations match it on are decisions for leaders and admins.
LEADER_ONLY_FIELDS = ("owner", "external_id")

_arr_field = Account._meta.get_field("arr")
MAX_ARR = Decimal(10) ** (_arr_field.max_digits - _arr_field.decimal_places)


def account_fields_locked_for(*, membership: Membership) -> tuple[str, ...]:
    """The account fields this member may see but not change."""
    return () if membership.sees_all_portfolios else LEADER_ONLY_FIELDS


def _validate_account(account: Account) -> None:
    errors: dict[str, str] = {}
    if _external_id_taken(account):
        errors["external_id"] = _external_id_taken_message(account)
    if (
        account.contract_start
        and account.renewal_date
        and account.renewal_date < account.contract_start
    ):
        errors["renewal_date"] = "The renewal date is before the contract start."
    if (
        account.owner_id
        and not Membership.objects.filter(
            workspace=account.workspace,
            user_id=account.owner_id,
            role__in=[Role.CSM, Role.LEADER, Role.ADMIN],
        ).exists()
    ):
        errors["owner"] = "The owner must be a CSM, leader or admin of this workspace."
    if errors:
        raise ValidationError(errors)


def _external_id_taken(account: Account) -> bool:
    return (
        Account.objects.filter(workspace=account.workspace, external_id=account.external_id)
        .exclude(pk=account.pk)
        .exists()
    )


def _external_id_taken_message(account: Account) -> str:
    return f"Another account already uses the id {account.external_id!r}."


def _save_checked(account: Account, **save_options: Any) -> None:
    """Save, turning a lost race for an external_id into the same field error the check gives.

    Two requests can both pass the check before either commits; the unique constraint then
    stops the second, inside a savepoint so the caller's transaction stays usable.
    """
    try:
        with transaction.atomic():
            account.save(**save_options)
    except IntegrityError:
        if _external_id_taken(account):
            raise ValidationError({"external_id": _external_id_taken_message(account)}) from None
        raise


@transaction.atomic
def account_create(
    *, workspace: Workspace, by: AbstractBaseUser | None, arr: Decimal, data: dict[str, Any]
) -> Account:
    """Create an account; a starting ARR enters the ledger as new business at contract start."""
    account = Account(workspace=workspace, **{k: data[k] for k in ACCOUNT_FIELDS if k in data})
    _validate_account(account)
    _save_checked(account)
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
def account_update(*, account: Account, membership: Membership, data: dict[str, Any]) -> Account:
    """Change an account's descriptive fields; its ARR and status stay the ledger's.

    The row is read again under a lock and only ACCOUNT_FIELDS are written, so a movement or
    import committed since ``account`` was loaded is kept. A member changing a field locked for
    them, or the currency of an account that has a ledger, gets a field error.
    """
    current = Account.objects.select_for_update().get(pk=account.pk)
    errors: dict[str, str] = {}
    for field in account_fields_locked_for(membership=membership):
        if field in data and _field_value(current, field) != _plain(data[field]):
            errors[field] = f"Only a leader or admin can change the {_label(field)}."
    if (
        "currency" in data
        and data["currency"] != current.currency
        and ArrMovement.objects.filter(account=current).exists()
    ):
        errors["currency"] = (
            f"The ARR ledger of this account is in {current.currency}; "
            "its currency cannot change once ARR has been recorded."
        )
    if errors:
        raise ValidationError(errors)
    fields = [field for field in ACCOUNT_FIELDS if field in data]
    for field in fields:
        setattr(current, field, data[field])
    _validate_account(current)
    _save_checked(current, update_fields=[*fields, "updated_at"])
    return current


def _field_value(account: Account, field: str) -> Any:
    return getattr(account, Account._meta.get_field(field).attname)


def _plain(value: Any) -> Any:
    """A form value as stored: a chosen user as their id."""
    return getattr(value, "pk", value)


def _label(field: str) -> str:
    return str(Account._meta.get_field(field).verbose_name)


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
    """Book an ARR change in the ledger and carry it into the account's current ARR and status.

    Movements are booked in date order: one dated before the account's latest movement would
    change the ARR of dates already booked past, where the checks below cannot see it. A date
    after today is accepted, as a signed change takes effect on its contract date; the account's
    ARR is then its contracted ARR, and later changes are dated on or after it. New business is
    only the first ARR of an account that never had any; after that, growth is an expansion,
    and a churned account can only be reactivated.
    """
    account = Account.objects.select_for_update().get(pk=account.pk)
    kind = MovementKind(kind)
    latest = (
        ArrMovement.objects.filter(account=account)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    _check_movement(account, kind=kind, on=on, amount=amount, latest=latest)

    movement = ArrMovement.objects.create(
        workspace=account.workspace,
        account=account,
        kind=kind,
        date=on,
        amount=amount,
        note=note,
        recorded_by=by if by is not None and by.is_authenticated else None,
    )
    account.arr += MOVEMENT_SIGN[kind] * amount
    if kind == MovementKind.CHURN:
        account.status = AccountStatus.CHURNED
    elif kind == MovementKind.REACTIVATION:
        account.status = AccountStatus.ACTIVE
    account.save(update_fields=["arr", "status", "updated_at"])
    return movement


def _check_movement(
    account: Account, *, kind: MovementKind, on: date, amount: Decimal, latest: date | None
) -> None:
    """Raise a field error if booking this movement would break the ledger's rules."""
    if amount <= 0:
        raise ValidationError({"amount": "Enter the size of the change as a positive amount."})
    if latest is not None and on < latest:
        raise ValidationError(
            {
                "date": (
                    f"The ledger already has a change on {latest:%Y-%m-%d}; "
                    "record this one on that date or later."
                )
            }
        )
    churned = account.status == AccountStatus.CHURNED
    if churned and kind != MovementKind.REACTIVATION:
        raise ValidationError(
            {"kind": "The account has churned: only a reactivation can be recorded."}
        )
    if kind == MovementKind.REACTIVATION and not churned:
        raise ValidationError({"kind": "Only a churned account can be reactivated."})
    never_booked = latest is None and account.arr == 0
    if kind == MovementKind.NEW and not never_booked:
        raise ValidationError(
            {"kind": "New business is the first ARR of an account; record an expansion instead."}
        )
    if kind == MovementKind.EXPANSION and never_booked:
        raise ValidationError(
            {"kind": "The account has no ARR yet: record its first ARR as new business."}
        )
    sign = MOVEMENT_SIGN[kind]
    if kind == MovementKind.CHURN and amount != account.arr:
        raise ValidationError(
            {"amount": f"A churn removes the whole ARR: {account.arr} {account.currency}."}
        )
    if sign < 0 and amount > account.arr:
        raise ValidationError(
            {"amount": f"Cannot take away more than the current ARR ({account.arr})."}
        )
    if sign > 0 and account.arr + amount >= MAX_ARR:
        raise ValidationError(
            {"amount": f"The account's ARR must stay below {MAX_ARR:,} {account.currency}."}
        )


def account_can_edit(*, membership: Membership, account: Account) -> bool:
    """Leaders and admins edit every account; a CSM edits the accounts they own."""
    if membership.sees_all_portfolios:
        return True
    return membership.role == Role.CSM and account.owner_id == membership.user_id
