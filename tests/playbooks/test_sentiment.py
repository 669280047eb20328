"""Sentiment shift on hand-built notes: the last 90 days against the 90 before."""

import datetime as dt

import pytest

from playbooks.sentiment import Text, polarity, sentiment_shift

TODAY = dt.date(2026, 6, 1)
HAPPY = "Great progress, the team loves the new triage and is very happy."
ANGRY = "Terrible week: outages again, the director is angry and frustrated."


def day(days_ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=days_ago)


def test_it_scores_happy_text_above_angry_text():
    assert polarity(HAPPY) > 0.5 > -0.5 > polarity(ANGRY)


def test_it_measures_a_fall_from_happy_notes_to_angry_ones():
    texts = [Text(day(120), HAPPY, "a"), Text(day(100), HAPPY, "b"), Text(day(10), ANGRY, "c")]
    shift = sentiment_shift(texts, today=TODAY)
    assert (shift.recent_count, shift.prior_count) == (1, 2)
    assert shift.prior == pytest.approx(polarity(HAPPY))
    assert shift.recent == pytest.approx(polarity(ANGRY))
    assert shift.change == pytest.approx(polarity(ANGRY) - polarity(HAPPY))
    assert shift.lowest.ref == "c"


def test_it_reads_no_text_dated_after_today_or_before_both_windows():
    texts = [Text(day(-1), ANGRY, "later"), Text(day(181), ANGRY, "old"), Text(day(5), HAPPY, "x")]
    shift = sentiment_shift(texts, today=TODAY)
    assert (shift.recent_count, shift.prior_count, shift.change) == (1, 0, None)


def test_it_leaves_blank_texts_out():
    shift = sentiment_shift([Text(day(3), "  \n ", "blank")], today=TODAY)
    assert (shift.recent, shift.recent_count, shift.lowest) == (None, 0, None)


def test_it_counts_89_days_ago_as_recent_and_90_days_ago_as_prior():
    shift = sentiment_shift([Text(day(89), HAPPY), Text(day(90), ANGRY)], today=TODAY)
    assert (shift.recent_count, shift.prior_count) == (1, 1)
