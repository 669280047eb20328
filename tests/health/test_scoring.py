"""The pure scoring module on hand-built frames: no database."""

import math

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from health import quality, theatre, weighting
from health import scoring as s


def frame(**columns) -> pd.DataFrame:
    """One row per value list; every input column present, NaN unless given."""
    length = len(next(iter(columns.values()))) if columns else 0
    data = {column: [np.nan] * length for column in s.INPUT_COLUMNS}
    data.update(columns)
    return pd.DataFrame(data, index=pd.RangeIndex(1, length + 1, name="account_id"), dtype=float)


WORKED_EXAMPLE = {
    s.ACTIVE_USERS: [32],  # 32 of 200 seats = 16%, a fifth of the 80% target: 2.0
    s.ACTIVE_USERS_PRIOR: [33],
    s.LICENSED_SEATS: [200],
    s.LADDER_LEVEL: [2],  # Engagement, 2 of 4: 5.0
    s.PROVEN_EVIDENCE: [0],  # nothing proven: 0.0
    s.DAYS_SINCE_PROOF: [np.nan],
    s.OWNERS_ACTIVE: [1],  # Owner 5 + Champion 0 - one departure 3: 2.0
    s.CHAMPIONS_ACTIVE: [0],
    s.KEY_DEPARTURES: [1],
    s.OPEN_P1: [1],  # one open P1 costs all ten points: 0.0
    s.OPEN_P2: [0],
    s.OPEN_P3: [0],
    s.OPEN_P4: [0],
    s.SURVEY_SCORE: [5],  # 5.0
    s.SURVEY_COUNT: [2],
    s.STAKEHOLDER_SENTIMENT: [np.nan],
    s.DAYS_SINCE_INTERACTION: [7],  # within 14 days: 10.0
}


def test_it_scores_the_worked_example_28_red():
    scored = weighting.score(frame(**WORKED_EXAMPLE), weighting.DEFAULT_MODEL)
    # Points = weight x score / 10:
    # usage 25x2.0 = 5, ladder 10x5.0 = 5, value proof 15x0 = 0, stakeholders 15x2.0 = 3,
    # support 15x0 = 0, sentiment 10x5.0 = 5, engagement 10x10 = 10; total 28 < 50: Red.
    expected = pd.Series(
        [2.0, 5.0, 0.0, 2.0, 0.0, 5.0, 10.0],
        index=[
            "usage",
            "ladder",
            "value_proof",
            "stakeholders",
            "support",
            "sentiment",
            "engagement",
        ],
    )
    pdt.assert_series_equal(scored.scores.iloc[0], expected, check_names=False)
    assert scored.total.iloc[0] == 28.0
    assert scored.band.iloc[0] == s.RED
    assert scored.drivers.loc[1, "usage"] == "32 of 200 seats active"
    assert (
        scored.drivers.loc[1, "stakeholders"] == "Owner active, no active Champion, 1 left recently"
    )
    assert scored.drivers.loc[1, "support"] == "Open tickets: 1 P1, 0 P2, 0 P3/P4"


def test_it_scores_an_empty_frame_to_empty_results():
    scored = weighting.score(frame(), weighting.DEFAULT_MODEL)
    assert scored.total.empty and scored.band.empty
    assert list(scored.scores.columns) == [d.key for d in weighting.DEFAULT_MODEL.dimensions]


def test_it_marks_an_account_with_no_data_insufficient_not_zero():
    scored = weighting.score(frame(**{s.OPEN_P1: [np.nan]}), weighting.DEFAULT_MODEL)
    assert scored.scores.iloc[0].isna().all()
    assert math.isnan(scored.total.iloc[0])
    assert scored.band.iloc[0] == s.INSUFFICIENT
    assert scored.drivers.loc[1, "usage"] == "Insufficient data"


def test_it_gives_a_missing_dimension_weight_to_the_others():
    # Only support is known (10/10): the total is 100, not 15.
    columns = {c: [0] for c in (s.OPEN_P1, s.OPEN_P2, s.OPEN_P3, s.OPEN_P4)}
    scored = weighting.score(frame(**columns), weighting.DEFAULT_MODEL)
    assert scored.total.iloc[0] == 100.0
    assert scored.scores.loc[1, "usage"] != 0 and math.isnan(scored.scores.loc[1, "usage"])


def test_it_refuses_a_frame_without_the_columns_a_calculator_needs():
    with pytest.raises(s.MissingColumns, match="licensed_seats"):
        s.usage_vs_contract(
            pd.DataFrame({s.ACTIVE_USERS: [1], s.ACTIVE_USERS_PRIOR: [1]}), s.UsageParams()
        )


def test_it_scores_usage_edges():
    data = frame(
        **{
            s.ACTIVE_USERS: [0, 80, 200, 50, 10],
            s.ACTIVE_USERS_PRIOR: [0, 80, 200, 100, 10],
            s.LICENSED_SEATS: [100, 100, 100, 100, 0],
        }
    )
    result = s.usage_vs_contract(data, s.UsageParams())
    # none; exactly the target; over the seats; 50% but halved since last window; no seats
    expected = pd.Series(
        [0.0, 10.0, 10.0, 50 / 80 * 10 - 2, np.nan], index=data.index, name="score"
    )
    pdt.assert_series_equal(result.score, expected.round(2))
    assert result.drivers.iloc[3] == "50 of 100 seats active (down from 100)"
    assert result.drivers.iloc[4] == "Insufficient data"


def test_it_honours_calculator_parameters():
    data = frame(**{s.ACTIVE_USERS: [50], s.ACTIVE_USERS_PRIOR: [50], s.LICENSED_SEATS: [100]})
    assert s.usage_vs_contract(data, s.UsageParams(target_ratio=0.5)).score.iloc[0] == 10.0
    assert s.usage_vs_contract(data, s.UsageParams(target_ratio=1.0)).score.iloc[0] == 5.0


def test_it_scores_ladder_value_proof_and_cadence_edges():
    data = frame(
        **{
            s.LADDER_LEVEL: [0, 4, np.nan],
            s.PROVEN_EVIDENCE: [0, 5, 2],
            s.DAYS_SINCE_PROOF: [np.nan, 10, 200],
            s.DAYS_SINCE_INTERACTION: [14, 52, 120],
        }
    )
    pdt.assert_series_equal(
        s.ladder_progress(data, s.LadderParams()).score,
        pd.Series([0.0, 10.0, np.nan], index=data.index, name="score"),
    )
    # none; five proofs cap at 10; two stale proofs count half
    pdt.assert_series_equal(
        s.value_proof(data, s.ValueProofParams()).score,
        pd.Series([0.0, 10.0, 2.5], index=data.index, name="score"),
    )
    # at the full-marks edge; halfway to 90 days; past 90 days
    pdt.assert_series_equal(
        s.engagement_cadence(data, s.CadenceParams()).score,
        pd.Series([10.0, 5.0, 0.0], index=data.index, name="score"),
    )


def test_it_scores_coverage_support_and_sentiment_edges():
    data = frame(
        **{
            s.OWNERS_ACTIVE: [1, 0, 2],
            s.CHAMPIONS_ACTIVE: [1, 0, 1],
            s.KEY_DEPARTURES: [0, 2, 0],
            s.OPEN_P1: [0, 0, 2],
            s.OPEN_P2: [0, 2, 0],
            s.OPEN_P3: [0, 1, 0],
            s.OPEN_P4: [0, 2, 0],
            s.SURVEY_SCORE: [8, np.nan, np.nan],
            s.SURVEY_COUNT: [3, 0, 0],
            s.STAKEHOLDER_SENTIMENT: [4, 6, np.nan],
        }
    )
    pdt.assert_series_equal(
        s.stakeholder_coverage(data, s.CoverageParams()).score,
        pd.Series([10.0, 0.0, 10.0], index=data.index, name="score"),
    )
    pdt.assert_series_equal(
        s.support_burden(data, s.SupportParams()).score,
        pd.Series([10.0, 10 - 6 - 1 - 1.0, 0.0], index=data.index, name="score"),
    )
    result = s.sentiment(data, s.SentimentParams())
    pdt.assert_series_equal(
        result.score, pd.Series([6.0, 6.0, np.nan], index=data.index, name="score")
    )
    assert result.drivers.iloc[0] == "Survey mean 8.0 over 3, stakeholder sentiment 4.0"


@pytest.mark.parametrize(
    ("total", "expected"),
    [(75.1, s.GREEN), (75.0, s.YELLOW), (50.0, s.YELLOW), (49.9, s.RED), (np.nan, s.INSUFFICIENT)],
)
def test_it_bands_on_the_thresholds(total, expected):
    assert weighting.band(pd.Series([total]), green_above=75, red_below=50).iloc[0] == expected


def test_it_honours_weights_and_thresholds_of_a_custom_model():
    data = frame(**WORKED_EXAMPLE)
    model = weighting.ScoringModel(
        dimensions=(
            weighting.Dimension("usage", "usage_vs_contract", 50),
            weighting.Dimension("engagement", "engagement_cadence", 50),
        ),
        green_above=55,
        red_below=20,
    )
    scored = weighting.score(data, model)
    assert scored.total.iloc[0] == 60.0  # 50 x 2 / 10 + 50 x 10 / 10
    assert scored.band.iloc[0] == s.GREEN


def test_it_names_what_is_wrong_with_a_model():
    model = weighting.ScoringModel(
        dimensions=(
            weighting.Dimension("a", "usage_vs_contract", 60),
            weighting.Dimension("b", "astrology", 30),
        ),
        green_above=40,
        red_below=60,
    )
    errors = weighting.model_errors(model)
    assert errors["weights"] == "The weights sum to 90%, not 100%."
    assert "Thresholds" in errors["thresholds"]
    assert errors["b"] == "unknown calculator 'astrology'"
    assert weighting.model_errors(weighting.DEFAULT_MODEL) == {}


def test_it_refuses_unknown_parameters():
    with pytest.raises(ValueError, match="no parameter shoe_size"):
        s.calculator_params("usage_vs_contract", {"shoe_size": 3})


def test_it_flags_theatre_on_both_sides_of_the_threshold():
    before = pd.DataFrame(
        {
            "total": [40.0, 40.0, 40.0],
            s.PROVEN_EVIDENCE: [1, 1, 1],
            "usage": [2.0, 2.0, 2.0],
            "sentiment": [2.0, 2.0, 2.0],
        },
        index=[1, 2, 3],
    )
    now = pd.DataFrame(
        {
            "total": [50.0, 49.9, 55.0],
            s.PROVEN_EVIDENCE: [1, 1, 1],
            "usage": [2.0, 2.0, 6.0],
            "sentiment": [8.0, 8.0, 2.0],
        },
        index=[1, 2, 3],
    )
    flags = theatre.theatre_flags(now, before)
    # 1 rose 10 with usage and proof unchanged; 2 rose 9.9; 3 rose because usage rose.
    pdt.assert_series_equal(flags, pd.Series({1: "sentiment 2 → 8"}, name="moved", dtype=object))


def test_it_computes_auc_and_churn_rate_by_band_as_by_hand():
    # Risk (higher = likelier churn) for 4 accounts, two churned.
    risk = pd.Series([0.9, 0.4, 0.6, 0.1])
    churned = pd.Series([True, True, False, False])
    # Pairs (churned, kept): (0.9,0.6) (0.9,0.1) (0.4,0.6)x (0.4,0.1): 3 of 4 ordered right.
    assert quality.roc_auc(risk, churned) == 0.75
    assert math.isnan(quality.roc_auc(risk, pd.Series([False] * 4)))
    table = quality.churn_rate_by_band(pd.Series(["red", "green", "red", "yellow"]), churned)
    assert table["churn_rate"].to_dict() == {"green": 1.0, "yellow": 0.0, "red": 0.5}
    assert list(table.index) == ["green", "yellow", "red"]


def test_it_chooses_the_first_model_whose_segments_match_else_the_default():
    segments = pd.Series(["small", "enterprise", "mid_market"], index=[1, 2, 3])
    chosen = weighting.choose_models(
        segments, [frozenset({"enterprise"}), None, frozenset({"enterprise", "small"})]
    )
    pdt.assert_series_equal(chosen, pd.Series([2, 0, 1], index=[1, 2, 3]))
    assert weighting.choose_models(segments, [frozenset({"small"})]).tolist() == [0, -1, -1]
