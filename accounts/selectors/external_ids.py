"""Accounts named by an external id: an integration's or a CRM's key for them."""

from collections.abc import Iterable
from typing import NamedTuple

from accounts.models import Account, AccountAlias


class NamedAccount(NamedTuple):
    """The account an external id stands for: its id and its own external id."""

    pk: int
    external_id: str


def accounts_by_external_id(external_ids: Iterable[str]) -> dict[str, NamedAccount]:
    """The workspace's accounts among ``external_ids``, by the id as given: an account's own
    external id, else an alias of it (``AccountAlias``). An id that is one account's own and
    another's alias names the first. One query for own ids and at most one for aliases,
    however many ids are asked for."""
    wanted = set(external_ids)
    found = {
        external_id: NamedAccount(pk, external_id)
        for external_id, pk in Account.objects.filter(external_id__in=wanted).values_list(
            "external_id", "pk"
        )
    }
    if unresolved := wanted - found.keys():
        aliases = AccountAlias.objects.filter(external_id__in=unresolved).values_list(
            "external_id", "account_id", "account__external_id"
        )
        found.update({alias: NamedAccount(pk, own) for alias, pk, own in aliases})
    return found


def account_ids_by_external_id(external_ids: Iterable[str]) -> dict[str, int]:
    """The ids of the accounts ``accounts_by_external_id`` finds, by the id as given."""
    return {name: account.pk for name, account in accounts_by_external_id(external_ids).items()}
