"""Sentiment shift in what the customer and the team wrote: interaction notes and survey
comments scored by VADER, a lexicon scorer that ships its lexicon (no model, no network), the
last WINDOW_DAYS against the WINDOW_DAYS before. Plain Python: no Django, no clock."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

WINDOW_DAYS = 90


@dataclass(frozen=True)
class Text:
    """A dated piece of writing and the record it comes from (``ref``, any value)."""

    on: dt.date
    text: str
    ref: object = None


@dataclass(frozen=True)
class Shift:
    """Mean VADER compound score (-1 to +1) of each window, how many texts each holds, the
    change (recent minus prior; None unless both windows have texts) and the most negative
    recent text, the one a reader should open first."""

    recent: float | None
    prior: float | None
    recent_count: int
    prior_count: int
    change: float | None
    lowest: Text | None


@functools.cache
def _analyzer() -> SentimentIntensityAnalyzer:
    # Reads the lexicon file once per process.
    return SentimentIntensityAnalyzer()


def polarity(text: str) -> float:
    """VADER's compound score of ``text``: -1 (most negative) to +1 (most positive)."""
    return _analyzer().polarity_scores(text)["compound"]


def sentiment_shift(texts: Sequence[Text], *, today: dt.date) -> Shift:
    """The shift between the WINDOW_DAYS up to ``today`` and the WINDOW_DAYS before them.
    Blank texts and texts dated after ``today`` are left out: history reads no later data."""
    recent_start = today - dt.timedelta(days=WINDOW_DAYS)
    prior_start = recent_start - dt.timedelta(days=WINDOW_DAYS)
    recent, prior = [], []
    for item in texts:
        if not item.text.strip() or item.on > today or item.on <= prior_start:
            continue
        (recent if item.on > recent_start else prior).append((polarity(item.text), item))
    recent_mean = fmean(score for score, _ in recent) if recent else None
    prior_mean = fmean(score for score, _ in prior) if prior else None
    return Shift(
        recent=recent_mean,
        prior=prior_mean,
        recent_count=len(recent),
        prior_count=len(prior),
        change=None if recent_mean is None or prior_mean is None else recent_mean - prior_mean,
        lowest=min(recent, key=lambda pair: pair[0])[1] if recent else None,
    )
