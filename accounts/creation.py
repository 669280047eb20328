"""The one way accounts come into being, whoever brings them: the form, the CSV import, the
accounts API and usage batches that create the accounts they name.

Every path gets the same checks (``accounts_problems``), one audit record per account and the
``accounts.signals.accounts_created`` signal, so a rule added here holds for all of them.
"""

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.db.models.functions import Lower

from accounts.event_bodies import account_ref
from accounts.models import Account
from accounts.selectors import OWNER_ROLES
from accounts.signals import accounts_created
from csos.currencies import currency_problem
from csos.events import publish_many
from csos.models import Membership, Workspace
from csos.services import audit_record_many

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
    "parent",
    "industry",
    "complexity",
    "strategic_potential",
    "product_maturity",
    "implementation_difficulty",
    "executive_visibility",
)
CREATE_CHUNK = 1000  # accounts per insert and per audit insert


class AccountsRefused(ValidationError):
    """Accounts the checks refused: ``problems`` maps each one's position to its field errors."""

    def __init__(self, problems: dict[int, dict[str, str]]):
        self.problems = problems
        first = problems[min(problems)]
        super().__init__(first)


def owner_ids_by_email(*, emails: Iterable[str]) -> dict[str, int]:
    """The user ids of the workspace's possible owners among ``emails``, keyed by lower-case
    e-mail: an address matches whatever case it was written in."""
    wanted = {email.lower() for email in emails if email}
    return dict(
        Membership.objects.annotate(email=Lower("user__email"))
        .filter(email__in=wanted, role__in=OWNER_ROLES)
        .values_list("email", "user_id")
    )


def accounts_problems(
    *, workspace: Workspace, accounts: Sequence[Account]
) -> dict[int, dict[str, str]]:
    """What is wrong with each account, by position; accounts with nothing wrong are left out.

    An existing account (with a pk) is checked against the others, not against itself.
    """
    external_ids = {account.external_id for account in accounts if account.external_id}
    taken = set(
        Account.objects.filter(workspace=workspace, external_id__in=external_ids).values_list(
            "external_id", "pk"
        )
    )
    taken_ids = {external_id for external_id, _ in taken}
    owner_ids = {account.owner_id for account in accounts if account.owner_id}
    owners = set(
        Membership.objects.filter(
            workspace=workspace, user_id__in=owner_ids, role__in=OWNER_ROLES
        ).values_list("user_id", flat=True)
    )
    problems: dict[int, dict[str, str]] = {}
    seen: set[str] = set()
    for position, account in enumerate(accounts):
        errors: dict[str, str] = {}
        if account.external_id in seen:
            errors["external_id"] = f"The id {account.external_id!r} is given twice."
        seen.add(account.external_id)
        currency = currency_problem(account.currency or "")
        if currency:
            errors["currency"] = currency
        elif account.external_id in taken_ids and (account.external_id, account.pk) not in taken:
            errors["external_id"] = external_id_taken_message(account.external_id)
        if (
            account.contract_start
            and account.renewal_date
            and account.renewal_date < account.contract_start
        ):
            errors["renewal_date"] = "The renewal date is before the contract start."
        if account.owner_id and account.owner_id not in owners:
            errors["owner"] = "The owner must be a CSM, leader or admin of this workspace."
        if errors:
            problems[position] = errors
    return problems


def external_id_taken_message(external_id: str) -> str:
    return f"Another account already uses the id {external_id!r}."


@transaction.atomic
def accounts_create(
    *,
    workspace: Workspace,
    by: AbstractBaseUser | None,
    accounts: Sequence[Account],
    source: str,
) -> list[Account]:
    """Check, create and audit ``accounts`` (unsaved, with their fields set), all or none.

    Currencies are stored upper-case. Any refused account raises ``AccountsRefused`` naming
    each one's fields, and nothing is written; an external id taken by a request that
    committed after the check is refused the same way. The audit records say which path
    (``source``: form, csv, api, usage) created them. ``accounts_created`` is sent inside the
    transaction, so a subscriber's writes commit or roll back with the accounts.
    """
    for account in accounts:
        account.workspace = workspace
        account.currency = (account.currency or "").strip().upper()
    problems = accounts_problems(workspace=workspace, accounts=accounts)
    if problems:
        raise AccountsRefused(problems)
    try:
        with transaction.atomic():
            created = Account.objects.bulk_create(accounts, batch_size=CREATE_CHUNK)
    except IntegrityError:
        # Another request committed one of these ids after the check passed.
        _refuse_taken_external_ids(workspace=workspace, accounts=accounts)
        raise
    audit_record_many(
        workspace=workspace,
        actor=by,
        action="account.create",
        changes=[
            (account, {}, {**described(account, ACCOUNT_FIELDS), "source": source})
            for account in created
        ],
        batch_size=CREATE_CHUNK,
    )
    if created:
        prefetch_related_objects(created, "owner")
        publish_many(
            workspace=workspace,
            event_type="account.created",
            bodies=[{"account": account_ref(account)} for account in created],
        )
        accounts_created.send(
            sender=Account, workspace=workspace, account_ids=[account.pk for account in created]
        )
    return created


def _refuse_taken_external_ids(*, workspace: Workspace, accounts: Sequence[Account]) -> None:
    """Raise ``AccountsRefused`` naming the accounts whose external id is now taken, if any."""
    taken = set(
        Account.objects.filter(
            workspace=workspace, external_id__in=[a.external_id for a in accounts]
        ).values_list("external_id", flat=True)
    )
    if taken:
        raise AccountsRefused(
            {
                position: {"external_id": external_id_taken_message(account.external_id)}
                for position, account in enumerate(accounts)
                if account.external_id in taken
            }
        ) from None


def described(account: Account, fields: Sequence[str]) -> dict[str, Any]:
    """The fields' stored values as JSON can hold them: users and dates by id and ISO text."""
    values = {}
    for field in fields:
        value = getattr(account, Account._meta.get_field(field).attname)
        values[field] = value.isoformat() if isinstance(value, date) else value
    return values
