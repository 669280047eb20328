"""Writes of the stored ladder: every level re-derived in one place, ``ladder_refresh``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from csos.tenancy import current_workspace
from value import ladder
from value.models import (
    AccountUseCase,
)
from value.selectors.ladder_inputs import ladder_frame

# ----------------------------------------------------------------------------- the ladder


UPDATE_CHUNK = 5_000


@transaction.atomic
def ladder_refresh(*, account_ids: Iterable[int] | None = None, as_of: date | None = None) -> int:
    """Recompute the stored ladder of every pursuit of some accounts (None: all of them).

    This is the one place a level is decided and stored, with its reasons and the claims that
    count; every surface reads what it writes. Every pursuit is stamped as computed now and no
    longer pending; only those whose level, reasons or claims moved are rewritten, in chunks.
    Returns how many pursuits were rewritten.
    """
    as_of = as_of or timezone.localdate()
    if account_ids is not None:
        account_ids = list(account_ids)
    result = ladder_frame(account_ids=account_ids, as_of=as_of)
    computed = {
        (account, use_case): (level, reasons, proofs)
        for account, use_case, level, reasons, proofs in result[
            [ladder.ACCOUNT, ladder.USE_CASE, ladder.LEVEL, ladder.REASONS, ladder.PROOFS]
        ].itertuples(index=False)
    }
    pursuits = AccountUseCase.objects.all()
    if account_ids is not None:
        pursuits = pursuits.filter(account_id__in=account_ids)
    moved = [
        (pursuit_id, *computed[(account_id, use_case_id)])
        for pursuit_id, account_id, use_case_id, *stored in pursuits.values_list(
            "id", "account_id", "use_case_id", "level", "reasons", "proof_ids"
        )
        if list(computed[(account_id, use_case_id)]) != stored
    ]
    pursuits.update(computed_at=timezone.now(), refresh_pending=False)
    for start in range(0, len(moved), UPDATE_CHUNK):
        _ladder_rows_write(moved[start : start + UPDATE_CHUNK])
    return len(moved)


def _ladder_rows_write(rows: list[tuple[int, int, list[str], list[int]]]) -> None:
    """Write (id, level, reasons, proofs) of pursuits of the workspace in scope in one UPDATE
    from arrays: each row its own values, without a CASE per row as ``bulk_update`` builds."""
    ids, levels, reasons, proofs = zip(*rows, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {AccountUseCase._meta.db_table} AS pursuit
            SET level = row.level, reasons = row.reasons::jsonb, proof_ids = row.proofs::jsonb
            FROM unnest(%s::bigint[], %s::int[], %s::text[], %s::text[])
                AS row(id, level, reasons, proofs)
            WHERE pursuit.id = row.id AND pursuit.workspace_id = %s""",
            [
                list(ids),
                [int(level) for level in levels],
                [json.dumps(lines) for lines in reasons],
                [json.dumps(claims) for claims in proofs],
                current_workspace().pk,
            ],
        )


def ladder_refresh_pending_mark(*, account_ids: Iterable[int]) -> None:
    """Say the stored ladder of these accounts is being recomputed in the background: the pages
    show "recomputing, as of …" until ``ladder_refresh`` has run."""
    AccountUseCase.objects.filter(account_id__in=list(account_ids)).update(refresh_pending=True)
