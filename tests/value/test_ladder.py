"""The ladder rules on hand-built frames: each rule shown with named data."""

from datetime import date

import pandas as pd
import pytest

from value.ladder import (
    EVIDENCE_COLUMNS,
    THRESHOLD_COLUMNS,
    USAGE_COLUMNS,
    LadderParams,
    ladder_levels,
)

AS_OF = date(2026, 6, 30)
ACME, GLOBEX = 1, 2
TRIAGE = 10
WAU, TRIAGES = 100, 101
PARAMS = LadderParams(as_of=AS_OF, stale_days=180)

# Triage: presence = weekly active users ≥ 60% of seats; engagement = ≥ 200 triages a week.
THRESHOLDS = pd.DataFrame(
    [
        (TRIAGE, 1, WAU, "Weekly active users", 0.6, True),
        (TRIAGE, 2, TRIAGES, "Automated triages", 200, False),
    ],
    columns=list(THRESHOLD_COLUMNS),
)


def pursuits(*accounts):
    return pd.DataFrame(
        [(account, TRIAGE, 100) for account in accounts],
        columns=["account_id", "use_case_id", "licensed_seats"],
    )


def usage(rows):
    return pd.DataFrame(rows, columns=list(USAGE_COLUMNS))


# The customer's answer through a link (role then, active then, left on since): none.
NOT_ANSWERED = (None, None, None)


def evidence(rows):
    """Claims numbered from 1; a row of seven values is one no customer answered a link for."""
    padded = [
        (number, *row, *(() if len(row) == len(EVIDENCE_COLUMNS) - 1 else NOT_ANSWERED))
        for number, row in enumerate(rows, start=1)
    ]
    return pd.DataFrame(padded, columns=list(EVIDENCE_COLUMNS))


NO_EVIDENCE = evidence([])
ENGAGED_ACME = usage([(ACME, WAU, 70), (ACME, TRIAGES, 250)])
ACME_SAVED_HOURS = (ACME, TRIAGE, 3, "proven", 40.0, 12.0, date(2026, 5, 1))
ACME_ROI = (ACME, TRIAGE, 4, "proven", 0.0, 90000.0, date(2026, 5, 2))
ACME_ROI_BY_OWNER = (*ACME_ROI, "owner", True, None)


def level_of(result, account=ACME):
    return int(result.set_index("account_id").loc[account, "level"])


def test_it_reaches_presence_when_active_users_meet_the_seat_share():
    result = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=usage([(ACME, WAU, 60)]),
        evidence=NO_EVIDENCE,
        params=PARAMS,
    )
    assert level_of(result) == 1
    reasons = result.loc[0, "reasons"]
    assert reasons[0].startswith("Reached: Weekly active users 60 of 60 needed (60% of 100")
    assert reasons[1].startswith("Not reached: Automated triages 0 of 200 needed")


def test_it_never_reaches_level_3_from_usage_alone():
    huge_usage = usage([(ACME, WAU, 10_000), (ACME, TRIAGES, 1_000_000)])
    result = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=huge_usage,
        evidence=NO_EVIDENCE,
        params=PARAMS,
    )
    assert level_of(result) == 2
    assert "usage alone never proves" in result.loc[0, "reasons"][2]


def test_it_reaches_use_case_value_with_proven_fresh_evidence():
    result = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=ENGAGED_ACME,
        evidence=evidence([ACME_SAVED_HOURS]),
        params=PARAMS,
    )
    assert level_of(result) == 3


def test_it_reaches_roi_with_confirmed_evidence_on_top_of_level_3():
    result = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=ENGAGED_ACME,
        evidence=evidence([ACME_SAVED_HOURS, ACME_ROI_BY_OWNER]),
        params=PARAMS,
    )
    assert level_of(result) == 4
    assert all(reason.startswith("Reached") for reason in result.loc[0, "reasons"])


def test_it_does_not_let_roi_evidence_skip_a_missing_level_3():
    result = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=ENGAGED_ACME,
        evidence=evidence([ACME_ROI_BY_OWNER]),
        params=PARAMS,
    )
    assert level_of(result) == 2
    assert result.loc[0, "reasons"][3].startswith("Not reached: level 3 is not reached")


def test_it_does_not_let_evidence_skip_missing_usage_levels():
    result = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=usage([(ACME, WAU, 5)]),
        evidence=evidence([ACME_SAVED_HOURS, ACME_ROI_BY_OWNER]),
        params=PARAMS,
    )
    assert level_of(result) == 0
    assert result.loc[0, "reasons"][2].startswith("Not reached: level 2 is not reached")


def test_it_stops_counting_stale_evidence():
    stale = (ACME, TRIAGE, 3, "proven", 40.0, 12.0, date(2025, 12, 31))
    result = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=ENGAGED_ACME,
        evidence=evidence([stale]),
        params=PARAMS,
    )
    assert level_of(result) == 2
    assert "stale" in result.loc[0, "reasons"][2]


def test_it_counts_evidence_confirmed_exactly_at_the_stale_limit():
    edge = (ACME, TRIAGE, 3, "proven", 40.0, 12.0, date(2026, 1, 1))
    result = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=ENGAGED_ACME,
        evidence=evidence([edge]),
        params=PARAMS,
    )
    assert level_of(result) == 3


def test_it_does_not_count_evidence_confirmed_after_as_of():
    later = (ACME, TRIAGE, 3, "proven", 40.0, 12.0, date(2026, 7, 1))
    on_the_day = (ACME, TRIAGE, 3, "proven", 40.0, 12.0, AS_OF)
    result = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=ENGAGED_ACME,
        evidence=evidence([later, on_the_day]),
        params=PARAMS,
    )
    assert level_of(result) == 3
    result = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=ENGAGED_ACME,
        evidence=evidence([later]),
        params=PARAMS,
    )
    assert level_of(result) == 2
    assert result.loc[0, "reasons"][2] == "Not reached: the evidence is unproven, not proven"


@pytest.mark.parametrize(
    "claim, reason",
    [
        ((ACME, TRIAGE, 3, "unproven", 40.0, 12.0, date(2026, 5, 1)), "unproven"),
        ((ACME, TRIAGE, 3, "disputed", 40.0, 12.0, date(2026, 5, 1)), "disputed"),
        ((ACME, TRIAGE, 3, "proven", None, 12.0, date(2026, 5, 1)), "lacks a baseline"),
    ],
    ids=["unproven", "disputed", "no-baseline"],
)
def test_it_ignores_evidence_that_is_not_proven_or_incomplete(claim, reason):
    result = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=ENGAGED_ACME,
        evidence=evidence([claim]),
        params=PARAMS,
    )
    assert level_of(result) == 2
    assert reason in result.loc[0, "reasons"][2]


def roi_answered_by(role, *, active=True, left_on=None):
    return (*ACME_ROI, role, active, left_on)


def ladder_with_roi(claim):
    return ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=ENGAGED_ACME,
        evidence=evidence([ACME_SAVED_HOURS, claim]),
        params=PARAMS,
    )


def test_it_refuses_roi_proven_without_the_customers_answer():
    result = ladder_with_roi(ACME_ROI)
    assert level_of(result) == 3
    assert "only the account's Owner, answering a confirmation link" in result.loc[0, "reasons"][3]


def test_it_reaches_roi_when_the_accounts_owner_answers():
    result = ladder_with_roi(roi_answered_by("owner"))
    assert level_of(result) == 4
    assert result.loc[0, "reasons"][3].startswith("Reached: proven evidence confirmed on")


def test_it_refuses_roi_answered_by_a_champion():
    result = ladder_with_roi(roi_answered_by("champion"))
    assert level_of(result) == 3
    assert (
        "answered by a Champion, and only the account's Owner confirms ROI"
        in (result.loc[0, "reasons"][3])
    )


def test_it_refuses_roi_answered_by_an_owner_who_had_left_then():
    result = ladder_with_roi(roi_answered_by("owner", active=False))
    assert level_of(result) == 3
    assert "the answering Owner had left by then" in result.loc[0, "reasons"][3]


def test_it_refuses_roi_answered_by_an_owner_recorded_since_as_gone_by_then():
    result = ladder_with_roi(roi_answered_by("owner", left_on=date(2026, 5, 2)))
    assert level_of(result) == 3


def test_it_counts_an_owner_who_left_after_answering():
    assert level_of(ladder_with_roi(roi_answered_by("owner", left_on=date(2026, 5, 3)))) == 4


def test_it_refuses_roi_without_figures_even_from_the_owner():
    answered = (ACME, TRIAGE, 4, "proven", None, None, date(2026, 5, 2), "owner", True, None)
    result = ladder_with_roi(answered)
    assert level_of(result) == 3
    assert "figures" in result.loc[0, "reasons"][3]


def test_it_never_counts_an_attested_roi_claim():
    attested = (ACME, TRIAGE, 4, "attested", 0.0, 90000.0, date(2026, 5, 2))
    result = ladder_with_roi(attested)
    assert level_of(result) == 3
    assert "attested in person" in result.loc[0, "reasons"][3]


def test_it_reaches_use_case_value_without_figures_when_the_customer_confirmed():
    confirmed = (ACME, TRIAGE, 3, "proven", None, None, date(2026, 5, 1), "producer", True, None)
    free_text = (ACME, TRIAGE, 3, "proven", None, None, date(2026, 5, 1))
    levels = [
        level_of(
            ladder_levels(
                pursuits=pursuits(ACME),
                thresholds=THRESHOLDS,
                usage=ENGAGED_ACME,
                evidence=evidence([claim]),
                params=PARAMS,
            )
        )
        for claim in (confirmed, free_text)
    ]
    assert levels == [3, 2]


def test_it_lists_the_claims_that_count_at_the_levels_reached():
    stale = (ACME, TRIAGE, 3, "proven", 40.0, 12.0, date(2025, 1, 1))
    result = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=ENGAGED_ACME,
        evidence=evidence([ACME_SAVED_HOURS, stale, ACME_ROI_BY_OWNER]),
        params=PARAMS,
    )
    assert result.loc[0, "proofs"] == [1, 3]
    usage_only = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS,
        usage=usage([(ACME, WAU, 5)]),
        evidence=evidence([ACME_SAVED_HOURS]),
        params=PARAMS,
    )
    assert usage_only.loc[0, "proofs"] == []


def test_it_keeps_accounts_apart():
    result = ladder_levels(
        pursuits=pursuits(ACME, GLOBEX),
        thresholds=THRESHOLDS,
        usage=ENGAGED_ACME,
        evidence=evidence([ACME_SAVED_HOURS]),
        params=PARAMS,
    )
    assert level_of(result, ACME) == 3
    assert level_of(result, GLOBEX) == 0


def test_it_cannot_reach_a_level_with_no_threshold():
    result = ladder_levels(
        pursuits=pursuits(ACME),
        thresholds=THRESHOLDS[THRESHOLDS["level"] == 2],
        usage=ENGAGED_ACME,
        evidence=NO_EVIDENCE,
        params=PARAMS,
    )
    assert level_of(result) == 0
    assert "no usage threshold" in result.loc[0, "reasons"][0]


def test_it_returns_an_empty_frame_for_no_pursuits():
    result = ladder_levels(
        pursuits=pursuits(),
        thresholds=THRESHOLDS,
        usage=usage([]),
        evidence=NO_EVIDENCE,
        params=PARAMS,
    )
    assert result.empty
    assert list(result.columns) == ["account_id", "use_case_id", "level", "reasons", "proofs"]


def test_it_names_missing_columns():
    with pytest.raises(ValueError, match="usage frame lacks columns"):
        ladder_levels(
            pursuits=pursuits(ACME),
            thresholds=THRESHOLDS,
            usage=pd.DataFrame({"account_id": []}),
            evidence=NO_EVIDENCE,
            params=PARAMS,
        )
