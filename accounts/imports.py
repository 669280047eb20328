"""The accounts CSV import: checked on upload, previewed, committed at once, purged later.

The file itself is checked by the pure ``accounts.csv_import``; this module brings it what it
needs from the database (owners, existing accounts) and writes the outcome back in bulk. Its
reads (``account_import_list``, ``_preview``, ``_progress``) sit beside its writes because they
only make sense together.
"""

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts import csv_import as csv
from accounts import ledger
from accounts.models import (
    Account,
    AccountImport,
    AccountStatus,
    ArrMovement,
    ImportStatus,
    LifecycleStage,
    Segment,
)
from accounts.selectors import counted_arr_movements
from csos.models import Membership, Role, Workspace
from csos.services import audit_record, audit_record_many

logger = logging.getLogger(__name__)

WRITE_CHUNK = 500  # rows per bulk statement, and so per progress report
PREVIEW_ROWS = 20
FILE_RETENTION = timedelta(days=30)
RESUME_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3
PROGRESS_TTL = 60 * 60  # seconds; outlives any write, then tidies itself away
OWNER_ROLES = (Role.CSM, Role.LEADER, Role.ADMIN)
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
    churn_count: int
    reactivation_count: int
    # Problems found when the file is checked again: owners or accounts changed since the upload.
    errors: list[dict]


@dataclass(frozen=True)
class ImportProgress:
    done: int
    total: int


def account_import_list() -> QuerySet[AccountImport]:
    """The scope's imports, newest first, without their (possibly large) files."""
    return AccountImport.objects.select_related("created_by").defer("content")


def account_import_create(
    *, workspace: Workspace, by: AbstractBaseUser, filename: str, content: str
) -> AccountImport:
    """Check an uploaded CSV and store it: READY to commit, or INVALID with every error."""
    parsed, _ = _check(content)
    return AccountImport.objects.create(
        workspace=workspace,
        created_by=by,
        filename=filename[: AccountImport._meta.get_field("filename").max_length],
        content=content,
        status=ImportStatus.INVALID if parsed.errors else ImportStatus.READY,
        row_count=parsed.row_count,
        errors=parsed.errors,
    )


def account_import_preview(*, account_import: AccountImport) -> ImportPreview:
    parsed, existing = _check(account_import.content)
    will_update = int(parsed.rows[csv.EXTERNAL_ID].isin(existing[csv.EXTERNAL_ID]).sum())
    churns, reactivations = csv.status_changes(parsed.rows, existing)
    head = parsed.rows.head(PREVIEW_ROWS)
    return ImportPreview(
        columns=list(head.columns),
        # itertuples, not iterrows: a row as a Series would turn a blank (None) into NaN.
        rows=[(int(row), list(values)) for row, *values in head.itertuples(name=None)],
        create_count=len(parsed.rows) - will_update,
        update_count=will_update,
        churn_count=churns,
        reactivation_count=reactivations,
        errors=parsed.errors,
    )


def account_import_queue(*, account_import: AccountImport, by: AbstractBaseUser | None) -> bool:
    """Move a ready import to the queue; False when it was not ready (already committed)."""
    queued = AccountImport.objects.filter(pk=account_import.pk, status=ImportStatus.READY).update(
        status=ImportStatus.QUEUED, queued_at=timezone.now(), queued_by=by
    )
    if queued:
        account_import_progress_record(import_id=account_import.pk, done=0)
    return bool(queued)


def account_import_progress_record(*, import_id: int, done: int) -> None:
    """Publish how many rows the running write has done, for the web process to read."""
    cache.set(_progress_key(import_id), done, PROGRESS_TTL)


def account_import_progress(*, account_import: AccountImport) -> ImportProgress:
    """How far the write has got: the worker's count while it runs, the result once done."""
    if account_import.status == ImportStatus.DONE:
        written = account_import.created_count + account_import.updated_count
        return ImportProgress(done=written, total=written)
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
            parsed, _ = _check(account_import.content)
            if parsed.errors:
                return _finish(import_id, status=ImportStatus.FAILED, errors=parsed.errors)
            created, updated = _write(
                account_import=account_import,
                rows=parsed.rows,
                by=by,
                report=report,
                chunk_size=chunk_size,
            )
            audit_record(
                workspace=account_import.workspace,
                actor=by,
                action="account_import.commit",
                obj=account_import,
                after={"created": created, "updated": updated},
            )
            return _finish(import_id, status=ImportStatus.DONE, created=created, updated=updated)
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
    since only one delivery can claim it. Without row locks (SQLite), running imports are left
    alone, as there is no telling a live writer from a dead one.
    """
    now = now or timezone.now()
    queued = AccountImport.objects.filter(
        status=ImportStatus.QUEUED, queued_at__lt=now - RESUME_AFTER
    )
    resend = {account_import.pk for account_import in queued.only("pk")}
    if connection.features.has_select_for_update_skip_locked:
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


def _check(content: str) -> tuple[csv.ParsedImport, pd.DataFrame]:
    """Check a file against the workspace in scope; also return its existing accounts."""
    owners = Membership.objects.filter(role__in=OWNER_ROLES).values_list("user__email", flat=True)
    rules = csv.ImportRules(
        owner_emails=frozenset(email.lower() for email in owners),
        choices={
            csv.LIFECYCLE_STAGE: LifecycleStage.choices,
            csv.STATUS: AccountStatus.choices,
            csv.SEGMENT: Segment.choices,
        },
    )
    accounts = Account.objects.annotate(
        **{csv.HAS_LEDGER: Exists(ArrMovement.objects.filter(account=OuterRef("pk")))}
    )
    existing = pd.DataFrame.from_records(
        list(accounts.values_list(*csv.EXISTING_COLUMNS)), columns=csv.EXISTING_COLUMNS
    )
    parsed = csv.parse_accounts_csv(content, rules=rules, existing=existing)
    return parsed, existing


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
    to_update: list[Account] = []
    # Each account's ARR change, decided by the ledger before anything is written.
    changes: list[tuple[Account, ledger.Movement, ledger.Ledger]] = []
    for row, record in zip(rows.index, rows.to_dict("records"), strict=True):
        values = {key: value for key, value in record.items() if value is not None}
        if csv.OWNER_EMAIL in values:
            values["owner_id"] = owner_ids[values.pop(csv.OWNER_EMAIL)]
        account = existing.get(record[csv.EXTERNAL_ID])
        if account is None:
            account = Account(
                workspace=workspace, **{"currency": workspace.default_currency, **values}
            )
            before = ledger.Ledger(currency=account.currency)
            to_create.append(account)
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
    for chunk in _chunks(to_create, chunk_size):
        Account.objects.bulk_create(chunk)
        done += len(chunk)
        report(done, total)
    # Only the columns the file has are written (and the ARR a churn zeroes); bulk_update skips
    # auto_now, hence updated_at.
    fields = {
        "owner" if key == csv.OWNER_EMAIL else key for key in rows.columns if key != csv.EXTERNAL_ID
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
    return len(to_create), len(to_update)


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
    created: int = 0,
    updated: int = 0,
) -> AccountImport:
    AccountImport.objects.filter(pk=import_id).update(
        status=status,
        errors=errors or [],
        created_count=created,
        updated_count=updated,
        finished_at=timezone.now(),
    )
    return AccountImport.objects.get(pk=import_id)


def _progress_key(import_id: int) -> str:
    return f"account-import-progress:{import_id}"
