"""The account brief's rules, each on hand-built facts, and the order that puts risks first."""

import datetime as dt
from dataclasses import replace

import pytest

from health.forecast import RenewalOdds
from playbooks import brief
from playbooks.brief import (
    FACT,
    RISK,
    STRENGTH,
    BriefFacts,
    Departure,
    Promise,
    Source,
    UseCaseFact,
)
from playbooks.sentiment import Shift, Text

TODAY = dt.date(2026, 6, 1)
SRC = Source("Record", "/record/")
QUIET = Shift(recent=None, prior=None, recent_count=0, prior_count=0, change=None, lowest=None)


def facts(**changes) -> BriefFacts:
    """A healthy account with nothing to report; each test changes what it judges."""
    base = BriefFacts(
        today=TODAY,
        account=Source("Acme", "/accounts/1/"),
        band="green",
        total=82.0,
        health_week=dt.date(2026, 5, 25),
        health=Source("Health", "/accounts/1/#panel-health"),
        licensed_seats=200,
        active_users=180.0,
        active_users_prior=175.0,
        usage=SRC,
        use_cases=(),
        departures=(),
        missing_roles=(),
        stakeholders=SRC,
        open_p1=0,
        open_tickets=0,
        tickets_recent=0,
        tickets_prior=0,
        support=Source("Tickets", "/accounts/1/signals/"),
        sentiment=QUIET,
        sentiment_sources={},
        last_conversation=dt.date(2026, 5, 20),
        conversation=Source("QBR", "/interactions/7/"),
        open_tasks=0,
        overdue_tasks=0,
        tasks=SRC,
        promises=(),
        renewal_date=dt.date(2027, 3, 1),
        renewal=SRC,
        renewal_odds=RenewalOdds(probability=0.9, cell_renewals=12, history=40, needed=20),
        forecast=Source("Renewal forecast", "/leaders/forecast/"),
    )
    return replace(base, **changes)


def tones(lines):
    return [(line.tone, line.text) for line in lines]


def test_it_states_a_red_band_with_its_score_as_a_risk():
    (line,) = brief.health_rule(facts(band="red", total=28.0))
    assert (line.tone, line.text) == (RISK, "Health is Red: 28 of 100 (week of May 25, 2026).")
    assert line.source.url == "/accounts/1/#panel-health"


def test_it_calls_a_missing_or_insufficient_score_a_risk_never_good_news():
    assert brief.health_rule(facts(band=None, total=None))[0].tone == RISK
    assert brief.health_rule(facts(band="insufficient", total=None))[0].tone == RISK


def test_it_compares_contract_with_actual_use():
    (line,) = brief.usage_rule(facts(active_users=23.0, active_users_prior=22.0))
    assert (line.tone, line.text) == (RISK, "23 of 200 seats active (12%).")


def test_it_calls_falling_use_a_risk_even_when_most_seats_are_active():
    (line,) = brief.usage_rule(facts(active_users=170.0, active_users_prior=220.0))
    assert (line.tone, line.text) == (RISK, "170 of 200 seats active (85%), down from 220.")


def test_it_calls_unknown_use_a_risk():
    assert tones(brief.usage_rule(facts(active_users=None))) == [
        (RISK, "No usage data: actual use is unknown.")
    ]


def test_it_names_each_use_cases_level_and_what_is_unproven():
    use_cases = (
        UseCaseFact("Ticket triage", 2, "no proven evidence of an improvement", SRC),
        UseCaseFact("Reporting", 4, "", SRC),
        UseCaseFact("Routing", 0, "fewer than 10 active users", SRC),
    )
    assert tones(brief.ladder_rule(facts(use_cases=use_cases))) == [
        (
            FACT,
            "Ticket triage: level 2, Engagement; unproven: Use-case value, ROI "
            "(no proven evidence of an improvement).",
        ),
        (STRENGTH, "Reporting: level 4, ROI."),
        (
            RISK,
            "Routing: level 0, no level; unproven: Presence, Engagement, Use-case value, ROI "
            "(fewer than 10 active users).",
        ),
    ]


def test_it_calls_an_account_without_use_cases_a_risk():
    assert brief.ladder_rule(facts(use_cases=()))[0].tone == RISK


def test_it_reports_each_key_departure_and_missing_role():
    departure = Departure("Dana Owner", "Owner", dt.date(2026, 5, 2), Source("Dana", "/s/3/"))
    lines = brief.stakeholder_rule(facts(departures=(departure,), missing_roles=("Champion",)))
    assert tones(lines) == [
        (RISK, "Owner Dana Owner left on May 2, 2026."),
        (RISK, "No Champion on the stakeholder map."),
    ]
    assert lines[0].source.url == "/s/3/"


def test_it_reads_support_burden_and_its_trend():
    lines = brief.support_rule(facts(open_p1=1, open_tickets=3, tickets_recent=5, tickets_prior=2))
    assert tones(lines) == [
        (RISK, "1 open P1 ticket."),
        (RISK, "5 tickets opened in the last 90 days against 2 before; 3 open."),
    ]
    (calmer,) = brief.support_rule(facts(tickets_recent=1, tickets_prior=4))
    assert calmer.tone == STRENGTH


def test_it_reports_a_sentiment_fall_citing_the_most_negative_text():
    lowest = Text(dt.date(2026, 5, 1), "angry", ("interaction", 9))
    shift = Shift(recent=-0.4, prior=0.3, recent_count=2, prior_count=3, change=-0.7, lowest=lowest)
    (line,) = brief.sentiment_rule(
        facts(sentiment=shift, sentiment_sources={("interaction", 9): Source("Call", "/i/9/")})
    )
    assert line.tone == RISK
    assert line.text.startswith("Sentiment in notes and comments fell: +0.30 to -0.40")
    assert line.source.url == "/i/9/"


def test_it_never_calls_steady_negative_sentiment_anything_but_a_risk():
    shift = Shift(
        recent=-0.5,
        prior=-0.52,
        recent_count=2,
        prior_count=2,
        change=0.02,
        lowest=Text(TODAY, "bad", "ref"),
    )
    assert brief.sentiment_rule(facts(sentiment=shift))[0].tone == RISK


def test_it_counts_the_days_of_silence():
    (line,) = brief.silence_rule(facts(last_conversation=dt.date(2026, 4, 1)))
    assert (line.tone, line.text) == (RISK, "61 days since the last conversation (Apr 1, 2026).")
    assert brief.silence_rule(facts(last_conversation=None))[0].tone == RISK
    assert brief.silence_rule(facts(last_conversation=dt.date(2026, 5, 30)))[0].tone == FACT


def test_it_reports_open_and_overdue_tasks():
    assert brief.tasks_rule(facts()) == []
    assert tones(brief.tasks_rule(facts(open_tasks=3, overdue_tasks=1))) == [
        (RISK, "3 open tasks, 1 overdue.")
    ]


def test_it_reports_broken_handoff_promises():
    promise = Promise("Cut triage time by half", "Broken", SRC)
    assert tones(brief.promises_rule(facts(promises=(promise,)))) == [
        (RISK, "Broken promise: Cut triage time by half.")
    ]


def test_it_dates_the_renewal_and_flags_a_passed_one():
    assert tones(brief.renewal_rule(facts(renewal_date=dt.date(2026, 8, 1)))) == [
        (FACT, "Renews on Aug 1, 2026, in 61 days; the renewal window is open.")
    ]
    assert brief.renewal_rule(facts(renewal_date=dt.date(2026, 5, 1)))[0].tone == RISK


def test_it_gives_the_renewal_forecast_with_the_renewals_behind_it_never_as_a_strength():
    (likely,) = brief.forecast_rule(facts())
    assert tones([likely]) == [
        (
            FACT,
            "Renewal forecast: 90% chance to renew, from 12 past renewals of accounts like it "
            "(40 in the workspace).",
        )
    ]
    assert likely.source.url == "/leaders/forecast/"
    doubtful = RenewalOdds(probability=0.55, cell_renewals=3, history=40, needed=20)
    assert brief.forecast_rule(facts(renewal_odds=doubtful))[0].tone == RISK


def test_it_says_too_little_history_instead_of_a_forecast():
    thin = RenewalOdds(probability=None, cell_renewals=0, history=7, needed=20)
    assert tones(brief.forecast_rule(facts(renewal_odds=thin))) == [
        (
            FACT,
            "Renewal forecast: too little history, 7 past renewals in the workspace where 20 "
            "are needed.",
        )
    ]


def test_it_puts_every_risk_before_every_fact_and_strength():
    lines = brief.brief_lines(
        facts(renewal_date=dt.date(2026, 5, 1), tickets_recent=1, tickets_prior=3)
    )
    order = [brief.TONE_ORDER[line.tone] for line in lines]
    assert order == sorted(order)
    assert lines[0].tone == RISK


def test_it_writes_markdown_with_absolute_citations():
    data = facts(band="red", total=28.0)
    text = brief.brief_markdown(data, brief.brief_lines(data), base_url="https://cs.example")
    assert text.startswith("# Account brief: Acme\n")
    assert "- **Health**: Health is Red: 28 of 100 (week of May 25, 2026). " in text
    assert "(https://cs.example/accounts/1/#panel-health)" in text
    assert text.index("## Risks") < text.index("## Strengths")


@pytest.mark.parametrize("rule", brief.RULES, ids=lambda rule: rule.__name__)
def test_it_cites_a_record_on_every_line_of_every_rule(rule):
    busy = facts(
        band="red",
        total=20.0,
        departures=(Departure("D", "Owner", TODAY, SRC),),
        promises=(Promise("P", "Broken", SRC),),
        open_tasks=1,
        use_cases=(UseCaseFact("U", 1, "", SRC),),
    )
    assert all(line.source.url for line in rule(busy))
