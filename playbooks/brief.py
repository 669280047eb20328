"""The account brief: an account's records compressed into facts by deterministic rules, each
line citing the record it comes from. Plain Python over a gathered ``BriefFacts``: no Django,
no clock, so each rule is tested on hand-built facts.

Risks come first, then plain facts, then strengths, so nothing favourable is read before what
threatens the account; where data is missing a rule says so as a risk or a plain fact, never as
good news.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from health.forecast import RenewalOdds
from playbooks.sentiment import WINDOW_DAYS, Shift

RISK, FACT, STRENGTH = "risk", "fact", "strength"
TONE_ORDER = {RISK: 0, FACT: 1, STRENGTH: 2}
LEVEL_NAMES = {0: "no level", 1: "Presence", 2: "Engagement", 3: "Use-case value", 4: "ROI"}

SEATS_LOW = 0.5  # below this share of seats active, contract use is a risk
SEATS_HEALTHY = 0.8  # at or above it, a strength
USAGE_FALL = 0.2  # a fall of this share on the prior window is a risk
SENTIMENT_MOVE = 0.1  # a change in mean VADER score smaller than this is no shift
SILENCE_DAYS = 30  # this long without a conversation is silence
RENEWAL_WINDOW_DAYS = 120  # renewal work starts this long before the date
RENEWAL_ODDS_LOW = 0.8  # a chance to renew below this is a risk; a forecast is never a strength


@dataclass(frozen=True)
class Source:
    """The record a line cites: what it is and where it is shown."""

    label: str
    url: str


@dataclass(frozen=True)
class Line:
    tone: str
    topic: str
    text: str
    source: Source


@dataclass(frozen=True)
class UseCaseFact:
    name: str
    level: int
    gap: str  # why the next level is not reached, as the ladder wrote it; "" at level 4
    source: Source


@dataclass(frozen=True)
class Departure:
    name: str
    role: str
    left_on: dt.date
    source: Source


@dataclass(frozen=True)
class Promise:
    outcome: str
    status: str  # its label: Broken, Disputed
    source: Source


@dataclass(frozen=True)
class BriefFacts:
    """Everything the rules read of one account, as of ``today``."""

    today: dt.date
    account: Source
    band: str | None  # green, yellow, red, insufficient; None before any score
    total: float | None
    health_week: dt.date | None
    health: Source
    licensed_seats: int
    active_users: float | None
    active_users_prior: float | None
    usage: Source
    use_cases: tuple[UseCaseFact, ...]
    departures: tuple[Departure, ...]  # Owners and Champions who left in the window
    missing_roles: tuple[str, ...]  # Owner, Champion: not on the map among active people
    stakeholders: Source
    open_p1: int
    open_tickets: int
    tickets_recent: int  # opened in the last WINDOW_DAYS
    tickets_prior: int  # opened in the WINDOW_DAYS before
    support: Source
    sentiment: Shift
    sentiment_sources: dict  # Text.ref -> Source, for the most negative text
    last_conversation: dt.date | None
    conversation: Source
    open_tasks: int
    overdue_tasks: int
    tasks: Source
    promises: tuple[Promise, ...]  # broken or disputed promises from the sales handoff
    renewal_date: dt.date | None
    renewal: Source
    renewal_odds: RenewalOdds
    forecast: Source


Rule = Callable[[BriefFacts], list[Line]]


def _day(day: dt.date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def health_rule(facts: BriefFacts) -> list[Line]:
    if facts.band is None:
        return [
            Line(RISK, "Health", "No health score yet: nothing says how it stands.", facts.health)
        ]
    if facts.band == "insufficient" or facts.total is None:
        text = "Health could not be scored: too little data to judge the account."
        return [Line(RISK, "Health", text, facts.health)]
    text = f"Health is {facts.band.capitalize()}: {facts.total:.0f} of 100"
    if facts.health_week:
        text += f" (week of {_day(facts.health_week)})"
    tone = STRENGTH if facts.band == "green" else RISK
    return [Line(tone, "Health", text + ".", facts.health)]


def usage_rule(facts: BriefFacts) -> list[Line]:
    if facts.active_users is None:
        return [Line(RISK, "Contract vs use", "No usage data: actual use is unknown.", facts.usage)]
    active = int(facts.active_users)
    if facts.licensed_seats <= 0:
        text = f"{active} users active; no licensed seats recorded to compare with."
        return [Line(FACT, "Contract vs use", text, facts.usage)]
    share = facts.active_users / facts.licensed_seats
    text = f"{active} of {facts.licensed_seats} seats active ({share:.0%})"
    prior = facts.active_users_prior
    falling = bool(prior) and facts.active_users < prior * (1 - USAGE_FALL)
    if falling:
        text += f", down from {int(prior)}"
    tone = FACT
    if falling or share < SEATS_LOW:
        tone = RISK
    elif share >= SEATS_HEALTHY:
        tone = STRENGTH
    return [Line(tone, "Contract vs use", text + ".", facts.usage)]


def ladder_rule(facts: BriefFacts) -> list[Line]:
    if not facts.use_cases:
        text = "No use case pursued: no value can be proven yet."
        return [Line(RISK, "Value ladder", text, facts.account)]
    lines = []
    for use_case in facts.use_cases:
        text = f"{use_case.name}: level {use_case.level}, {LEVEL_NAMES[use_case.level]}"
        if use_case.level < 4:
            unproven = ", ".join(LEVEL_NAMES[level] for level in range(use_case.level + 1, 5))
            text += f"; unproven: {unproven}"
            if use_case.gap:
                text += f" ({use_case.gap})"
        tone = RISK if use_case.level == 0 else STRENGTH if use_case.level >= 3 else FACT
        lines.append(Line(tone, "Value ladder", text + ".", use_case.source))
    return lines


def stakeholder_rule(facts: BriefFacts) -> list[Line]:
    lines = [
        Line(
            RISK,
            "Stakeholders",
            f"{departure.role} {departure.name} left on {_day(departure.left_on)}.",
            departure.source,
        )
        for departure in facts.departures
    ]
    lines.extend(
        Line(RISK, "Stakeholders", f"No {role} on the stakeholder map.", facts.stakeholders)
        for role in facts.missing_roles
    )
    return lines


def support_rule(facts: BriefFacts) -> list[Line]:
    lines = []
    if facts.open_p1:
        text = f"{facts.open_p1} open P1 ticket{'s' if facts.open_p1 != 1 else ''}."
        lines.append(Line(RISK, "Support", text, facts.support))
    recent, prior = facts.tickets_recent, facts.tickets_prior
    trend = f"{recent} tickets opened in the last {WINDOW_DAYS} days against {prior} before"
    tone = RISK if recent > prior else STRENGTH if recent < prior else FACT
    lines.append(Line(tone, "Support", f"{trend}; {facts.open_tickets} open.", facts.support))
    return lines


def sentiment_rule(facts: BriefFacts) -> list[Line]:
    shift = facts.sentiment
    if shift.recent is None:
        text = f"No notes or survey comments in the last {WINDOW_DAYS} days to read sentiment in."
        return [Line(FACT, "Sentiment", text, facts.conversation)]
    source = facts.sentiment_sources.get(shift.lowest.ref, facts.conversation)
    counts = f"{shift.recent_count} texts against {shift.prior_count}"
    if shift.change is None:
        text = f"Sentiment in notes and comments {shift.recent:+.2f} (no earlier texts; {counts})."
        tone = RISK if shift.recent < 0 else FACT
    else:
        moved = (
            "fell"
            if shift.change <= -SENTIMENT_MOVE
            else "rose"
            if shift.change >= SENTIMENT_MOVE
            else "held"
        )
        text = (
            f"Sentiment in notes and comments {moved}: {shift.prior:+.2f} to {shift.recent:+.2f}, "
            f"last {WINDOW_DAYS} days against the {WINDOW_DAYS} before ({counts})."
        )
        tone = {"fell": RISK, "rose": STRENGTH, "held": FACT}[moved]
        if moved == "held" and shift.recent < 0:
            tone = RISK
    return [Line(tone, "Sentiment", text, source)]


def silence_rule(facts: BriefFacts) -> list[Line]:
    if facts.last_conversation is None:
        text = "No conversation with the customer recorded."
        return [Line(RISK, "Silence", text, facts.conversation)]
    days = (facts.today - facts.last_conversation).days
    text = f"{days} days since the last conversation ({_day(facts.last_conversation)})."
    return [Line(RISK if days > SILENCE_DAYS else FACT, "Silence", text, facts.conversation)]


def tasks_rule(facts: BriefFacts) -> list[Line]:
    if not facts.open_tasks:
        return []
    text = f"{facts.open_tasks} open task{'s' if facts.open_tasks != 1 else ''}"
    if facts.overdue_tasks:
        return [Line(RISK, "Tasks", f"{text}, {facts.overdue_tasks} overdue.", facts.tasks)]
    return [Line(FACT, "Tasks", text + ", none overdue.", facts.tasks)]


def promises_rule(facts: BriefFacts) -> list[Line]:
    return [
        Line(
            RISK,
            "Handoff promises",
            f"{promise.status} promise: {promise.outcome}.",
            promise.source,
        )
        for promise in facts.promises
    ]


def renewal_rule(facts: BriefFacts) -> list[Line]:
    if facts.renewal_date is None:
        return [Line(FACT, "Renewal", "No renewal date recorded.", facts.renewal)]
    days = (facts.renewal_date - facts.today).days
    if days < 0:
        text = f"The renewal date {_day(facts.renewal_date)} has passed without a new one."
        return [Line(RISK, "Renewal", text, facts.renewal)]
    text = f"Renews on {_day(facts.renewal_date)}, in {days} days"
    if days <= RENEWAL_WINDOW_DAYS:
        text += "; the renewal window is open"
    return [Line(FACT, "Renewal", text + ".", facts.renewal)]


def forecast_rule(facts: BriefFacts) -> list[Line]:
    odds = facts.renewal_odds
    if odds.probability is None:
        text = (
            f"Renewal forecast: too little history, {odds.history} past renewals in the "
            f"workspace where {odds.needed} are needed."
        )
        return [Line(FACT, "Renewal forecast", text, facts.forecast)]
    text = (
        f"Renewal forecast: {odds.probability:.0%} chance to renew, from {odds.cell_renewals} "
        f"past renewals of accounts like it ({odds.history} in the workspace)."
    )
    tone = RISK if odds.probability < RENEWAL_ODDS_LOW else FACT
    return [Line(tone, "Renewal forecast", text, facts.forecast)]


RULES: tuple[Rule, ...] = (
    health_rule,
    stakeholder_rule,
    promises_rule,
    usage_rule,
    support_rule,
    sentiment_rule,
    silence_rule,
    tasks_rule,
    ladder_rule,
    renewal_rule,
    forecast_rule,
)


def brief_lines(facts: BriefFacts, rules: tuple[Rule, ...] = RULES) -> list[Line]:
    """Every rule's lines, risks first, then facts, then strengths; within a tone, in the
    order of ``rules``."""
    lines = [line for rule in rules for line in rule(facts)]
    return sorted(lines, key=lambda line: TONE_ORDER[line.tone])


def brief_markdown(facts: BriefFacts, lines: list[Line], *, base_url: str) -> str:
    """The brief as Markdown for export, each line linking its source by absolute URL."""
    titles = {RISK: "Risks", FACT: "Facts", STRENGTH: "Strengths"}
    parts = [f"# Account brief: {facts.account.label}", "", f"As of {_day(facts.today)}."]
    for tone, title in titles.items():
        chosen = [line for line in lines if line.tone == tone]
        if chosen:
            parts += ["", f"## {title}", ""]
            parts += [
                f"- **{line.topic}**: {line.text} "
                f"([{line.source.label}]({base_url}{line.source.url}))"
                for line in chosen
            ]
    return "\n".join(parts) + "\n"
