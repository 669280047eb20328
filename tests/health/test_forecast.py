"""The renewal forecast's arithmetic on hand-built frames: no database."""

import numpy as np
import pandas as pd
import pytest

from health import forecast as fc

EXACT = fc.ForecastParams(prior_weight=0)


def renewals(rows: list[tuple[str, str, int, int, int]]) -> pd.DataFrame:
    """(band, segment, level, renewals, renewed) per cell, one history row per renewal."""
    history = [
        (band, segment, level, i < renewed)
        for band, segment, level, count, renewed in rows
        for i in range(count)
    ]
    return pd.DataFrame(history, columns=list(fc.HISTORY_COLUMNS))


HISTORY = renewals(
    [("green", "small", 3, 4, 3), ("green", "small", 1, 2, 0), ("red", "enterprise", 0, 4, 1)]
)


def upcoming(rows: list[tuple[int, str, float, str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(fc.UPCOMING_COLUMNS))


def test_it_takes_each_cells_own_renewal_rate_without_smoothing():
    cells = fc.probabilities(HISTORY, upcoming([]), EXACT)
    assert cells.loc[("green", "small", 3), "probability"] == 0.75
    assert cells.loc[("green", "small", 1), "probability"] == 0.0
    assert cells.loc[("red", "enterprise", 0), "probability"] == 0.25
    assert cells.loc[("green", "small", 3), "renewals"] == 4


def test_it_shrinks_a_cell_toward_its_band_and_the_band_toward_the_overall_rate():
    cells = fc.probabilities(HISTORY, upcoming([]), fc.ForecastParams(prior_weight=5))
    overall = 4 / 10
    green = (3 + 5 * overall) / (6 + 5)
    assert cells.loc[("green", "small", 3), "probability"] == pytest.approx((3 + 5 * green) / 9)
    assert cells.loc[("green", "small", 3), "rate"] == 0.75


def test_it_gives_an_unseen_cell_its_bands_rate_and_an_unseen_band_the_overall_rate():
    due = upcoming(
        [(1, "Q1", 100.0, "green", "enterprise", 4), (2, "Q1", 100.0, "yellow", "small", 2)]
    )
    cells = fc.probabilities(HISTORY, due, fc.ForecastParams(prior_weight=5))
    green = (3 + 5 * 0.4) / 11
    assert cells.loc[("green", "enterprise", 4), "probability"] == pytest.approx(green)
    assert cells.loc[("yellow", "small", 2), "probability"] == pytest.approx(0.4)
    assert cells.loc[("yellow", "small", 2), "renewals"] == 0


def test_it_sums_arr_times_the_chance_to_renew_per_quarter():
    due = upcoming(
        [
            (1, "2027 Q1", 1000.0, "green", "small", 3),
            (2, "2027 Q1", 400.0, "red", "enterprise", 0),
            (3, "2027 Q2", 200.0, "green", "small", 1),
        ]
    )
    made = fc.forecast(HISTORY, due, rng=np.random.default_rng(1), params=EXACT)
    assert made.quarters.loc["2027 Q1", "expected"] == pytest.approx(1000 * 0.75 + 400 * 0.25)
    assert made.quarters.loc["2027 Q2", "expected"] == 0
    assert made.quarters.loc["2027 Q1", "low"] <= 850 <= made.quarters.loc["2027 Q1", "high"]
    # Largest expected loss first: 400 at 25% loses 300, 1000 at 75% loses 250, 200 at 0% all.
    assert made.movers["account_id"].tolist() == [2, 1, 3]


def test_it_widens_the_interval_when_the_history_shrinks():
    due = upcoming(
        [(1, "Q1", 1000.0, "green", "small", 3), (2, "Q1", 1000.0, "red", "enterprise", 0)]
    )
    rich = pd.concat([HISTORY] * 8, ignore_index=True)

    def width(history):
        quarter = fc.forecast(history, due, rng=np.random.default_rng(7)).quarters.iloc[0]
        return quarter["high"] - quarter["low"]

    assert width(HISTORY) > width(rich) > 0


def test_it_draws_the_same_interval_from_the_same_seed():
    due = upcoming([(1, "Q1", 1000.0, "green", "small", 3)])
    first = fc.forecast(HISTORY, due, rng=np.random.default_rng(3)).quarters
    again = fc.forecast(HISTORY, due, rng=np.random.default_rng(3)).quarters
    pd.testing.assert_frame_equal(first, again)


def test_it_asks_for_twenty_past_renewals_before_forecasting():
    assert not fc.has_enough_history(HISTORY)
    assert fc.has_enough_history(pd.concat([HISTORY, HISTORY], ignore_index=True))


def test_it_reads_the_ladder_level_from_the_ladder_dimension_score():
    scores = pd.Series([0.0, 2.5, 7.5, 10.0, None])
    assert fc.level_from_ladder_score(scores).tolist() == [0, 1, 3, 4, 0]


def test_it_states_the_forecast_error_as_a_share_of_what_happened():
    assert fc.forecast_error(900.0, 1000.0) == pytest.approx(-0.1)
    assert fc.forecast_error(100.0, 0.0) is None


def test_it_refuses_a_history_without_its_columns():
    with pytest.raises(ValueError, match="renewed"):
        fc.probabilities(HISTORY.drop(columns="renewed"), upcoming([]))


def test_it_gives_one_accounts_odds_with_the_renewals_behind_them():
    # 20 renewals: 16 green small accounts all renewed, 4 red ones of which 1 did.
    history = renewals([("green", "small", 0, 16, 16), ("red", "small", 0, 4, 1)])
    overall = 17 / 20
    red = (1 + 5 * overall) / (4 + 5)
    odds = fc.account_odds(history, band="red", segment="small", level=0)
    assert odds.probability == pytest.approx((1 + 5 * red) / (4 + 5))
    assert (odds.cell_renewals, odds.history, odds.needed) == (4, 20, 20)
    unseen = fc.account_odds(history, band="red", segment="enterprise", level=2)
    assert unseen.probability == pytest.approx(red) and unseen.cell_renewals == 0


def test_it_gives_no_odds_on_too_little_history():
    odds = fc.account_odds(HISTORY, band="green", segment="small", level=3)
    assert odds == fc.RenewalOdds(probability=None, cell_renewals=0, history=10, needed=20)
