"""Committing a checked accounts import: every row written in bulk, all or nothing."""

import logging
from collections.abc import Mapping, Sequence
from datetime import date

import pandas as pd
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts import csv_import as csv
from accounts import ledger
from accounts.creation import AccountsRefused, accounts_create
from accounts.imports.check import check_file, stored_mapping
from accounts.imports.jobs import (
    WRITE_FAILED,
    ProgressCallback,
    RowRefused,
    finish_import,
    in_chunks,
)
from accounts.imports.links import link_parents, record_aliases, rows_to_write
from accounts.models import Account, ArrMovement
from accounts.selectors import OWNER_ROLES, counted_arr_movements
from accounts.signals import accounts_created
from csos.events import publish
from csos.imports.sweeps import (
    import_job_claim,
    import_job_lock_claimed,
    import_job_progress_record,
)
from csos.models import ImportJob, ImportStatus, Membership
from csos.services import audit_record, audit_record_many

logger = logging.getLogger(__name__)


WRITE_CHUNK = 500  # rows per bulk statement, and so per progress report


# What a new account holds for a field its file does not give, where the model's default would
# be a guess: a CRM export says nothing of the CS stage or segment, so they stay empty.
LEFT_EMPTY = {csv.LIFECYCLE_STAGE: "", csv.SEGMENT: ""}


def account_import_queue(
    *,
    account_import: ImportJob,
    by: AbstractBaseUser | None,
    skip_rows: Sequence[int] = (),
    link_rows: Mapping[int, str] | None = None,
) -> bool:
    """Move a ready import to the queue, to be committed without the spreadsheet rows
    ``skip_rows`` and with each row of ``link_rows`` written to the existing account of that
    external ID; False when it was not ready (already committed)."""
    queued = ImportJob.objects.filter(pk=account_import.pk, status=ImportStatus.READY).update(
        status=ImportStatus.QUEUED,
        queued_at=timezone.now(),
        queued_by=by,
        skip_rows=list(skip_rows),
        link_rows={str(row): external_id for row, external_id in (link_rows or {}).items()},
    )
    if queued:
        import_job_progress_record(job_id=account_import.pk, done=0)
    return bool(queued)


def account_import_commit(
    *,
    import_id: int,
    by: AbstractBaseUser | None,
    on_progress: ProgressCallback | None = None,
    chunk_size: int = WRITE_CHUNK,
) -> ImportJob | None:
    """Write a queued import's rows as accounts, all or nothing, reporting progress as it goes.

    The import is claimed first (QUEUED -> RUNNING), so a second delivery of the task finds
    nothing to do and returns None. The write then holds the import's row lock until it commits
    or rolls back, which tells import_job_recover a live writer from a dead one. The file is
    checked again because owners and accounts may have changed since the upload. Progress goes
    to ``on_progress(done, total)``, by default the cache, which the web process reads while
    this transaction is still open.
    """
    if not import_job_claim(job_id=import_id):
        return None
    report = on_progress or (
        lambda done, _total: import_job_progress_record(job_id=import_id, done=done)
    )
    try:
        with transaction.atomic():
            account_import = import_job_lock_claimed(job_id=import_id)
            if account_import is None:
                return None
            parsed, known = check_file(
                account_import.content, mapping=stored_mapping(account_import)
            )
            if parsed.errors:
                return finish_import(
                    import_id,
                    status=ImportStatus.FAILED,
                    errors=parsed.errors,
                    error_kinds=parsed.error_kinds,
                    error_count=parsed.error_count,
                )
            links = {int(row): linked for row, linked in account_import.link_rows.items()}
            rows = rows_to_write(parsed.rows, account_import.skip_rows, links, known)
            unchanged = csv.unchanged_rows(rows, known.frame)
            created, updated = _write(
                account_import=account_import,
                rows=rows[~unchanged],
                by=by,
                report=report,
                chunk_size=chunk_size,
            )
            link_parents(account_import, rows, by)
            linked = record_aliases(account_import, parsed.rows, links, by)
            counts = {
                "created": created,
                "updated": updated,
                "unchanged": int(unchanged.sum()),
                "skipped": len(parsed.rows) - len(rows),
            }
            audit_record(
                workspace=account_import.workspace,
                actor=by,
                action="account_import.commit",
                obj=account_import,
                after={**counts, "linked": linked},
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
            return finish_import(import_id, status=ImportStatus.DONE, linked=linked, **counts)
    except RowRefused as refused:
        return finish_import(import_id, status=ImportStatus.FAILED, errors=[refused.error])
    except DatabaseError:
        logger.exception("Account import %s failed; nothing was written.", import_id)
        return finish_import(import_id, status=ImportStatus.FAILED, errors=[WRITE_FAILED])
    except Exception:
        # A bug, not bad data: the import must not stay "running" for ever, and the error
        # must still reach the worker's log and error tracking.
        finish_import(import_id, status=ImportStatus.FAILED, errors=[WRITE_FAILED])
        raise


def _write(
    *,
    account_import: ImportJob,
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
            raise RowRefused(
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
    for chunk in in_chunks(to_update, chunk_size):
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
        raise RowRefused(
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
    for chunk in in_chunks(external_ids, chunk_size):
        for account in accounts.filter(external_id__in=chunk):
            existing[account.external_id] = account
    return existing
