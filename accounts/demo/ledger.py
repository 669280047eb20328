"""The demo's ARR history: a ledger per account whose signed sum is the account's ARR."""

from __future__ import annotations

import random
from datetime import date, timedelta

from accounts.demo.portfolio import SEGMENT_PROFILES, add_years, demo_accounts, round_arr
from accounts.demo.step import DemoOptions, Progress, bulk_create_batched
from accounts.models import AccountStatus, ArrMovement, MovementKind
from csos.models import Workspace


def demo_arr_ledger_rebuild(
    *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
) -> None:
    """Replace every demo account's ARR ledger with a history that ends at its current ARR."""
    accounts = demo_accounts(workspace=workspace)
    # By account alone (they are this workspace's): with a workspace condition too, stale
    # planner statistics after a bulk load can turn the delete quadratic.
    ArrMovement.dangerously_unscoped.filter(account__in=accounts).delete()
    rows = accounts.order_by("external_id").values_list(
        "id", "segment", "status", "arr", "contract_start", "licensed_seats"
    )
    movements = []
    for account_id, segment, status, arr, contract_start, seats in rows:
        if status == AccountStatus.CHURNED:
            # The ARR it churned from was not kept on the account; its seats still tell the size.
            low, high = SEGMENT_PROFILES[segment].arr_range
            price = rng.uniform(*SEGMENT_PROFILES[segment].seat_price_range)
            final_arr = min(max(round_arr(seats * price), low), high)
        else:
            final_arr = int(arr)
        for kind, on, amount, note in _ledger(
            rng=rng,
            contract_start=contract_start,
            today=options.today,
            final_arr=final_arr,
            churned=status == AccountStatus.CHURNED,
        ):
            movements.append(
                ArrMovement(
                    workspace=workspace,
                    account_id=account_id,
                    kind=kind,
                    date=on,
                    amount=amount,
                    note=note,
                )
            )
    bulk_create_batched(
        ArrMovement.dangerously_unscoped, movements, progress=progress, desc="ARR movements"
    )


def _ledger(
    *, rng: random.Random, contract_start: date, today: date, final_arr: int, churned: bool
) -> list[tuple[str, date, int, str]]:
    """(kind, date, amount, note) movements from contract start whose signed sum is the ARR.

    Built backwards from the ARR the account ends with, so the sum is exact by construction:
    each earlier change is drawn as a share of the ARR after it. A churned account loses
    ``final_arr`` at its last renewal and ends at zero.
    """
    anniversaries = []
    year = 1
    while (anniversary := add_years(contract_start, year)) <= today:
        anniversaries.append(anniversary)
        year += 1
    tail = []
    if churned:
        tail = [(MovementKind.CHURN, anniversaries.pop(), final_arr, "Did not renew")]
    limit = tail[0][1] if tail else today
    arr = final_arr
    changes = []
    for anniversary in reversed(anniversaries):
        draw = rng.random()
        if draw < 0.4:
            before = round_arr(arr / (1 + rng.uniform(0.05, 0.35)))
            kind, on, note = MovementKind.EXPANSION, anniversary, "Seats added at renewal"
            # Some customers grow inside the contract year; reductions wait for the renewal.
            mid_term = anniversary + timedelta(days=rng.randint(60, 240))
            if rng.random() < 0.3 and mid_term < limit:
                on, note = mid_term, "Seats added mid-term"
        elif draw < 0.52:
            before = round_arr(arr / (1 - rng.uniform(0.05, 0.2)))
            kind, on, note = MovementKind.CONTRACTION, anniversary, "Seats reduced at renewal"
        else:
            continue
        if before < 1_000 or before == arr:
            continue
        changes.append((kind, on, abs(arr - before), note))
        arr = before
    return [(MovementKind.NEW, contract_start, arr, "First contract"), *reversed(changes), *tail]
