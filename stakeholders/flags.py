"""The success-plan and relationship flags of one account, from facts gathered beforehand.

Pure: no Django, no clock. The selector gathers ``AccountFacts`` in a fixed number of queries
and passes ``today``, so every rule is tested on hand-built facts at both sides of its threshold.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

NO_PLAN = "no_plan"
PLAN_NOT_REVIEWED = "plan_not_reviewed"
OBJECTIVE_WITHOUT_OWNER = "objective_without_owner"
KEY_STAKEHOLDER_LEFT = "key_stakeholder_left"
RELATIONSHIP_THEATRE = "relationship_theatre"


@dataclass(frozen=True)
class Thresholds:
    plan_due_days: int = 30
    review_due_days: int = 100
    departure_signal_days: int = 90
    theatre_window_days: int = 90
    theatre_min_interactions: int = 6


@dataclass(frozen=True)
class Departure:
    role_label: str
    left_on: date


@dataclass(frozen=True)
class AccountFacts:
    """What the flags read of one account. The counts cover the theatre window: meetings are
    interactions a customer took part in (a note to self is none), and changes are the
    account's recorded evidence changes and plan starts and reviews, not a box ticked on an
    interaction."""

    contract_start: date | None
    has_plan: bool = False
    plan_reviewed_or_started_on: date | None = None
    objectives_without_owner: int = 0
    departures: tuple[Departure, ...] = field(default_factory=tuple)
    meetings_in_window: int = 0
    evidence_changes_in_window: int = 0
    plan_changes_in_window: int = 0


@dataclass(frozen=True)
class Flag:
    code: str
    message: str


def _days(count: int, unit: str = "day") -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def account_flags(facts: AccountFacts, *, thresholds: Thresholds, today: date) -> list[Flag]:
    """Every flag the account raises today, most urgent rule first."""
    flags = []
    if (
        not facts.has_plan
        and facts.contract_start is not None
        and (today - facts.contract_start).days > thresholds.plan_due_days
    ):
        days = (today - facts.contract_start).days
        flags.append(Flag(NO_PLAN, f"No success plan {_days(days)} after contract start."))
    if facts.has_plan and facts.plan_reviewed_or_started_on is not None:
        days = (today - facts.plan_reviewed_or_started_on).days
        if days > thresholds.review_due_days:
            flags.append(
                Flag(PLAN_NOT_REVIEWED, f"The plan has not been reviewed in {_days(days)}.")
            )
    if facts.objectives_without_owner:
        count = facts.objectives_without_owner
        flags.append(
            Flag(
                OBJECTIVE_WITHOUT_OWNER,
                f"{count} objective{' has' if count == 1 else 's have'} no owner.",
            )
        )
    signal_start = today - timedelta(days=thresholds.departure_signal_days)
    for departure in facts.departures:
        if signal_start <= departure.left_on <= today:
            days = (today - departure.left_on).days
            flags.append(
                Flag(KEY_STAKEHOLDER_LEFT, f"{departure.role_label} left {_days(days)} ago.")
            )
    if (
        facts.meetings_in_window >= thresholds.theatre_min_interactions
        and facts.evidence_changes_in_window == 0
        and facts.plan_changes_in_window == 0
    ):
        flags.append(
            Flag(
                RELATIONSHIP_THEATRE,
                f"{_days(facts.meetings_in_window, 'meeting')} with the customer in "
                f"{_days(thresholds.theatre_window_days)} and no evidence or plan changed.",
            )
        )
    return flags
