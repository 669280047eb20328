"""The pure playbook rules on plain values, at both sides of each threshold."""

import pytest

from playbooks.rules import (
    GREEN,
    RED,
    YELLOW,
    BandEntry,
    BandThresholds,
    band_entered,
    firm_band,
    renewal_window,
    renewal_windows_parse,
)

MARGIN_2 = BandThresholds(red_below=50, green_above=75, margin=2)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (47.9, RED),
        (48, None),
        (51.9, None),
        (52, YELLOW),
        (73, YELLOW),
        (73.1, None),
        (77.1, GREEN),
    ],
)
def test_it_places_a_score_in_a_band_only_past_the_margin(total, band):
    assert firm_band(total, MARGIN_2) == band


def test_it_enters_no_band_without_a_score():
    assert firm_band(None, MARGIN_2) is None
    assert band_entered([], MARGIN_2) is None
    assert band_entered([60, None], MARGIN_2) is None


def test_it_enters_no_band_when_a_score_wobbles_across_a_threshold():
    assert band_entered([50.1, 49.9], MARGIN_2) is None
    assert band_entered([50.1, 49.9], BandThresholds(50, 75, margin=0)) == BandEntry(RED, YELLOW)


def test_it_remembers_the_last_firm_band_across_wobbling_weeks():
    assert band_entered([60, 49.9, 50.5, 47], MARGIN_2) == BandEntry(RED, YELLOW)
    assert band_entered([40, 49.9, 50.5, 47], MARGIN_2) is None


def test_it_tells_a_worsening_from_an_improvement_and_a_first_band():
    worse = band_entered([80, 60], MARGIN_2)
    better = band_entered([30, 60], MARGIN_2)
    first = band_entered([60], MARGIN_2)
    assert (worse.worsened, better.worsened, first.worsened) == (True, False, False)
    assert first == BandEntry(YELLOW, None)


@pytest.mark.parametrize(
    ("days_left", "window"),
    [(-1, None), (0, 30), (30, 30), (31, 60), (90, 90), (119, 120), (120, 120), (121, None)],
)
def test_it_finds_the_narrowest_renewal_window_entered(days_left, window):
    assert renewal_window(days_left, (120, 90, 60, 30)) == window


def test_it_reads_renewal_windows_widest_first():
    assert renewal_windows_parse(" 30,120 ,90,") == (120, 90, 30)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least one"),
        ("90, ninety", "whole numbers"),
        ("731", "between 1 and 730"),
        ("60, 60", "appears once"),
    ],
)
def test_it_refuses_renewal_windows_saying_why(text, message):
    with pytest.raises(ValueError, match=message):
        renewal_windows_parse(text)
