"""Writes of customer accounts and their ARR ledger.

The ledger (ArrMovement) is the truth about an account's ARR: ``Account.arr`` always equals the
signed sum of its movements, and an account is churned exactly when its last status-changing
movement that counts was a churn. So ARR and status change only through ``arr_movement_record``
and ``arr_movement_reverse`` (or the CSV import, which books the same movements), all by the
rules of ``accounts.ledger``, and account edits never write them. Every edit and every ARR
change is audited with the values before and after.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts import ledger
from accounts.models import Account, ArrMovement, MovementKind
from accounts.selectors import OWNER_ROLES, counted_arr_movements
from accounts.signals import accounts_created
from csos.models import Membership, Role, Workspace
from csos.services import audit_record

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
            role__in=OWNER_ROLES,
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
    audit_record(
        workspace=workspace,
        actor=by,
        action="account.create",
        obj=account,
        after=_described(account, ACCOUNT_FIELDS),
    )
    if arr > 0:
        arr_movement_record(
            account=account,
            by=by,
            kind=MovementKind.NEW,
            on=account.contract_start or date.today(),
            amount=arr,
        )
        account.refresh_from_db(fields=["arr"])
    accounts_created.send(sender=Account, workspace=workspace, account_ids=[account.pk])
    return account


@transaction.atomic
def account_update(*, account: Account, membership: Membership, data: dict[str, Any]) -> Account:
    """Change an account's descriptive fields; its ARR and status stay the ledger's.

    The row is read again under a lock and only ACCOUNT_FIELDS are written, so a movement or
    import committed since ``account`` was loaded is kept. A member changing a field locked for
    them, or the currency of an account that has a ledger, gets a field error. The change is
    audited with the fields it changed, before and after.
    """
    current = Account.objects.select_for_update().get(pk=account.pk)
    errors: dict[str, str] = {}
    for field in account_fields_locked_for(membership=membership):
        if field in data and _field_value(current, field) != _plain(data[field]):
            errors[field] = f"Only a leader or admin can change the {_label(field)}."
    if "currency" in data and data["currency"] != current.currency:
        try:
            ledger.check_currency_change(
                booked=ArrMovement.objects.filter(account=current).exists(),
                current=current.currency,
                new=data["currency"],
            )
        except ledger.LedgerRefusal as refusal:
            errors[refusal.field] = refusal.message
    if errors:
        raise ValidationError(errors)
    fields = [field for field in ACCOUNT_FIELDS if field in data]
    before = _described(current, fields)
    for field in fields:
        setattr(current, field, data[field])
    _validate_account(current)
    _save_checked(current, update_fields=[*fields, "updated_at"])
    after = _described(current, fields)
    changed = [field for field in fields if before[field] != after[field]]
    if changed:
        audit_record(
            workspace=current.workspace,
            actor=membership.user,
            action="account.update",
            obj=current,
            before={field: before[field] for field in changed},
            after={field: after[field] for field in changed},
        )
    return current


def _described(account: Account, fields: Sequence[str]) -> dict[str, Any]:
    """The fields' stored values as JSON can hold them: users and dates by id and ISO text."""
    values = {}
    for field in fields:
        value = _field_value(account, field)
        values[field] = value.isoformat() if isinstance(value, date) else value
    return values


def _field_value(account: Account, field: str) -> Any:
    return getattr(account, Account._meta.get_field(field).attname)


def _plain(value: Any) -> Any:
    """A form value as stored: a chosen user as their id."""
    return getattr(value, "pk", value)


def _label(field: str) -> str:
    return str(Account._meta.get_field(field).verbose_name)


def _ledger_of(account: Account) -> ledger.Ledger:
    """The account as the ledger's rules see it, dated by its latest movement that counts."""
    latest = (
        counted_arr_movements(ArrMovement.objects.filter(account=account))
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    return ledger.Ledger(
        arr=account.arr, status=account.status, currency=account.currency, latest=latest
    )


def _refused(refusal: ledger.LedgerRefusal) -> ValidationError:
    return ValidationError({refusal.field: refusal.message})


@transaction.atomic
def arr_movement_record(
    *,
    account: Account,
    by: AbstractBaseUser | None,
    kind: str,
    on: date,
    amount: Decimal,
    note: str = "",
    external_id: str = "",
) -> ArrMovement:
    """Book an ARR change in the ledger and carry it into the account's current ARR and status.

    The rules are ``accounts.ledger``'s; a refusal is a field error. The change is audited
    with the account's ARR and status before and after.
    """
    account = Account.objects.select_for_update().get(pk=account.pk)
    before = _ledger_of(account)
    try:
        after = ledger.book(before, ledger.Movement(kind, on, amount))
    except ledger.LedgerRefusal as refusal:
        raise _refused(refusal) from None
    movement = ArrMovement.objects.create(
        workspace=account.workspace,
        account=account,
        kind=kind,
        date=on,
        amount=amount,
        note=note,
        external_id=external_id,
        recorded_by=by if by is not None and by.is_authenticated else None,
    )
    _carry(account, after, by=by, action="arr_movement.record", movement=movement)
    return movement


@transaction.atomic
def arr_movement_reverse(
    *, movement: ArrMovement, by: AbstractBaseUser | None, note: str = ""
) -> ArrMovement:
    """Undo a mistaken movement by booking its reversal, linked to it and audited.

    Only the account's latest movement that counts can be reversed; the reversal restores the
    ARR and status from before it, and retention leaves both movements out.
    """
    account = Account.objects.select_for_update().get(pk=movement.account_id)
    movement = ArrMovement.objects.get(pk=movement.pk)
    counted = counted_arr_movements(ArrMovement.objects.filter(account=account))
    latest = counted.order_by("-date", "-id").values_list("pk", flat=True).first()
    mistaken = ledger.Movement(movement.kind, movement.date, movement.amount)
    try:
        undoing = ledger.reversal_of(
            mistaken,
            counts=counted.filter(pk=movement.pk).exists(),
            is_latest=latest == movement.pk,
        )
    except ledger.LedgerRefusal as refusal:
        raise _refused(refusal) from None
    reversal = ArrMovement.objects.create(
        workspace=account.workspace,
        account=account,
        kind=undoing.kind,
        date=undoing.on,
        amount=undoing.amount,
        note=note or f"Reverses the {movement.get_kind_display().lower()} of {movement.date}",
        recorded_by=by if by is not None and by.is_authenticated else None,
        reverses=movement,
    )
    after = ledger.effect(ledger.Ledger(arr=account.arr, status=account.status), undoing)
    _carry(account, after, by=by, action="arr_movement.reverse", movement=reversal)
    return reversal


def _carry(
    account: Account,
    after: ledger.Ledger,
    *,
    by: AbstractBaseUser | None,
    action: str,
    movement: ArrMovement,
) -> None:
    """Write the ledger's new ARR and status to the account and audit the change."""
    before = ledger.Ledger(arr=account.arr, status=account.status).audited()
    account.arr, account.status = after.arr, after.status
    account.save(update_fields=["arr", "status", "updated_at"])
    audit_record(
        workspace=account.workspace,
        actor=by,
        action=action,
        obj=account,
        before=before,
        after={
            **after.audited(),
            "movement": movement.pk,
            "kind": movement.kind,
            "date": movement.date.isoformat(),
            "amount": str(movement.amount),
            **({"reverses": movement.reverses_id} if movement.reverses_id else {}),
        },
    )


def account_can_edit(*, membership: Membership, account: Account) -> bool:
    """Leaders and admins edit every account; a CSM edits the accounts they own."""
    if membership.sees_all_portfolios:
        return True
    return membership.role == Role.CSM and account.owner_id == membership.user_id
