"""Model-quality figures on a small built history, against figures computed by hand."""

import datetime as dt
import math

import numpy as np
import pandas as pd

from health import quality, weighting
from health import scoring as s

RENEWAL = dt.date(2026, 6, 30)  # a Tuesday
WEEK_90 = dt.date(2026, 3, 30)  # Monday of the week of April 1, 90 days before
MODEL = weighting.ScoringModel(
    dimensions=(
        weighting.Dimension("usage", "usage_vs_contract", 50),
        weighting.Dimension("support", "support_burden", 50),
    )
)


def _hand_built() -> tuple[pd.DataFrame, pd.DataFrame]:
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
    return outcomes, snapshots


def _drawn(renewals: int, seed: int = 7) -> pd.DataFrame:
    """Scored renewals where a lower score churns more often, as ``scored_renewals`` gives."""
    rng = np.random.default_rng(seed)
    total = rng.uniform(0, 100, renewals).round(1)
    churned = rng.uniform(0, 1, renewals) < 0.5 - total / 250
    return pd.DataFrame(
        {
            "account_id": range(renewals),
            "renewal": [RENEWAL] * renewals,
            "outcome": np.where(churned, "churned", "renewed"),
            "total": total,
            "band": weighting.band(pd.Series(total), green_above=75, red_below=50),
        }
    )


def test_it_computes_churn_by_band_and_auc_as_by_hand():
    outcomes, snapshots = _hand_built()
    at_90 = quality.scored_renewals(outcomes, snapshots, MODEL, 90)
    assert quality.scored_renewals(outcomes, snapshots, MODEL, 180).empty
    assert at_90["scores"].tolist()[4] == [8.0, 4.0]
    figures = quality.judge(at_90, rng=np.random.default_rng(1), draws=50)
    assert (figures["renewals"], figures["churns"]) == (5, 2)
    rates = {band["band"]: band["churn_rate"] for band in figures["bands"]}
    assert rates == {"green": 0.0, "yellow": 0.5, "red": 0.5}
    # Shortfalls: churned 80, 40; kept 60, 10, 40. Pairs ranked right: (80 > all three) 3,
    # (40 > 10) 1, (40 = 40) a half, (40 < 60) 0: 4.5 of 6.
    assert figures["auc"] == 0.75
    assert math.isnan(quality.roc_auc(pd.Series([10.0]), pd.Series([True])))


def test_it_bounds_auc_and_churn_per_band_by_intervals_that_contain_the_estimate():
    figures = quality.judge(_drawn(2_000), rng=np.random.default_rng(3))
    low, high = figures["auc_interval"]
    assert low < figures["auc"] < high
    for band in figures["bands"]:
        low, high = band["interval"]
        assert low < band["churn_rate"] < high, band["band"]


def test_it_widens_the_intervals_when_renewals_shrink():
    def widths(renewals: int) -> list[float]:
        figures = quality.judge(_drawn(renewals), rng=np.random.default_rng(3))
        return [
            high - low
            for low, high in [figures["auc_interval"], *(b["interval"] for b in figures["bands"])]
        ]

    assert all(narrow < wide for narrow, wide in zip(widths(4_000), widths(200), strict=True))


def test_it_draws_the_same_intervals_from_the_same_seed():
    rows = _drawn(300)
    first = quality.judge(rows, rng=np.random.default_rng(11))
    assert quality.judge(rows, rng=np.random.default_rng(11)) == first
    assert quality.judge(rows, rng=np.random.default_rng(12)) != first


def test_it_warns_when_a_figure_rests_on_fewer_than_the_minimum_churns():
    rows = _drawn(400)
    churned = rows.index[rows["outcome"] == "churned"]
    at_minimum = rows.drop(churned[quality.MIN_CHURNS :])
    below = rows.drop(churned[quality.MIN_CHURNS - 1 :])
    rng = np.random.default_rng(5)
    assert quality.judge(at_minimum, rng=rng, draws=20)["thin"] is False
    assert quality.judge(below, rng=rng, draws=20)["thin"] is True


def test_it_puts_the_earlier_renewals_in_the_fit_set_and_the_later_in_the_report_set():
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=30 * n) for n in range(10)]
    outcomes = pd.DataFrame(
        {"account_id": range(10), "renewal": days[::-1], "outcome": ["renewed"] * 10}
    )
    snapshots = pd.DataFrame(
        {
            "account_id": range(10),
            "week": [s.iso_week(day - dt.timedelta(days=90)) for day in days[::-1]],
            "scores": [{"usage": 5, "support": 5}] * 10,
        }
    )
    split = quality.split_date(outcomes["renewal"], 0.3)
    assert split == days[3]
    figures, renewals = quality.backtest(
        outcomes, snapshots, MODEL, rng=np.random.default_rng(0), draws=10, fit_share=0.3
    )
    assert figures["split"] == days[3].isoformat()
    at_90 = figures["horizons"][0]
    assert (at_90["days"], at_90["fit"]["renewals"], at_90["report"]["renewals"]) == (90, 3, 7)
    assert {tuple(row[:3]) for row in renewals} == {
        (90, account, day.isoformat()) for account, day in enumerate(days[::-1])
    }


def test_it_keeps_renewals_of_one_day_in_one_set():
    same_day = pd.Series([RENEWAL] * 4 + [RENEWAL + dt.timedelta(days=1)])
    assert quality.split_date(same_day, 0.5) == RENEWAL
    assert quality.split_date(pd.Series([], dtype=object)) is None


def test_it_compares_weights_on_earlier_renewals_and_reports_them_on_later_ones():
    early, late = dt.date(2025, 6, 2), dt.date(2026, 6, 1)
    # Early on, support foretold the churn; later on, usage did.
    renewals = pd.DataFrame(
        [
            (90, 1, early.isoformat(), "churned", None, "", [9.0, 1.0]),
            (90, 2, early.isoformat(), "renewed", None, "", [1.0, 9.0]),
            (90, 3, late.isoformat(), "churned", None, "", [1.0, 9.0]),
            (90, 4, late.isoformat(), "renewed", None, "", [9.0, 1.0]),
        ],
        columns=quality.RENEWAL_FIELDS,
    )
    support_only = weighting.ScoringModel(
        dimensions=(
            weighting.Dimension("usage", "usage_vs_contract", 0),
            weighting.Dimension("support", "support_burden", 100),
        )
    )
    at_90, at_180 = quality.compare(
        renewals,
        keys=["usage", "support"],
        split=late.isoformat(),
        models={"published": MODEL, "proposed": support_only},
    )
    assert at_90["fit"] == {
        "renewals": 2,
        "churns": 1,
        "thin": True,
        "auc": {"published": 0.5, "proposed": 1.0},
    }
    assert at_90["report"]["auc"] == {"published": 0.5, "proposed": 0.0}
    assert at_180["fit"]["renewals"] == at_180["report"]["renewals"] == 0


def test_it_backtests_an_empty_history():
    outcomes = pd.DataFrame(columns=["account_id", "renewal", "outcome"])
    snapshots = pd.DataFrame(columns=["account_id", "week", "scores"])
    figures, renewals = quality.backtest(outcomes, snapshots, MODEL, rng=np.random.default_rng(0))
    assert renewals == [] and figures["split"] is None
    for horizon in figures["horizons"]:
        for part in ("fit", "report"):
            judged = horizon[part]
            assert (judged["renewals"], judged["churns"], judged["thin"]) == (0, 0, True)
            assert judged["auc"] is None and judged["auc_interval"] is None
            assert judged["bands"] == []


def test_it_judges_a_proposed_weighting_on_the_same_history():
    scores = pd.Series([{"usage": 10, "support": 0}])
    usage_heavy = weighting.ScoringModel(
        dimensions=(
            weighting.Dimension("usage", "usage_vs_contract", 80),
            weighting.Dimension("support", "support_burden", 20),
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
