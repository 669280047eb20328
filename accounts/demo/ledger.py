"""The demo's ARR history: a ledger per account whose signed sum is the account's ARR."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from accounts import ledger
from accounts.demo.portfolio import SEGMENT_PROFILES, add_years, demo_accounts, round_arr
from accounts.demo.step import DemoOptions, Progress, bulk_create_batched
from accounts.models import AccountStatus, ArrMovement
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
        for movement, note in _ledger(
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
                    kind=movement.kind,
                    date=movement.on,
                    amount=movement.amount,
                    note=note,
                )
            )
    bulk_create_batched(
        ArrMovement.dangerously_unscoped, movements, progress=progress, desc="ARR movements"
    )


def _ledger(
    *, rng: random.Random, contract_start: date, today: date, final_arr: int, churned: bool
) -> list[tuple[ledger.Movement, str]]:
    """Movements from contract start, each with its note, whose signed sum is the ARR.

    The ARR the account had after each change is drawn backwards from the ARR it ends with,
    each earlier level as a share of the one after it, so the sum is exact by construction. A
    churned account loses ``final_arr`` at its last renewal and ends at zero. The ledger's
    rules then decide, and check, the movement that reaches each level from the one before.
    """
    anniversaries = []
    year = 1
    while (anniversary := add_years(contract_start, year)) <= today:
        anniversaries.append(anniversary)
        year += 1
    tail = []
    if churned:
        tail = [(anniversaries.pop(), 0, ledger.CHURNED, "Did not renew")]
    limit = tail[0][0] if tail else today
    arr = final_arr
    levels = []
    for anniversary in reversed(anniversaries):
        draw = rng.random()
        if draw < 0.4:
            before = round_arr(arr / (1 + rng.uniform(0.05, 0.35)))
            on, note = anniversary, "Seats added at renewal"
            # Some customers grow inside the contract year; reductions wait for the renewal.
            mid_term = anniversary + timedelta(days=rng.randint(60, 240))
            if rng.random() < 0.3 and mid_term < limit:
                on, note = mid_term, "Seats added mid-term"
        elif draw < 0.52:
            before = round_arr(arr / (1 - rng.uniform(0.05, 0.2)))
            on, note = anniversary, "Seats reduced at renewal"
        else:
            continue
        if before < 1_000 or before == arr:
            continue
        levels.append((on, arr, ledger.ACTIVE, note))
        arr = before
    levels = [(contract_start, arr, ledger.ACTIVE, "First contract"), *reversed(levels), *tail]

    booked, movements = ledger.Ledger(), []
    for on, level, status, note in levels:
        movement = ledger.change_to(
            booked, arr=Decimal(level), status=status, today=on, first_on=contract_start
        )
        if movement is not None:
            booked = ledger.effect(booked, movement)
            movements.append((movement, note))
    return movements
