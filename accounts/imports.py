"""The accounts CSV import: mapped, checked on a worker, previewed, committed at once, purged.

Upload stores the file and queues its check. The check maps the columns (by a remembered
mapping, or by itself when the headers are the import's own) or stops for the mapping step,
then checks every row and stores the outcome, which the pages show without reading the file
again. The file itself is read and checked by the pure ``accounts.csv_import`` and
``csos.imports``; this module brings them what they need from the database (owners, existing
accounts) and writes the outcome back in bulk. Its reads (``account_import_list``,
``_preview``, ``_progress``) sit beside its writes because they only make sense together.
"""

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from accounts import csv_import as csv
from accounts import ledger
from accounts.creation import AccountsRefused, accounts_create
from accounts.models import (
    Account,
    AccountImport,
    AccountStatus,
    ArrMovement,
    ImportStatus,
    LifecycleStage,
    Segment,
)
from accounts.selectors import OWNER_ROLES, counted_arr_movements
from accounts.services import ParentLinkRefused, account_parents_link
from accounts.signals import accounts_created
from csos.events import publish
from csos.imports.reading import FileRefused, Limits, column_samples, read_header, read_table
from csos.imports.services import import_mapping_find, import_mapping_remember
from csos.imports.spec import ColumnMapping, guess_columns, is_own_format
from csos.models import Membership, Workspace
from csos.services import audit_record, audit_record_many

logger = logging.getLogger(__name__)

WRITE_CHUNK = 500  # rows per bulk statement, and so per progress report
PREVIEW_ROWS = 20
# What a new account holds for a field its file does not give, where the model's default would
# be a guess: a CRM export says nothing of the CS stage or segment, so they stay empty.
LEFT_EMPTY = {csv.LIFECYCLE_STAGE: "", csv.SEGMENT: ""}
FILE_RETENTION = timedelta(days=30)
RESUME_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3
PROGRESS_TTL = 60 * 60  # seconds; outlives any write, then tidies itself away
WRITE_FAILED = {
    "row": None,
    "field": None,
    "message": "The database refused the write, so nothing was imported. Try again later.",
}
WORKER_LOST = {
    "row": None,
    "field": None,
    "message": (
        f"The import stopped {MAX_ATTEMPTS} times before it finished, so nothing was written. "
        "Try a smaller file, or ask your administrator to check the workers."
    ),
}
FILE_PURGED = {
    "row": None,
    "field": None,
    "message": "The file was deleted after 30 days without being committed; upload it again.",
}

ProgressCallback = Callable[[int, int], None]


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
    def duplicate_rows(self) -> list[int]:
        """The rows the preview warns are likely duplicates, which the committer may skip."""
        return [warning["row"] for warning in self.warnings if warning["field"] == csv.NAME]


@dataclass(frozen=True)
class ImportProgress:
    done: int
    total: int


def account_import_list() -> QuerySet[AccountImport]:
    """The scope's imports, newest first, without their (possibly large) files and samples."""
    return AccountImport.objects.select_related("created_by").defer("content", "samples")


def import_limits() -> Limits:
    """What one accounts file may hold; the settings say, the README states them."""
    return Limits(
        max_columns=settings.ACCOUNT_IMPORT_MAX_COLUMNS,
        max_rows=settings.ACCOUNT_IMPORT_MAX_ROWS,
        max_listed_errors=csv.DEFAULT_LIMITS.max_listed_errors,
    )


def account_import_create(
    *, workspace: Workspace, by: AbstractBaseUser, filename: str, content: str
) -> AccountImport:
    """Store an uploaded CSV to be checked by a worker (account_import_check).

    Until the check has read the file, its line count stands in for its row count, so the
    progress of the check has a total to show.
    """
    return AccountImport.objects.create(
        workspace=workspace,
        created_by=by,
        filename=filename[: AccountImport._meta.get_field("filename").max_length],
        content=content,
        status=ImportStatus.CHECKING,
        row_count=content.count("\n"),
        queued_at=timezone.now(),
    )


def account_import_check(
    *, import_id: int, on_progress: ProgressCallback | None = None
) -> AccountImport | None:
    """Map and check a stored file, ending in MAPPING, READY or INVALID with its errors.

    A file already mapped is checked with its mapping. Otherwise a mapping confirmed before for
    the same header row is used, or the headers' own names when each names a field exactly;
    failing both, the import stops at MAPPING with each column's guess and distinct values for
    the mapping step. Returns None when the import is not waiting for a check.
    """
    account_import = AccountImport.objects.filter(
        pk=import_id, status=ImportStatus.CHECKING
    ).first()
    if account_import is None:
        return None
    report = on_progress or (
        lambda done, _total: account_import_progress_record(import_id=import_id, done=done)
    )
    limits = import_limits()
    content = account_import.content
    mapping = _stored_mapping(account_import)
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
            AccountImport.objects.filter(pk=import_id).update(
                status=ImportStatus.MAPPING,
                headers=headers,
                columns=[guess.key for guess in guesses],
                samples=column_samples(table),
                row_count=int((table.frame.iloc[1:] != "").any(axis=1).sum()),
            )
            return AccountImport.objects.get(pk=import_id)
        AccountImport.objects.filter(pk=import_id).update(
            headers=headers, columns=list(mapping.columns), value_map=dict(mapping.values)
        )

    parsed, existing = _check(
        content,
        mapping=mapping,
        on_progress=lambda rows: report(rows, account_import.row_count),
    )
    preview = {} if parsed.errors else _preview(parsed, existing)
    AccountImport.objects.filter(pk=import_id, status=ImportStatus.CHECKING).update(
        status=ImportStatus.INVALID if parsed.errors else ImportStatus.READY,
        row_count=parsed.row_count,
        errors=parsed.errors,
        error_kinds=parsed.error_kinds,
        error_count=parsed.error_count,
        preview=preview,
    )
    return AccountImport.objects.get(pk=import_id)


def account_import_map(
    *, account_import: AccountImport, mapping: ColumnMapping, by: AbstractBaseUser
) -> bool:
    """Confirm an import's mapping, remember it for its header row, and send it to be checked.

    False when the import was not waiting for its mapping.
    """
    mapped = AccountImport.objects.filter(pk=account_import.pk, status=ImportStatus.MAPPING).update(
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
        account_import_progress_record(import_id=account_import.pk, done=0)
    return bool(mapped)


def account_import_mapping_choices() -> dict[str, list[tuple[str, str]]]:
    """What the value fields of the workspace in scope may be mapped onto."""
    return dict(_rules().value_choices)


def account_import_preview(*, account_import: AccountImport) -> ImportPreview:
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


def account_import_queue(
    *, account_import: AccountImport, by: AbstractBaseUser | None, skip_rows: Sequence[int] = ()
) -> bool:
    """Move a ready import to the queue, to be committed without the spreadsheet rows
    ``skip_rows``; False when it was not ready (already committed)."""
    queued = AccountImport.objects.filter(pk=account_import.pk, status=ImportStatus.READY).update(
        status=ImportStatus.QUEUED,
        queued_at=timezone.now(),
        queued_by=by,
        skip_rows=list(skip_rows),
    )
    if queued:
        account_import_progress_record(import_id=account_import.pk, done=0)
    return bool(queued)


def account_import_progress_record(*, import_id: int, done: int) -> None:
    """Publish how many rows the running check has read, or the write has done, for the web."""
    cache.set(_progress_key(import_id), done, PROGRESS_TTL)


def account_import_progress(*, account_import: AccountImport) -> ImportProgress:
    """How far the check or write has got: the worker's count while it runs, then the result."""
    if account_import.status == ImportStatus.DONE:
        read = (
            account_import.created_count
            + account_import.updated_count
            + account_import.unchanged_count
        )
        return ImportProgress(done=read, total=read)
    done = cache.get(_progress_key(account_import.pk), 0)
    return ImportProgress(done=min(done, account_import.row_count), total=account_import.row_count)


def account_import_commit(
    *,
    import_id: int,
    by: AbstractBaseUser | None,
    on_progress: ProgressCallback | None = None,
    chunk_size: int = WRITE_CHUNK,
) -> AccountImport | None:
    """Write a queued import's rows as accounts, all or nothing, reporting progress as it goes.

    The import is claimed first (QUEUED -> RUNNING), so a second delivery of the task finds
    nothing to do and returns None. The write then holds the import's row lock until it commits
    or rolls back, which tells account_import_recover a live writer from a dead one. The file is
    checked again because owners and accounts may have changed since the upload. Progress goes
    to ``on_progress(done, total)``, by default the cache, which the web process reads while
    this transaction is still open.
    """
    claimed = AccountImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    report = on_progress or (
        lambda done, _total: account_import_progress_record(import_id=import_id, done=done)
    )
    try:
        with transaction.atomic():
            account_import = (
                AccountImport.objects.select_for_update()
                .select_related("workspace")
                .filter(pk=import_id, status=ImportStatus.RUNNING)
                .first()
            )
            if account_import is None:  # recovered and queued again meanwhile
                return None
            parsed, existing = _check(
                account_import.content, mapping=_stored_mapping(account_import)
            )
            if parsed.errors:
                return _finish(
                    import_id,
                    status=ImportStatus.FAILED,
                    errors=parsed.errors,
                    error_kinds=parsed.error_kinds,
                    error_count=parsed.error_count,
                )
            rows = parsed.rows.drop(index=account_import.skip_rows, errors="ignore")
            skipped = len(parsed.rows) - len(rows)
            unchanged = csv.unchanged_rows(rows, existing)
            created, updated = _write(
                account_import=account_import,
                rows=rows[~unchanged],
                by=by,
                report=report,
                chunk_size=chunk_size,
            )
            _link_parents(account_import, rows, by)
            counts = {
                "created": created,
                "updated": updated,
                "unchanged": int(unchanged.sum()),
                "skipped": skipped,
            }
            audit_record(
                workspace=account_import.workspace,
                actor=by,
                action="account_import.commit",
                obj=account_import,
                after=counts,
            )
            publish(
                workspace=account_import.workspace,
                event_type="import.finished",
                body={
                    "kind": "accounts",
                    "id": account_import.pk,
                    "filename": account_import.filename,
                    **counts,
                    "url": settings.SITE_URL
                    + reverse("account_import_detail", args=[account_import.pk]),
                },
            )
            return _finish(
                import_id,
                status=ImportStatus.DONE,
                **counts,
            )
    except _RowRefused as refused:
        return _finish(import_id, status=ImportStatus.FAILED, errors=[refused.error])
    except DatabaseError:
        logger.exception("Account import %s failed; nothing was written.", import_id)
        return _finish(import_id, status=ImportStatus.FAILED, errors=[WRITE_FAILED])
    except Exception:
        # A bug, not bad data: the import must not stay "running" for ever, and the error
        # must still reach the worker's log and error tracking.
        _finish(import_id, status=ImportStatus.FAILED, errors=[WRITE_FAILED])
        raise


@transaction.atomic
def account_import_recover(*, now: datetime | None = None) -> list[AccountImport]:
    """The scope's imports to send to the workers again: their worker died, or their task was lost.

    A running import whose row lock is free has no live writer, so its write rolled back: it
    goes back to the queue, unless it has stopped MAX_ATTEMPTS times already, when it fails
    rather than take a worker down again. An import queued for longer than RESUME_AFTER most
    likely lost its task (a broker restarted without persistence); sending it twice is harmless,
    since only one delivery can claim it.
    """
    now = now or timezone.now()
    queued = AccountImport.objects.filter(
        status=ImportStatus.QUEUED, queued_at__lt=now - RESUME_AFTER
    )
    resend = {account_import.pk for account_import in queued.only("pk")}
    orphans = list(
        AccountImport.objects.select_for_update(skip_locked=True)
        .filter(status=ImportStatus.RUNNING)
        .only("pk", "attempts")
    )
    exhausted = [orphan.pk for orphan in orphans if orphan.attempts >= MAX_ATTEMPTS]
    AccountImport.objects.filter(pk__in=exhausted).update(
        status=ImportStatus.FAILED, errors=[WORKER_LOST], finished_at=now
    )
    resend |= {orphan.pk for orphan in orphans if orphan.pk not in exhausted}
    AccountImport.objects.filter(pk__in=resend).update(status=ImportStatus.QUEUED, queued_at=now)
    for import_id in resend:
        account_import_progress_record(import_id=import_id, done=0)
    return list(AccountImport.objects.filter(pk__in=resend).only("pk", "queued_by_id"))


def account_import_lost_checks(*, now: datetime | None = None) -> list[int]:
    """The scope's imports sent to be checked more than RESUME_AFTER ago and still unchecked.

    Their task was most likely lost (a broker restarted without persistence). Checking one
    twice is harmless: only the first check to finish records its outcome.
    """
    now = now or timezone.now()
    lost = AccountImport.objects.filter(
        status=ImportStatus.CHECKING, queued_at__lt=now - RESUME_AFTER
    )
    return list(lost.values_list("pk", flat=True))


@transaction.atomic
def account_import_purge(*, older_than: timedelta = FILE_RETENTION) -> int:
    """Empty the stored files of the scope's imports older than ``older_than``; returns how many.

    Queued and running imports still need their file. A ready import that was never committed
    becomes invalid, since it no longer has rows to commit.
    """
    old = AccountImport.objects.filter(created_at__lt=timezone.now() - older_than).exclude(
        content=""
    )
    expired = old.filter(status=ImportStatus.READY).update(
        content="", status=ImportStatus.INVALID, errors=[FILE_PURGED]
    )
    finished = old.exclude(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]).update(
        content=""
    )
    return expired + finished


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


def _check(
    content: str,
    *,
    mapping: ColumnMapping | None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[csv.ParsedImport, pd.DataFrame]:
    """Check a file against the workspace in scope; also return its existing accounts, with
    every column a file can give, to tell the rows that change nothing."""
    accounts = Account.objects.annotate(
        **{
            csv.HAS_LEDGER: Exists(ArrMovement.objects.filter(account=OuterRef("pk"))),
            csv.OWNER_EMAIL: Lower("owner__email"),
            csv.PARENT_EXTERNAL_ID: F("parent__external_id"),
        }
    )
    columns = [*csv.COLUMNS, csv.HAS_LEDGER]
    existing = pd.DataFrame.from_records(list(accounts.values_list(*columns)), columns=columns)
    parsed = csv.parse_accounts_csv(
        content,
        rules=_rules(),
        existing=existing,
        limits=import_limits(),
        mapping=mapping,
        on_progress=on_progress,
    )
    return parsed, existing


def _stored_mapping(account_import: AccountImport) -> ColumnMapping | None:
    if not account_import.columns:
        return None
    return ColumnMapping(columns=tuple(account_import.columns), values=account_import.value_map)


def _preview(parsed: csv.ParsedImport, existing: pd.DataFrame) -> dict:
    """What a clean file would do, and its first rows as text, to store with the import."""
    will_update = int(parsed.rows[csv.EXTERNAL_ID].isin(existing[csv.EXTERNAL_ID]).sum())
    unchanged = int(csv.unchanged_rows(parsed.rows, existing).sum())
    churns, reactivations = csv.status_changes(parsed.rows, existing)
    warnings = sorted(
        csv.past_renewals(parsed.rows, today=timezone.localdate())
        + csv.likely_duplicates(parsed.rows, existing),
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


def _refuse(import_id: int, message: str) -> AccountImport:
    """End a check on a file refused as a whole."""
    return _finish(
        import_id,
        status=ImportStatus.INVALID,
        errors=[{"row": None, "field": None, "message": message}],
        error_kinds=[{"field": None, "example": message, "count": 1}],
        error_count=1,
        finished=False,
    )


def _write(
    *,
    account_import: AccountImport,
    rows: pd.DataFrame,
    by: AbstractBaseUser | None,
    report: ProgressCallback,
    chunk_size: int,
) -> tuple[int, int]:
    """Create and update the accounts of ``rows`` and book their ARR changes, in bulk."""
    workspace = account_import.workspace
    today = timezone.localdate()
    note = f"CSV import {account_import.filename}"[: ArrMovement._meta.get_field("note").max_length]
    owner_ids = {
        email.lower(): user_id
        for email, user_id in Membership.objects.filter(role__in=OWNER_ROLES).values_list(
            "user__email", "user_id"
        )
    }
    existing = _existing_accounts(rows[csv.EXTERNAL_ID].tolist(), chunk_size)

    to_create: list[Account] = []
    created_rows: list[int] = []
    to_update: list[Account] = []
    # Each account's ARR change, decided by the ledger before anything is written.
    changes: list[tuple[Account, ledger.Movement, ledger.Ledger]] = []
    for row, record in zip(rows.index, rows.to_dict("records"), strict=True):
        values = {
            key: value
            for key, value in record.items()
            if value is not None and key != csv.PARENT_EXTERNAL_ID
        }
        if csv.OWNER_EMAIL in values:
            values["owner_id"] = owner_ids[values.pop(csv.OWNER_EMAIL)]
        account = existing.get(record[csv.EXTERNAL_ID])
        if account is None:
            account = Account(
                workspace=workspace,
                **{"currency": workspace.default_currency, **LEFT_EMPTY, **values},
            )
            before = ledger.Ledger(currency=account.currency)
            to_create.append(account)
            created_rows.append(row)
        else:
            before = ledger.Ledger(
                arr=account.arr,
                status=account.status,
                currency=account.currency,
                latest=account.latest_movement_date,
            )
            for field, value in values.items():
                setattr(account, field, value)
            to_update.append(account)
        movement = _ledger_change(row, before, account, today=today, columns=rows.columns)
        if movement is not None:
            changes.append((account, movement, before))
            account.arr = ledger.effect(before, movement).arr

    total, done = len(rows), 0
    report(done, total)
    for start in range(0, len(to_create), chunk_size):
        chunk = to_create[start : start + chunk_size]
        try:
            accounts_create(workspace=workspace, by=by, accounts=chunk, source="csv")
        except AccountsRefused as refused:
            position = min(refused.problems)
            field, message = next(iter(refused.problems[position].items()))
            raise _RowRefused(
                {
                    "row": int(created_rows[start + position]),
                    "field": csv.OWNER_EMAIL if field == "owner" else field,
                    "message": message,
                }
            ) from None
        done += len(chunk)
        report(done, total)
    # Only the columns the file has are written (and the ARR a churn zeroes); bulk_update skips
    # auto_now, hence updated_at.
    fields = {
        "owner" if key == csv.OWNER_EMAIL else key
        for key in rows.columns
        if key not in {csv.EXTERNAL_ID, csv.PARENT_EXTERNAL_ID}
    }
    if csv.STATUS in fields:
        fields.add(csv.ARR)
    now = timezone.now()
    for chunk in _chunks(to_update, chunk_size):
        for account in chunk:
            account.updated_at = now
        Account.objects.bulk_update(chunk, [*fields, "updated_at"])
        done += len(chunk)
        report(done, total)

    movements = [
        ArrMovement(
            workspace=workspace,
            account=account,
            kind=movement.kind,
            date=movement.on,
            amount=movement.amount,
            note=note,
            recorded_by=by,
        )
        for account, movement, _ in changes
    ]
    ArrMovement.objects.bulk_create(movements, batch_size=chunk_size)
    audit_record_many(
        workspace=workspace,
        actor=by,
        action="arr_movement.import",
        changes=[
            (
                account,
                before.audited(),
                {
                    **ledger.effect(before, movement).audited(),
                    "movement": booked.pk,
                    "kind": booked.kind,
                    "date": booked.date.isoformat(),
                    "amount": str(booked.amount),
                },
            )
            for (account, movement, before), booked in zip(changes, movements, strict=True)
        ],
        batch_size=chunk_size,
    )
    # Announced again once their ARR is booked: segment rules read ARR.
    accounts_created.send(
        sender=Account, workspace=workspace, account_ids=[a.pk for a in to_create]
    )
    return len(to_create), len(to_update)


def _link_parents(account_import: AccountImport, rows: pd.DataFrame, by) -> None:
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
        raise _RowRefused(
            {
                "row": int(given.index[position]),
                "field": csv.PARENT_EXTERNAL_ID,
                "message": refusal.message,
            }
        ) from None


class _RowRefused(Exception):
    """The ledger refused a row's ARR change; ``error`` names the row, as a check's errors do."""

    def __init__(self, error: dict):
        super().__init__(error["message"])
        self.error = error


def _ledger_change(
    row: int, before: ledger.Ledger, account: Account, *, today: date, columns: Sequence[str]
) -> ledger.Movement | None:
    """The movement the ledger books to take an account from ``before`` to its row's ARR and
    status; a refusal stops the whole import with an error on the row."""
    try:
        return ledger.change_to(
            before,
            arr=account.arr,
            status=account.status,
            today=today,
            first_on=account.contract_start or today,
        )
    except ledger.LedgerRefusal as refusal:
        raise _RowRefused(
            {
                "row": int(row),
                "field": csv.ARR if csv.ARR in columns else csv.STATUS,
                "message": f"The ARR ledger refuses this change: {refusal.message}",
            }
        ) from None


def _existing_accounts(external_ids: list[str], chunk_size: int) -> dict[str, Account]:
    """The scope's accounts with these external ids, locked until the import's write commits.

    Each carries ``latest_movement_date``, the date of its latest ARR movement that counts, or None.
    """
    latest = (
        counted_arr_movements(ArrMovement.objects.filter(account=OuterRef("pk")))
        .order_by("-date")
        .values("date")
    )
    accounts = Account.objects.select_for_update().annotate(
        latest_movement_date=Subquery(latest[:1])
    )
    existing: dict[str, Account] = {}
    for chunk in _chunks(external_ids, chunk_size):
        for account in accounts.filter(external_id__in=chunk):
            existing[account.external_id] = account
    return existing


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _finish(
    import_id: int,
    *,
    status: ImportStatus,
    errors: list[dict] | None = None,
    error_kinds: list[dict] | None = None,
    error_count: int | None = None,
    created: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    skipped: int = 0,
    finished: bool = True,
) -> AccountImport:
    """Record how an import ended; ``finished`` is False for a file refused by its check."""
    errors = errors or []
    AccountImport.objects.filter(pk=import_id).update(
        status=status,
        errors=errors,
        error_kinds=error_kinds
        if error_kinds is not None
        else [{"field": e["field"], "example": e["message"], "count": 1} for e in errors],
        error_count=len(errors) if error_count is None else error_count,
        created_count=created,
        updated_count=updated,
        unchanged_count=unchanged,
        skipped_count=skipped,
        finished_at=timezone.now() if finished else None,
    )
    return AccountImport.objects.get(pk=import_id)


def _progress_key(import_id: int) -> str:
    return f"account-import-progress:{import_id}"
