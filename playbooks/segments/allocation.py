"""Rebalancing CSM books: the fewest account moves that bring every CSM within capacity.

Accounts of one owner and one motion weigh the same and fit the same CSMs, so the problem is
solved over those groups, as a small integer programme (scipy's HiGHS ``milp``): how many
accounts of each group go to each CSM. Staying with the owner is always allowed (an account
whose motion does not fit its owner may stay, to keep the relationship); a move goes only to a
CSM whose allowed motions include the account's. Accounts without an owner (or whose owner
carries no book) must be placed, each counting as a move. Among equally few moves, those that
end a misfit are preferred; within a group the smallest accounts by ARR move, so the largest
relationships stay. Pure: no Django.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

ACCOUNT_ID, OWNER_ID, MOTION, WEIGHT, ARR = "account_id", "owner_id", "motion", "weight", "arr"
ACCOUNT_COLUMNS = (ACCOUNT_ID, OWNER_ID, MOTION, WEIGHT, ARR)
UNOWNED = -1
SOLVER_SECONDS = 30


@dataclass(frozen=True)
class Csm:
    user_id: int
    capacity: float
    motions: frozenset[str]


@dataclass(frozen=True)
class Move:
    account_id: int
    from_id: int | None
    to_id: int


@dataclass
class Rebalancing:
    """The suggestion: ``moves`` when ``feasible``, else ``reason`` says why none fits."""

    feasible: bool
    moves: list[Move] = field(default_factory=list)
    reason: str = ""


def rebalance(accounts: pd.DataFrame, csms: list[Csm]) -> Rebalancing:
    missing = set(ACCOUNT_COLUMNS) - set(accounts.columns)
    if missing:
        raise ValueError(f"accounts lack columns {sorted(missing)}")
    by_id = {csm.user_id: csm for csm in csms}
    owners = accounts[OWNER_ID].fillna(UNOWNED).astype("int64")
    owners = owners.where(owners.isin(list(by_id)), UNOWNED)
    frame = accounts.assign(**{OWNER_ID: owners})
    groups = (
        frame.groupby([OWNER_ID, MOTION], sort=True)
        .agg(count=(ACCOUNT_ID, "size"), weight=(WEIGHT, "first"))
        .reset_index()
    )
    load = float((frame[WEIGHT]).sum())
    capacity = float(sum(csm.capacity for csm in csms))
    if load > capacity:
        return Rebalancing(
            feasible=False,
            reason=f"The accounts weigh {load:,.1f} points; the team's capacity is "
            f"{capacity:,.1f}. Raise capacities or add a CSM: no suggestion fits.",
        )
    pairs, costs = [], []
    misfit_cost = 1 / (len(frame) + 1)
    for g, group in groups.iterrows():
        for c, csm in enumerate(csms):
            stays = csm.user_id == group[OWNER_ID]
            if not stays and group[MOTION] not in csm.motions:
                continue
            pairs.append((g, c))
            fits = group[MOTION] in csm.motions
            costs.append(1.0 if not stays else 0.0 if fits else misfit_cost)
    if not pairs:
        return Rebalancing(feasible=len(frame) == 0, reason=_no_fit_reason(groups, csms))
    g_index = np.array([g for g, _ in pairs])
    c_index = np.array([c for _, c in pairs])
    columns = np.arange(len(pairs))
    placed = coo_array((np.ones(len(pairs)), (g_index, columns)), shape=(len(groups), len(pairs)))
    weights = groups["weight"].to_numpy(dtype=float)[g_index]
    filled = coo_array((weights, (c_index, columns)), shape=(len(csms), len(pairs)))
    counts = groups["count"].to_numpy(dtype=float)
    result = milp(
        c=np.array(costs),
        integrality=np.ones(len(pairs)),
        bounds=Bounds(0, counts[g_index]),
        constraints=[
            LinearConstraint(placed, counts, counts),
            LinearConstraint(filled, -np.inf, [csm.capacity for csm in csms]),
        ],
        options={"time_limit": SOLVER_SECONDS, "mip_rel_gap": 1e-7},
    )
    if result.status != 0 or result.x is None:
        return Rebalancing(feasible=False, reason=_no_fit_reason(groups, csms))
    amounts = np.rint(result.x).astype(int)
    return Rebalancing(feasible=True, moves=_moves(frame, groups, csms, pairs, amounts))


def _moves(frame, groups, csms, pairs, amounts) -> list[Move]:
    """The accounts that move: in each group, the smallest by ARR first."""
    moves = []
    members = {
        key: rows.sort_values([ARR, ACCOUNT_ID])[ACCOUNT_ID].tolist()
        for key, rows in frame.groupby([OWNER_ID, MOTION], sort=False)
    }
    for (g, c), amount in zip(pairs, amounts, strict=True):
        owner, motion = int(groups.at[g, OWNER_ID]), groups.at[g, MOTION]
        if amount == 0 or csms[c].user_id == owner:
            continue
        taken, members[owner, motion] = (
            members[owner, motion][:amount],
            members[owner, motion][amount:],
        )
        moves.extend(
            Move(
                account_id=int(account_id),
                from_id=None if owner == UNOWNED else owner,
                to_id=csms[c].user_id,
            )
            for account_id in taken
        )
    return sorted(moves, key=lambda move: move.account_id)


def _no_fit_reason(groups: pd.DataFrame, csms: list[Csm]) -> str:
    allowed = set().union(*(csm.motions for csm in csms)) if csms else set()
    orphaned = sorted(set(groups[MOTION]) - allowed)
    if orphaned:
        return (
            f"No CSM takes {', '.join(orphaned)} accounts: allow those motions to someone, "
            "or no suggestion fits."
        )
    return (
        "No assignment keeps every CSM within capacity with the motions each may take: "
        "raise capacities or widen the motions allowed."
    )
