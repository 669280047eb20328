"""Checking an uploaded accounts file against the workspace: its mapping, errors, warnings and
preview, stored with the import so the pages never read the file again."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone

from accounts import csv_import as csv
from accounts.imports.jobs import (
    ProgressCallback,
    finish_import,
    import_limits,
)
from accounts.models import (
    Account,
    AccountAlias,
    AccountStatus,
    ArrMovement,
    LifecycleStage,
    Segment,
)
from accounts.selectors import OWNER_ROLES
from csos.imports.jobs import import_job_create
from csos.imports.reading import FileRefused, column_samples, read_header, read_table
from csos.imports.services import import_mapping_find, import_mapping_remember
from csos.imports.spec import ColumnMapping, guess_columns, is_own_format
from csos.imports.sweeps import import_job_progress_record
from csos.models import ImportJob, ImportStatus, Membership, Workspace

PREVIEW_ROWS = 20


@dataclass(frozen=True)
class ImportPreview:
    """The first rows of a ready import, and what it would do to the workspace's accounts."""

    columns: list[str]
    rows: list[tuple[int, list[Any]]]
    create_count: int
    update_count: int
    unchanged_count: int
    churn_count: int
    reactivation_count: int
    warnings: list[dict]
    warning_count: int

    @property
    def duplicates(self) -> dict[int, str]:
        """The rows the preview warns are likely duplicates, each with the external ID of the
        account it looks like: the committer may link it to that account, skip it or create it."""
        return {
            warning["row"]: warning.get("match", "")
            for warning in self.warnings
            if warning["field"] == csv.NAME
        }


def account_import_create(
    *, workspace: Workspace, by: AbstractBaseUser, filename: str, content: str
) -> ImportJob:
    """Store an uploaded CSV to be checked by a worker (account_import_check).

    Until the check has read the file, its line count stands in for its row count, so the
    progress of the check has a total to show.
    """
    return import_job_create(
        workspace=workspace,
        kind=csv.ACCOUNT_SPEC.kind,
        by=by,
        filename=filename,
        content=content,
        row_count=content.count("\n"),
    )


def account_import_check(
    *, import_id: int, on_progress: ProgressCallback | None = None
) -> ImportJob | None:
    """Map and check a stored file, ending in MAPPING, READY or INVALID with its errors.

    A file already mapped is checked with its mapping. Otherwise a mapping confirmed before for
    the same header row is used, or the headers' own names when each names a field exactly;
    failing both, the import stops at MAPPING with each column's guess and distinct values for
    the mapping step. Returns None when the import is not waiting for a check.
    """
    account_import = ImportJob.objects.filter(pk=import_id, status=ImportStatus.CHECKING).first()
    if account_import is None:
        return None
    report = on_progress or (
        lambda done, _total: import_job_progress_record(job_id=import_id, done=done)
    )
    limits = import_limits()
    content = account_import.content
    mapping = stored_mapping(account_import)
    if mapping is None:
        try:
            headers = read_header(content, limits)
        except FileRefused as refused:
            return _refuse(import_id, str(refused))
        guesses = guess_columns(headers, csv.ACCOUNT_SPEC)
        mapping = import_mapping_find(kind=csv.ACCOUNT_SPEC.kind, headers=headers)
        if mapping is None and is_own_format(guesses):
            mapping = ColumnMapping(columns=tuple(guess.key for guess in guesses))
        if mapping is None:
            try:
                table = read_table(content, limits)
            except FileRefused as refused:
                return _refuse(import_id, str(refused))
            ImportJob.objects.filter(pk=import_id).update(
                status=ImportStatus.MAPPING,
                headers=headers,
                columns=[guess.key for guess in guesses],
                samples=column_samples(table),
                row_count=int((table.frame.iloc[1:] != "").any(axis=1).sum()),
            )
            return ImportJob.objects.get(pk=import_id)
        ImportJob.objects.filter(pk=import_id).update(
            headers=headers, columns=list(mapping.columns), value_map=dict(mapping.values)
        )

    parsed, known = check_file(
        content,
        mapping=mapping,
        on_progress=lambda rows: report(rows, account_import.row_count),
    )
    preview = {} if parsed.errors else _preview(parsed, known)
    ImportJob.objects.filter(pk=import_id, status=ImportStatus.CHECKING).update(
        status=ImportStatus.INVALID if parsed.errors else ImportStatus.READY,
        row_count=parsed.row_count,
        errors=parsed.errors,
        error_kinds=parsed.error_kinds,
        error_count=parsed.error_count,
        preview=preview,
    )
    return ImportJob.objects.get(pk=import_id)


def account_import_map(
    *, account_import: ImportJob, mapping: ColumnMapping, by: AbstractBaseUser
) -> bool:
    """Confirm an import's mapping, remember it for its header row, and send it to be checked.

    False when the import was not waiting for its mapping.
    """
    mapped = ImportJob.objects.filter(pk=account_import.pk, status=ImportStatus.MAPPING).update(
        status=ImportStatus.CHECKING,
        columns=list(mapping.columns),
        value_map={key: dict(values) for key, values in mapping.values.items()},
        samples=[],
    )
    if mapped:
        import_mapping_remember(
            workspace=account_import.workspace,
            kind=csv.ACCOUNT_SPEC.kind,
            headers=account_import.headers,
            mapping=mapping,
            by=by,
        )
        import_job_progress_record(job_id=account_import.pk, done=0)
    return bool(mapped)


def account_import_mapping_choices() -> dict[str, list[tuple[str, str]]]:
    """What the value fields of the workspace in scope may be mapped onto."""
    return dict(_rules().value_choices)


def account_import_preview(*, account_import: ImportJob) -> ImportPreview:
    """The stored preview of a ready import: the pages never read its file again."""
    stored = account_import.preview
    return ImportPreview(
        columns=stored["columns"],
        rows=[(row, values) for row, values in stored["rows"]],
        create_count=stored["create_count"],
        update_count=stored["update_count"],
        unchanged_count=stored.get("unchanged_count", 0),
        churn_count=stored["churn_count"],
        reactivation_count=stored["reactivation_count"],
        warnings=stored.get("warnings", []),
        warning_count=stored.get("warning_count", 0),
    )


def _rules() -> csv.ImportRules:
    owners = Membership.objects.filter(role__in=OWNER_ROLES).select_related("user")
    people = sorted(
        (member.user.email.lower(), member.user.get_full_name() or member.user.email)
        for member in owners
    )
    return csv.ImportRules(
        owner_emails=frozenset(email for email, _ in people),
        choices={
            csv.LIFECYCLE_STAGE: LifecycleStage.choices,
            csv.STATUS: AccountStatus.choices,
            csv.SEGMENT: Segment.choices,
        },
        owners=people,
    )


@dataclass(frozen=True)
class KnownAccounts:
    """The workspace's accounts as a file is checked against them.

    ``accounts`` has one row per account with every column a file can give; ``aliases`` maps
    each alias (another system's ID, linked on an earlier import) to its account's external ID;
    ``frame`` is ``accounts`` with each aliased account also listed under its alias.
    """

    accounts: pd.DataFrame
    aliases: dict[str, str]
    frame: pd.DataFrame


def check_file(
    content: str,
    *,
    mapping: ColumnMapping | None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[csv.ParsedImport, KnownAccounts]:
    """Check a file against the workspace in scope; also return its existing accounts, to tell
    the rows that change nothing and those that look like an account under another ID."""
    accounts = Account.objects.annotate(
        **{
            csv.HAS_LEDGER: Exists(ArrMovement.objects.filter(account=OuterRef("pk"))),
            csv.OWNER_EMAIL: Lower("owner__email"),
            csv.PARENT_EXTERNAL_ID: F("parent__external_id"),
        }
    )
    columns = [*csv.COLUMNS, csv.HAS_LEDGER]
    frame = pd.DataFrame.from_records(list(accounts.values_list(*columns)), columns=columns)
    aliases = dict(AccountAlias.objects.values_list("external_id", "account__external_id"))
    known = KnownAccounts(accounts=frame, aliases=aliases, frame=csv.with_aliases(frame, aliases))
    parsed = csv.parse_accounts_csv(
        content,
        rules=_rules(),
        existing=known.frame,
        limits=import_limits(),
        mapping=mapping,
        on_progress=on_progress,
    )
    return parsed, known


def stored_mapping(account_import: ImportJob) -> ColumnMapping | None:
    if not account_import.columns:
        return None
    return ColumnMapping(columns=tuple(account_import.columns), values=account_import.value_map)


def _preview(parsed: csv.ParsedImport, known: KnownAccounts) -> dict:
    """What a clean file would do, and its first rows as text, to store with the import."""
    # Counted as the commit writes them: a row under an alias, or naming a parent by one, is
    # compared with the account the alias stands for.
    rows, _ = csv.canonical_rows(parsed.rows, aliases=known.aliases, links={})
    will_update = int(rows[csv.EXTERNAL_ID].isin(known.accounts[csv.EXTERNAL_ID]).sum())
    unchanged = int(csv.unchanged_rows(rows, known.accounts).sum())
    churns, reactivations = csv.status_changes(rows, known.accounts)
    # A row under a known alias is its account's, so no likely duplicate of anything.
    unaliased = parsed.rows[~parsed.rows[csv.EXTERNAL_ID].isin(list(known.aliases))]
    warnings = sorted(
        csv.past_renewals(parsed.rows, today=timezone.localdate())
        + csv.likely_duplicates(unaliased, known.accounts),
        key=lambda warning: warning["row"],
    )
    head = parsed.rows.head(PREVIEW_ROWS)
    return {
        "columns": list(head.columns),
        # itertuples, not iterrows: a row as a Series would turn a blank (None) into NaN.
        "rows": [
            [int(row), [None if value is None else str(value) for value in values]]
            for row, *values in head.itertuples(name=None)
        ],
        "create_count": len(parsed.rows) - will_update,
        "update_count": will_update - unchanged,
        "unchanged_count": unchanged,
        "churn_count": churns,
        "reactivation_count": reactivations,
        "warnings": warnings[: csv.DEFAULT_LIMITS.max_listed_errors],
        "warning_count": len(warnings),
    }


def _refuse(import_id: int, message: str) -> ImportJob:
    """End a check on a file refused as a whole."""
    return finish_import(
        import_id,
        status=ImportStatus.INVALID,
        errors=[{"row": None, "field": None, "message": message}],
        error_kinds=[{"field": None, "example": message, "count": 1}],
        error_count=1,
        finished=False,
    )
