"""The attention ranking on hand-built frames: the documented formula, point by point."""

import math

import pandas as pd
import pytest

from playbooks.attention import (
    FACTORS,
    SCORE,
    AttentionWeights,
    attention_rank,
    attention_reasons,
)

COLUMNS = (
    "account_id",
    "band",
    "change",
    "arr",
    "renewal_days",
    "value_delta",
    "open_items",
    "overdue_items",
    "stakeholder_changes",
    "silence_days",
    "unproven_claims",
)
NAN = math.nan


def portfolio(*rows) -> pd.DataFrame:
    return pd.DataFrame([dict(zip(COLUMNS, row, strict=True)) for row in rows], columns=COLUMNS)


# A: Red, -10 on last week, the largest ARR, renews in 30 days, half the largest unrealised
# value, 2 open items of which 1 overdue, 1 departure, 30 days silent, 3 unproven claims.
ACCOUNT_A = (1, "red", -10.0, 100_000.0, 30.0, 5_000.0, 2, 1, 1, 30.0, 3)
# B: Green and rising, half the ARR, renews in 200 days (outside the horizon), the largest
# unrealised value, never spoken to, 2 unproven claims that do not count so far from renewal.
ACCOUNT_B = (2, "green", 5.0, 50_000.0, 200.0, 10_000.0, 0, 0, 0, NAN, 2)
# C: no score, no exchange rate, no renewal date, spoken to today: nothing calls for attention.
ACCOUNT_C = (3, "", NAN, NAN, NAN, 0.0, 0, 0, 0, 0.0, 0)


def test_it_scores_a_hand_built_portfolio_by_the_documented_formula():
    ranked = attention_rank(portfolio(ACCOUNT_C, ACCOUNT_B, ACCOUNT_A), AttentionWeights())
    # A: 30 risk + 10*0.5 trend + 20*0.75 renewal + 15*1 ARR + 10*0.5 value + 10*3/6 work
    #    + 15*1/2 people + 10*30/60 silence + 10*3/3 unproven = 97.5
    # B: 15*0.5 ARR + 10*1 value + 10*1 silence (never spoken to) = 27.5
    assert list(ranked["account_id"]) == [1, 2, 3]
    assert list(ranked[SCORE]) == [97.5, 27.5, 0.0]
    a = ranked.iloc[0]
    assert {key: a[f"points_{key}"] for key in FACTORS} == {
        "risk": 30.0,
        "trend": 5.0,
        "renewal": 15.0,
        "arr": 15.0,
        "value_delta": 5.0,
        "work": 5.0,
        "stakeholders": 7.5,
        "silence": 5.0,
        "unproven": 10.0,
    }


def test_it_lists_the_reasons_with_points_largest_first():
    ranked = attention_rank(portfolio(ACCOUNT_A, ACCOUNT_B), AttentionWeights())
    assert attention_reasons(ranked.iloc[1]) == [
        ("value_delta", 10.0),
        ("silence", 10.0),
        ("arr", 7.5),
    ]
    assert [key for key, _ in attention_reasons(ranked.iloc[0])][:3] == [
        "risk",
        "renewal",
        "arr",
    ]


def test_it_follows_the_workspace_weights():
    weights = AttentionWeights(risk=0, arr=100, renewal_horizon_days=10)
    ranked = attention_rank(portfolio(ACCOUNT_A, ACCOUNT_B), weights)
    a = ranked.set_index("account_id").loc[1]
    assert a["points_risk"] == 0 and a["points_arr"] == 100
    # 30 days out is outside a 10-day horizon: no renewal points, no unproven-claim points.
    assert a["points_renewal"] == 0 and a["points_unproven"] == 0


def test_it_counts_a_past_renewal_in_full():
    ranked = attention_rank(
        portfolio((1, "green", 0.0, 0.0, -5.0, 0.0, 0, 0, 0, 0.0, 0)), AttentionWeights()
    )
    assert ranked.iloc[0]["points_renewal"] == 20.0


def test_it_ranks_an_empty_portfolio_to_an_empty_frame():
    ranked = attention_rank(portfolio(), AttentionWeights())
    assert ranked.empty and SCORE in ranked.columns


def test_it_breaks_ties_by_account_id():
    ranked = attention_rank(portfolio(ACCOUNT_C, (2, *ACCOUNT_C[1:])), AttentionWeights())
    assert list(ranked["account_id"]) == [2, 3]


def test_it_refuses_a_frame_without_its_columns():
    with pytest.raises(ValueError, match="silence_days"):
        attention_rank(portfolio(ACCOUNT_A).drop(columns=["silence_days"]), AttentionWeights())
