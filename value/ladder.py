"""The ladder rules: which level each account has reached on each use case it pursues, and why.

Pure: frames in, a frame out, no Django and no clock (``as_of`` is a parameter).

- Level 1 (presence) and level 2 (engagement) are reached when every usage threshold of the
  level is met over the trailing window; a level with no threshold cannot be reached by usage.
- Level 3 (use-case value) needs proven evidence at level 3 with a baseline and a current value,
  or confirmed by the customer through a link; a claim in free text alone stays unproven.
- Level 4 (ROI) needs proven evidence at level 4, with figures, confirmed through a link by the
  stakeholder it was addressed to while they were the account's active Owner, and who had not
  left by the confirmation date. Nothing a user records by hand (a named confirmer, a leader's
  in-person attestation) reaches level 4.
- Evidence counts only while fresh: confirmed at most ``stale_days`` before ``as_of``, and
  not after it (a claim confirmed later was not proven yet on ``as_of``).
- A level counts only on top of every level below it: nothing is reached by skipping.

``evidence_standing`` is the one definition of "proven and fresh" a claim is judged by; the
levels and the retention artifact read it through the stored ladder, and health through the
ladder derived as of the week it scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

ACCOUNT = "account_id"
USE_CASE = "use_case_id"
METRIC = "metric_id"
LEVEL = "level"
VALUE = "value"
SEATS = "licensed_seats"
MINIMUM = "minimum"
PER_SEAT = "per_seat"
METRIC_NAME = "metric_name"
STATUS = "status"
BASELINE = "baseline"
CURRENT = "current"
EVIDENCE = "evidence_id"
CONFIRMED_ON = "confirmed_on"
ANSWERED_ROLE = "answered_role"  # the answering stakeholder's role then; empty without a link
ANSWERED_ACTIVE = "answered_active"  # whether they had not left when they answered
ANSWERER_LEFT_ON = "answerer_left_on"  # when they left, as recorded since
REASONS = "reasons"
PROOFS = "proofs"  # the ids of the claims that count at the levels reached
COUNTS = "counts"
LACKS = "lacks"

PURSUIT_COLUMNS = (ACCOUNT, USE_CASE, SEATS)
THRESHOLD_COLUMNS = (USE_CASE, LEVEL, METRIC, METRIC_NAME, MINIMUM, PER_SEAT)
USAGE_COLUMNS = (ACCOUNT, METRIC, VALUE)
EVIDENCE_COLUMNS = (
    EVIDENCE,
    ACCOUNT,
    USE_CASE,
    LEVEL,
    STATUS,
    BASELINE,
    CURRENT,
    CONFIRMED_ON,
    ANSWERED_ROLE,
    ANSWERED_ACTIVE,
    ANSWERER_LEFT_ON,
)
RESULT_COLUMNS = (ACCOUNT, USE_CASE, LEVEL, REASONS, PROOFS)

PROVEN = "proven"
ATTESTED = "attested"
UNPROVEN = "unproven"
OWNER = "owner"
_KEY = [ACCOUNT, USE_CASE]


@dataclass(frozen=True)
class LadderParams:
    as_of: date
    stale_days: int = 180

    @property
    def fresh_since(self) -> date:
        return self.as_of - timedelta(days=self.stale_days)


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = set(columns) - set(frame.columns)
    if missing:
        raise ValueError(f"{name} frame lacks columns {sorted(missing)}")


def ladder_levels(
    *,
    pursuits: pd.DataFrame,
    thresholds: pd.DataFrame,
    usage: pd.DataFrame,
    evidence: pd.DataFrame,
    params: LadderParams,
) -> pd.DataFrame:
    """One row per pursuit (account, use case): the level reached and four reasons, one a level.

    ``usage`` holds each metric's value over the window, already combined by its aggregation
    (summed metrics as a weekly rate); a metric with no row counts as zero.
    """
    _require(pursuits, PURSUIT_COLUMNS, "pursuits")
    _require(thresholds, THRESHOLD_COLUMNS, "thresholds")
    _require(usage, USAGE_COLUMNS, "usage")
    _require(evidence, EVIDENCE_COLUMNS, "evidence")
    if pursuits.empty:
        return pd.DataFrame({column: [] for column in RESULT_COLUMNS})
    base = pursuits[list(PURSUIT_COLUMNS)].drop_duplicates(_KEY).reset_index(drop=True)
    usage_met, usage_text = _usage_levels(base, thresholds, usage)
    evidence_met, evidence_text, counted = _evidence_levels(base, evidence, params)
    met = {**usage_met, **evidence_met}
    text = {**usage_text, **evidence_text}

    reached = pd.Series(0, index=base.index)
    below_ok = pd.Series(True, index=base.index)
    reasons: list[list[str]] = [[] for _ in range(len(base))]
    for level in (1, 2, 3, 4):
        ok_here = met[level]
        counts = below_ok & ok_here
        reached = reached.where(~counts, level)
        for position, (own, lower, proof) in enumerate(
            zip(ok_here, below_ok, text[level], strict=True)
        ):
            if own and lower:
                reasons[position].append(f"Reached: {proof}")
            elif own:
                reasons[position].append(
                    f"Not reached: level {level - 1} is not reached, so this proof does not "
                    f"count yet ({proof})"
                )
            else:
                reasons[position].append(f"Not reached: {proof}")
        below_ok = counts
    result = base[_KEY].copy()
    result[LEVEL] = reached.astype(int)
    result[REASONS] = reasons
    result[PROOFS] = [
        sorted(claim for level, ids in counted[position].items() if level <= top for claim in ids)
        for position, top in enumerate(result[LEVEL])
    ]
    return result


def _usage_levels(
    base: pd.DataFrame, thresholds: pd.DataFrame, usage: pd.DataFrame
) -> tuple[dict[int, pd.Series], dict[int, list[str]]]:
    """Per level 1 and 2: whether all its thresholds are met, and the figures behind it."""
    rows = base.reset_index().merge(thresholds[list(THRESHOLD_COLUMNS)], on=USE_CASE)
    rows = rows.merge(
        usage[list(USAGE_COLUMNS)].drop_duplicates([ACCOUNT, METRIC]),
        on=[ACCOUNT, METRIC],
        how="left",
    )
    rows[VALUE] = rows[VALUE].fillna(0.0).astype(float)
    minimum = rows[MINIMUM].astype(float)
    rows["required"] = minimum.where(~rows[PER_SEAT].astype(bool), minimum * rows[SEATS])
    rows["met"] = rows[VALUE] >= rows["required"]
    rows["figure"] = [
        f"{name} {value:,.0f} of {required:,.0f} needed"
        + (f" ({share:.0%} of {seats:,} seats)" if per_seat else "")
        for name, value, required, per_seat, share, seats in zip(
            rows[METRIC_NAME],
            rows[VALUE],
            rows["required"],
            rows[PER_SEAT],
            minimum,
            rows[SEATS],
            strict=True,
        )
    ]
    met: dict[int, pd.Series] = {}
    text: dict[int, list[str]] = {}
    for level in (1, 2):
        at_level = rows[rows[LEVEL] == level]
        all_met = at_level.groupby("index")["met"].all().reindex(base.index, fill_value=False)
        met[level] = all_met.astype(bool)
        # A plain loop: joining strings through a pandas groupby costs a frame per group.
        figures: dict[int, str] = {}
        for position, figure in zip(at_level["index"], at_level["figure"], strict=True):
            figures[position] = f"{figures[position]}; {figure}" if position in figures else figure
        text[level] = [
            figures.get(position, "no usage threshold is defined for this level")
            for position in base.index
        ]
    return met, text


def evidence_standing(evidence: pd.DataFrame, params: LadderParams) -> pd.DataFrame:
    """Per claim: whether it counts (proven, complete and fresh), what it lacks, and a rank.

    The rank orders how close a claim is to counting, worst first: 0 not proven, 1 proven but
    lacking something, 2 complete but stale, 3 counts.
    """
    _require(evidence, EVIDENCE_COLUMNS, "evidence")
    claims = evidence[list(EVIDENCE_COLUMNS)].reset_index(drop=True)
    confirmed_at = pd.to_datetime(claims[CONFIRMED_ON], errors="coerce")
    # A claim confirmed after ``as_of`` was not proven yet on that day.
    claims.loc[confirmed_at > pd.Timestamp(params.as_of), STATUS] = UNPROVEN
    proven = claims[STATUS] == PROVEN
    has_figures = claims[BASELINE].notna() & claims[CURRENT].notna()
    fresh = confirmed_at.notna() & (confirmed_at >= pd.Timestamp(params.fresh_since))
    claims[LACKS] = [
        _lacks(*row)
        for row in zip(
            claims[LEVEL],
            has_figures,
            claims[ANSWERED_ROLE],
            claims[ANSWERED_ACTIVE],
            pd.to_datetime(claims[ANSWERER_LEFT_ON], errors="coerce"),
            confirmed_at,
            strict=True,
        )
    ]
    complete = claims[LACKS].isna()
    claims["rank"] = 0
    claims.loc[proven & ~complete, "rank"] = 1
    claims.loc[proven & complete & ~fresh, "rank"] = 2
    claims.loc[proven & complete & fresh, "rank"] = 3
    claims[COUNTS] = claims["rank"] == 3
    claims["confirmed"] = [None if pd.isna(at) else at.date() for at in confirmed_at]
    return claims


def _evidence_levels(
    base: pd.DataFrame, evidence: pd.DataFrame, params: LadderParams
) -> tuple[dict[int, pd.Series], dict[int, list[str]], list[dict[int, list[int]]]]:
    """Per level 3 and 4: whether valid fresh proven evidence exists, or why it does not; and per
    pursuit, the claims that count at each level."""
    standing = evidence_standing(evidence, params)
    claims = base.reset_index()[["index", *_KEY]].merge(standing, on=_KEY)
    counted: list[dict[int, list[int]]] = [{} for _ in range(len(base))]
    for position, level, claim in zip(
        claims["index"][claims[COUNTS]],
        claims[LEVEL][claims[COUNTS]],
        claims[EVIDENCE][claims[COUNTS]],
        strict=True,
    ):
        counted[position].setdefault(int(level), []).append(int(claim))
    met: dict[int, pd.Series] = {}
    text: dict[int, list[str]] = {}
    for level in (3, 4):
        # The best state a claim can be in: the reason shown is the best one found.
        at_level = claims[claims[LEVEL] == level].sort_values("rank", kind="stable")
        best = at_level.drop_duplicates("index", keep="last").set_index("index")
        best = best.reindex(base.index)
        met[level] = (best["rank"] == 3).fillna(False).astype(bool)
        text[level] = [
            _evidence_text(rank, status, confirmed, lacks, params)
            for rank, status, confirmed, lacks in zip(
                best["rank"], best[STATUS], best["confirmed"], best[LACKS], strict=True
            )
        ]
    return met, text, counted


def _lacks(level, has_figures: bool, role, active, left_on, confirmed_at) -> str | None:
    """What a claim lacks before it counts, or None when nothing."""
    answered = isinstance(role, str) and role != ""
    if level == 3:
        if has_figures or answered:
            return None
        return "a baseline and a current value, or the customer's confirmation through a link"
    if not has_figures:
        return "figures (a baseline and a current value)"
    if not answered:
        return (
            "the customer's answer: only the account's Owner, answering a confirmation link "
            "addressed to them, proves ROI"
        )
    if role != OWNER:
        return (
            f"an Owner's confirmation: it was answered by a {role.title()}, and only the "
            f"account's Owner confirms ROI"
        )
    if (not pd.isna(active) and not active) or (
        not pd.isna(left_on) and (pd.isna(confirmed_at) or left_on <= confirmed_at)
    ):
        return "an active Owner's confirmation: the answering Owner had left by then"
    return None


def _evidence_text(rank, status, confirmed, lacks, params: LadderParams) -> str:
    if pd.isna(rank):
        return "no evidence yet; usage alone never proves this level"
    if rank == 3:
        return f"proven evidence confirmed on {confirmed.isoformat()}"
    if rank == 2:
        return (
            f"the evidence is stale: confirmed on "
            f"{confirmed.isoformat() if isinstance(confirmed, date) else 'no date'}, "
            f"more than {params.stale_days} days ago"
        )
    if rank == 1:
        return f"the proven evidence lacks {lacks}"
    if status == ATTESTED:
        return (
            "the evidence is attested in person by a leader, which never counts as the "
            "customer's confirmation"
        )
    return f"the evidence is {status}, not proven"
