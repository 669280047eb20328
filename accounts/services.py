"""Writes of customer accounts and their ARR ledger.

The ledger (ArrMovement) is the truth about an account's ARR: ``Account.arr`` always equals the
signed sum of its movements, and an account is churned exactly when its last status-changing
movement that counts was a churn. So ARR and status change only through ``arr_movement_record``
and ``arr_movement_reverse`` (or the CSV import, which books the same movements), all by the
rules of ``accounts.ledger``, and account edits never write them. Every edit and every ARR
change is audited with the values before and after.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts import creation, hierarchy, ledger
from accounts.creation import ACCOUNT_FIELDS, described
from accounts.event_bodies import account_ref
from accounts.models import Account, ArrMovement, MovementKind
from accounts.selectors import counted_arr_movements
from accounts.signals import accounts_created
from csos.events import publish
from csos.models import Membership, Role, Workspace
from csos.services import audit_record, audit_record_many

# Who owns an account and the key integrations match it on are decisions for leaders and admins.
LEADER_ONLY_FIELDS = ("owner", "external_id")


def account_fields_locked_for(*, membership: Membership) -> tuple[str, ...]:
    """The account fields this member may see but not change."""
    return () if membership.sees_all_portfolios else LEADER_ONLY_FIELDS


def _validate_account(account: Account) -> None:
    errors = dict(
        creation.accounts_problems(workspace=account.workspace, accounts=[account]).get(0, {})
    )
    if account.parent_id and (problem := _parent_problem(account)):
        errors["parent"] = problem
    if errors:
        raise ValidationError(errors)


def _parent_problem(account: Account) -> str | None:
    """Why ``account`` cannot sit under its chosen parent: another workspace's, or a loop."""
    parents = dict(
        Account.objects.filter(workspace=account.workspace).values_list("pk", "parent_id")
    )
    if account.parent_id not in parents:
        return "Choose a parent account of this workspace."
    if account.pk is None:
        return None
    parents[account.pk] = account.parent_id
    if account.pk in hierarchy.cycle_members(parents):
        return (
            f"{account.parent} is this account or sits below it; an account cannot be its own "
            "ancestor."
        )
    return None


def _save_checked(account: Account, **save_options: Any) -> None:
    """Save, turning a lost race for an external_id into the same field error the check gives.

    Two requests can both pass the check before either commits; the unique constraint then
    stops the second, inside a savepoint so the caller's transaction stays usable.
    """
    try:
        with transaction.atomic():
            account.save(**save_options)
    except IntegrityError:
        if (
            Account.objects.filter(workspace=account.workspace, external_id=account.external_id)
            .exclude(pk=account.pk)
            .exists()
        ):
            raise ValidationError(
                {"external_id": creation.external_id_taken_message(account.external_id)}
            ) from None
        raise


@transaction.atomic
def account_create(
    *, workspace: Workspace, by: AbstractBaseUser | None, arr: Decimal, data: dict[str, Any]
) -> Account:
    """Create an account from the form; a starting ARR enters the ledger as new business at
    contract start."""
    account = Account(**{k: data[k] for k in ACCOUNT_FIELDS if k in data})
    [account] = creation.accounts_create(
        workspace=workspace, by=by, accounts=[account], source="form"
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
    # Announced again once its starting ARR is booked: rules read ARR.
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
    before = described(current, fields)
    for field in fields:
        setattr(current, field, data[field])
    _validate_account(current)
    _save_checked(current, update_fields=[*fields, "updated_at"])
    after = described(current, fields)
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
    if "owner" in changed:
        publish(
            workspace=current.workspace,
            event_type="account.owner_changed",
            body={"account": account_ref(current), "previous_owner_id": before["owner"]},
        )
    return current


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


@dataclass(frozen=True)
class ParentRefusal:
    """Why one child -> parent pair was refused: the record field at fault, a code, a sentence."""

    field: str
    code: str
    message: str


class ParentLinkRefused(Exception):
    """Pairs ``account_parents_link`` refused, by their position in the pairs it was given."""

    def __init__(self, refusals: dict[int, ParentRefusal]):
        super().__init__(f"{len(refusals)} parent links refused")
        self.refusals = refusals


@transaction.atomic
def account_parents_link(
    *,
    workspace: Workspace,
    pairs: Sequence[tuple[str, str | None]],
    by: AbstractBaseUser | None = None,
) -> int:
    """Put each child under its parent, both named by external id (a None or empty parent
    makes the child a top account), as a CRM's parent column says; returns how many accounts
    changed parent. Judged on the hierarchy as it would stand after every pair, so a batch
    may reorder a group at once: a child or parent the workspace does not have, and every pair
    on a loop, are refused (``ParentLinkRefused``, by position) and nothing is written."""
    accounts = {
        account.external_id: account
        for account in Account.objects.filter(workspace=workspace).only(
            "pk", "external_id", "name", "parent_id"
        )
    }
    refusals: dict[int, ParentRefusal] = {}
    parents = {account.pk: account.parent_id for account in accounts.values()}
    for position, (child_id, parent_id) in enumerate(pairs):
        child, parent = accounts.get(child_id), accounts.get(parent_id) if parent_id else None
        if child is None:
            refusals[position] = ParentRefusal(
                "external_id", "unknown-account", f"No account has the external_id {child_id!r}."
            )
        elif parent_id and parent is None:
            refusals[position] = ParentRefusal(
                "parent_external_id",
                "unknown-parent",
                f"No account has the external_id {parent_id!r}; send the parent account first.",
            )
        else:
            parents[child.pk] = parent.pk if parent else None
    looped = hierarchy.cycle_members(parents)
    for position, (child_id, _parent_id) in enumerate(pairs):
        if position not in refusals and accounts[child_id].pk in looped:
            refusals[position] = ParentRefusal(
                "parent_external_id",
                "parent-cycle",
                f"Putting {child_id!r} under {_parent_id!r} makes an account its own ancestor.",
            )
    if refusals:
        raise ParentLinkRefused(refusals)
    changed = [account for account in accounts.values() if account.parent_id != parents[account.pk]]
    audit_record_many(
        workspace=workspace,
        actor=by,
        action="account.update",
        changes=[
            (account, {"parent": account.parent_id}, {"parent": parents[account.pk]})
            for account in changed
        ],
    )
    # One update per new parent: a group's children usually move together.
    moved: dict[int | None, list[int]] = {}
    for account in changed:
        moved.setdefault(parents[account.pk], []).append(account.pk)
    for parent_pk, child_pks in moved.items():
        Account.objects.filter(workspace=workspace, pk__in=child_pks).update(parent_id=parent_pk)
    return len(changed)
