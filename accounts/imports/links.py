"""Which account each row of a commit writes, and the links the commit leaves behind: each
account under its parent, and each linked row's own ID as an alias of its account."""

from collections.abc import Mapping, Sequence

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser

from accounts import csv_import as csv
from accounts.imports.check import KnownAccounts
from accounts.imports.jobs import RowRefused
from accounts.models import Account, AccountAlias
from accounts.services import ParentLinkRefused, account_parents_link
from csos.models import ImportJob
from csos.services import audit_record_many


def link_parents(account_import: ImportJob, rows: pd.DataFrame, by) -> None:
    """Place the file's accounts under the parents its parent column names, once every
    account of the file exists; a refused link stops the import with an error on its row."""
    if csv.PARENT_EXTERNAL_ID not in rows.columns:
        return
    given = rows[rows[csv.PARENT_EXTERNAL_ID].notna()]
    try:
        account_parents_link(
            workspace=account_import.workspace,
            pairs=list(zip(given[csv.EXTERNAL_ID], given[csv.PARENT_EXTERNAL_ID], strict=True)),
            by=by,
        )
    except ParentLinkRefused as refused:
        position, refusal = next(iter(refused.refusals.items()))
        raise RowRefused(
            {
                "row": int(given.index[position]),
                "field": csv.PARENT_EXTERNAL_ID,
                "message": refusal.message,
            }
        ) from None


def rows_to_write(
    rows: pd.DataFrame, skip_rows: Sequence[int], links: Mapping[int, str], known: KnownAccounts
) -> pd.DataFrame:
    """The checked rows the committer kept, each under the external ID of the account it
    writes; two rows writing one account stop the import with an error on the second."""
    kept = rows.drop(index=skip_rows, errors="ignore")
    canonical, errors = csv.canonical_rows(kept, aliases=known.aliases, links=links)
    if errors:
        raise RowRefused(errors[0])
    return canonical


def record_aliases(
    account_import: ImportJob,
    rows: pd.DataFrame,
    links: Mapping[int, str],
    by: AbstractBaseUser | None,
) -> int:
    """Remember each linked row's own ID as an alias of the account it was linked to, so the
    next file from the same system updates that account; returns how many rows were linked."""
    linked = {
        rows.at[row, csv.EXTERNAL_ID]: external_id
        for row, external_id in links.items()
        if row in rows.index and row not in account_import.skip_rows
    }
    accounts = {
        account.external_id: account
        for account in Account.objects.filter(external_id__in=set(linked.values()))
    }
    aliases = AccountAlias.objects.bulk_create(
        AccountAlias(
            workspace=account_import.workspace, account=accounts[external_id], external_id=alias
        )
        for alias, external_id in linked.items()
    )
    audit_record_many(
        workspace=account_import.workspace,
        actor=by,
        action="account.alias_link",
        changes=[(alias.account, {}, {"alias": alias.external_id}) for alias in aliases],
    )
    return len(aliases)
