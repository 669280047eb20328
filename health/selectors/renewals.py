"""The past renewals the renewal forecast learns from, each described by the snapshot taken 90
days before it renewed, and one account's odds read from them: shared by the forecast page and
the account brief, which read the forecast's model (``health.forecast``) as ``model`` here.

Point in time: a forecast made on day ``s`` learns only from renewals whose outcome was settled
by ``s`` (renewed at least RENEWAL_MOVEMENT_DAYS before it, the window in which the ledger
records a renewal's outcome).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from accounts.models import Account
from health import forecast as model
from health import quality
from health.models import Band
from health.scoring import iso_week
from health.selectors import renewal_outcomes
from health.selectors.leaders import snapshot_states

SETTLED = dt.timedelta(days=quality.RENEWAL_MOVEMENT_DAYS)
BEFORE_RENEWAL = dt.timedelta(days=quality.HORIZONS[0])


def described(frame: pd.DataFrame, states: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (``account_id``, ``week``) with the band and level of that snapshot; an
    account without one counts as insufficient data at level 0."""
    # Either side may be empty, and an empty column has no dates to type it by.
    merged = frame.astype({"week": object}).merge(
        states.astype({"week": object}), on=["account_id", "week"], how="left"
    )
    merged["band"] = merged["band"].fillna(Band.INSUFFICIENT)
    merged["level"] = model.level_from_ladder_score(merged["ladder"])
    return merged


def settled_history(outcomes: pd.DataFrame, states: pd.DataFrame, *, on: dt.date) -> pd.DataFrame:
    """The renewals settled by ``on``, each with its cell and whether it renewed."""
    settled = outcomes[outcomes["renewal"] <= on - SETTLED]
    return described(settled, states)[[*model.CELL, "renewed"]]


def past_renewals(*, today: dt.date, segments: pd.Series) -> pd.DataFrame:
    """Past renewals with ``renewed``, the account's ``segment`` (``segments``: account id to
    segment) and the ``week`` of the snapshot that describes each; two queries."""
    outcomes = renewal_outcomes(today=today)
    outcomes["renewed"] = outcomes["outcome"] != "churned"
    outcomes["segment"] = outcomes["account_id"].map(segments).fillna("")
    outcomes["week"] = [iso_week(day - BEFORE_RENEWAL) for day in outcomes["renewal"]]
    return outcomes


def account_renewal_odds(
    *, account: Account, band: str | None, ladder: float | None, today: dt.date
) -> model.RenewalOdds:
    """``account``'s P(renew) by its band and ladder score now (its latest snapshot's), learnt
    from the workspace's renewals settled by ``today``; four queries."""
    segments = pd.Series(dict(Account.objects.values_list("pk", "segment")), dtype=object)
    outcomes = past_renewals(today=today, segments=segments)
    states = snapshot_states(weeks=set(outcomes["week"]))
    history = settled_history(outcomes, states, on=today)
    level = model.level_from_ladder_score(pd.Series([ladder], dtype=float)).iloc[0]
    return model.account_odds(
        history, band=band or Band.INSUFFICIENT, segment=account.segment, level=int(level)
    )
