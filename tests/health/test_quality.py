"""Model-quality figures on a small built history, against figures computed by hand."""

import datetime as dt
import math

import pandas as pd

from health import quality
from health import scoring as s

RENEWAL = dt.date(2026, 6, 30)  # a Tuesday
WEEK_90 = dt.date(2026, 3, 30)  # Monday of the week of April 1, 90 days before
MODEL = s.ScoringModel(
    dimensions=(
        s.Dimension("usage", "usage_vs_contract", 50),
        s.Dimension("support", "support_burden", 50),
    )
)


def test_it_computes_churn_by_band_and_auc_as_by_hand():
    outcomes = pd.DataFrame(
        {
            "account_id": [1, 2, 3, 4, 5],
            "renewal": [RENEWAL] * 5,
            "outcome": ["churned", "renewed", "churned", "expanded", "renewed"],
        }
    )
    snapshots = pd.DataFrame(
        {
            "account_id": [1, 2, 3, 4, 5],
            "week": [WEEK_90] * 5,
            # totals: 20 (red), 40 (red), 60 (yellow), 90 (green), 60 (yellow)
            "scores": [
                {"usage": 2, "support": 2},
                {"usage": 4, "support": 4},
                {"usage": 6, "support": 6},
                {"usage": 9, "support": 9},
                {"usage": 8, "support": 4},
            ],
        }
    )
    at_90, at_180 = quality.figures(outcomes, snapshots, MODEL)
    assert at_90.renewals == 5 and at_180.renewals == 0
    assert at_90.churn["churn_rate"].to_dict() == {"green": 0.0, "yellow": 0.5, "red": 0.5}
    # Shortfalls: churned 80, 40; kept 60, 10, 40. Pairs ranked right: (80 > all three) 3,
    # (40 > 10) 1, (40 = 40) a half, (40 < 60) 0: 4.5 of 6.
    assert at_90.auc == 0.75
    assert at_90.table.loc["red", "churned"] == 1 and at_90.table.loc["green", "expanded"] == 1
    assert math.isnan(at_180.auc)


def test_it_judges_a_proposed_weighting_on_the_same_history():
    scores = pd.Series([{"usage": 10, "support": 0}])
    usage_heavy = s.ScoringModel(
        dimensions=(
            s.Dimension("usage", "usage_vs_contract", 80),
            s.Dimension("support", "support_burden", 20),
        )
    )
    assert quality.rescore(scores, MODEL).loc[0, "total"] == 50.0
    assert quality.rescore(scores, usage_heavy).loc[0, "total"] == 80.0
