"""The pure rules of the playbook triggers: band entry with hysteresis and renewal windows.

No Django, no clock: the triggers gather the facts and pass ``today``, so each rule is tested on
plain values at both sides of its threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Bands by severity: a higher rank is worse.
GREEN, YELLOW, RED = 0, 1, 2


@dataclass(frozen=True)
class BandThresholds:
    """A health model's thresholds (Red below ``red_below``, Green above ``green_above``) and
    the workspace's hysteresis ``margin`` in points."""

    red_below: float
    green_above: float
    margin: float


def firm_band(total: float | None, thresholds: BandThresholds) -> int | None:
    """The band rank of ``total`` when it lies at least the margin inside the band, ``None``
    when it is within the margin of a threshold (or there is no score): a score wobbling
    around a threshold enters no band."""
    if total is None:
        return None
    low, high, margin = thresholds.red_below, thresholds.green_above, thresholds.margin
    if total < low - margin:
        return RED
    if total > high + margin:
        return GREEN
    if low + margin <= total <= high - margin:
        return YELLOW
    return None


@dataclass(frozen=True)
class BandEntry:
    """The band a score entered and the firm band before it (``None``: no firm band yet)."""

    band: int
    before: int | None

    @property
    def worsened(self) -> bool:
        return self.before is not None and self.band > self.before


def band_entered(totals: Sequence[float | None], thresholds: BandThresholds) -> BandEntry | None:
    """The band the last of ``totals`` (oldest first) enters, or ``None`` when it enters none:
    it is firmly in a band and the latest firm band before it was another, or there was none."""
    if not totals:
        return None
    current = firm_band(totals[-1], thresholds)
    if current is None:
        return None
    earlier = (firm_band(total, thresholds) for total in reversed(totals[:-1]))
    before = next((rank for rank in earlier if rank is not None), None)
    return None if before == current else BandEntry(current, before)


def renewal_windows_parse(text: str) -> tuple[int, ...]:
    """Days before renewal, e.g. ``"120, 90, 60, 30"``, widest first; ``ValueError`` names what
    is wrong."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise ValueError("Give at least one number of days, e.g. 120, 90, 60, 30.")
    try:
        days = [int(part) for part in parts]
    except ValueError:
        raise ValueError("Give whole numbers of days separated by commas.") from None
    if any(not 1 <= day <= 730 for day in days):
        raise ValueError("Each window is between 1 and 730 days.")
    if len(set(days)) != len(days):
        raise ValueError("Each window appears once.")
    return tuple(sorted(days, reverse=True))


def renewal_window(days_left: int, windows: Sequence[int]) -> int | None:
    """The window (of ``windows``, widest first) an account ``days_left`` before its renewal
    is in: the narrowest one it has entered. ``None`` before the widest or after the date."""
    if days_left < 0:
        return None
    inside = [window for window in windows if days_left <= window]
    return min(inside) if inside else None
