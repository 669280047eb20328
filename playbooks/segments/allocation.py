"""Rebalancing CSM books: the fewest account moves that bring every CSM within capacity.

Accounts of one owner and one motion weigh the same and fit the same CSMs, and once they leave
their owner accounts of one motion are interchangeable, so the problem is solved as a small
integer programme (scipy's HiGHS ``milp``) over those groups: how many accounts leave each
group, and how many of each motion each CSM receives. Staying with the owner is always allowed
(an account whose motion does not fit its owner may stay, to keep the relationship); a move
goes only to a CSM whose allowed motions include the account's. Accounts without an owner (or
whose owner carries no book) must be placed, each counting as a move. Among equally few moves,
those that end a misfit are preferred; within a group the smallest accounts by ARR move, so the
largest relationships stay. Pure: no Django.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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
    motions = sorted(set(groups[MOTION]))
    weight = dict(zip(groups[MOTION], groups["weight"].astype(float), strict=True))
    receivers = [(c, m) for c, csm in enumerate(csms) for m in motions if m in csm.motions]
    owner_index = {csm.user_id: c for c, csm in enumerate(csms)}
    counts = groups["count"].to_numpy(dtype=float)
    unowned = (groups[OWNER_ID] == UNOWNED).to_numpy()
    # Leaving costs a move; a misfit leaving costs a hair less, so that among equally few
    # moves the misfits go (the hairs of every account together stay under one move).
    fits = np.array(
        [
            owner != UNOWNED and motion in csms[owner_index[owner]].motions
            for owner, motion in zip(groups[OWNER_ID], groups[MOTION], strict=True)
        ]
    )
    hair = 1 / (len(frame) + 1)
    costs = np.concatenate([np.where(fits | unowned, 1.0, 1.0 - hair), np.zeros(len(receivers))])
    shed, n = len(groups), len(groups) + len(receivers)
    # Per motion: the accounts that leave are the accounts that arrive.
    flow = np.zeros((len(motions), n))
    for g, motion in enumerate(groups[MOTION]):
        flow[motions.index(motion), g] = 1
    for r, (_c, motion) in enumerate(receivers):
        flow[motions.index(motion), shed + r] = -1
    # Per CSM: load after = load now - what leaves + what arrives <= capacity.
    books = np.zeros((len(csms), n))
    room = np.array([csm.capacity for csm in csms], dtype=float)
    for g, (owner, motion) in enumerate(zip(groups[OWNER_ID], groups[MOTION], strict=True)):
        if owner != UNOWNED:
            books[owner_index[owner], g] = -weight[motion]
            room[owner_index[owner]] -= weight[motion] * counts[g]
    for r, (c, motion) in enumerate(receivers):
        books[c, shed + r] = weight[motion]
    # scipy takes a third of a second to import, at every process start; only a rebalancing
    # needs it.
    from scipy.optimize import Bounds, LinearConstraint, milp

    result = milp(
        c=costs,
        integrality=np.ones(n),
        bounds=Bounds(
            np.concatenate([np.where(unowned, counts, 0), np.zeros(len(receivers))]),
            np.concatenate([counts, np.full(len(receivers), counts.sum())]),
        ),
        constraints=[
            LinearConstraint(flow, 0, 0),
            LinearConstraint(books, -np.inf, room),
        ],
        options={"time_limit": SOLVER_SECONDS},
    )
    if result.status != 0 or result.x is None:
        return Rebalancing(feasible=False, reason=_no_fit_reason(groups, csms))
    amounts = np.rint(result.x).astype(int)
    return Rebalancing(
        feasible=True,
        moves=_moves(frame, groups, csms, receivers, amounts[:shed], amounts[shed:]),
    )


def _moves(frame, groups, csms, receivers, leaving, arriving) -> list[Move]:
    """The accounts that move: from each group its smallest by ARR, paired with the places
    that receive their motion. One sort of the accounts, whatever the number of groups."""
    keys = [OWNER_ID, MOTION]
    ordered = frame.sort_values([*keys, ARR, ACCOUNT_ID])
    quota = pd.Series(leaving, index=pd.MultiIndex.from_frame(groups[keys]))
    allowed = quota.reindex(pd.MultiIndex.from_frame(ordered[keys])).to_numpy()
    going = ordered[ordered.groupby(keys, sort=False).cumcount().to_numpy() < allowed]
    places = pd.DataFrame(
        {
            MOTION: [motion for _c, motion in receivers],
            "to_id": [csms[c].user_id for c, _motion in receivers],
            "amount": arriving,
        }
    )
    moves = []
    for motion, received in places.groupby(MOTION, sort=False):
        # The last group's largest leaver goes to the first receiver, as a stack pops.
        leavers = going[going[MOTION] == motion].iloc[::-1]
        to_ids = np.repeat(received["to_id"].to_numpy(), received["amount"].to_numpy())
        moves.extend(
            Move(
                account_id=int(account_id),
                from_id=None if owner == UNOWNED else int(owner),
                to_id=int(to_id),
            )
            for account_id, owner, to_id in zip(
                leavers[ACCOUNT_ID], leavers[OWNER_ID], to_ids, strict=True
            )
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
