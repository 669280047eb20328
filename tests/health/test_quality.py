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


def test_it_reads_renewals_from_contract_anniversaries_and_the_ledger():
    today = dt.date(2026, 11, 25)
    accounts = pd.DataFrame(
        {
            "account_id": [1, 2, 3, 4],
            "contract_start": [
                dt.date(2023, 3, 1),
                dt.date(2024, 2, 29),
                dt.date(2026, 1, 1),
                None,
            ],
            "renewal_date": [dt.date(2027, 3, 1), None, dt.date(2026, 11, 1), dt.date(2026, 6, 1)],
            "churned": [False, True, False, True],
        }
    )
    movements = pd.DataFrame(
        {
            "account_id": [1, 1, 1, 2, 2],
            "kind": ["contraction", "expansion", "expansion", "churn", "new"],
            "date": [
                dt.date(2024, 3, 1),
                dt.date(2024, 3, 20),  # the contraction at the same renewal outweighs it
                dt.date(2025, 6, 1),  # three months after the 2025 renewal: mid-term
                dt.date(2025, 3, 1),
                dt.date(2024, 2, 29),
            ],
        }
    )
    found = quality.renewal_outcomes(accounts, movements, today)
    assert list(found.itertuples(index=False, name=None)) == [
        (1, dt.date(2024, 3, 1), "downgraded"),
        (1, dt.date(2025, 3, 1), "renewed"),
        (1, dt.date(2026, 3, 1), "renewed"),
        (2, dt.date(2025, 2, 28), "churned"),  # nothing renews after the churn
        (3, dt.date(2026, 11, 1), "renewed"),  # its renewal date has passed
        (4, dt.date(2026, 6, 1), "churned"),  # churned now, at its passed renewal date
    ]


def test_it_finds_no_renewals_in_an_empty_book():
    empty = pd.DataFrame(columns=["account_id", "contract_start", "renewal_date", "churned"])
    moves = pd.DataFrame(columns=["account_id", "kind", "date"])
    found = quality.renewal_outcomes(empty, moves, dt.date(2026, 11, 25))
    assert found.empty and list(found.columns) == ["account_id", "renewal", "outcome"]
