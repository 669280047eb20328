"""Workspace time zones: IANA names as zoneinfo knows them. Pure, so forms and models share it."""

import functools
import zoneinfo

from django.core.exceptions import ValidationError


@functools.cache
def time_zone_names() -> frozenset[str]:
    """Every IANA zone name of the system's time zone database (read once per process)."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """Refuse a name that is not an IANA time zone, such as ``Europe/Berlin`` or ``UTC``."""
    if value not in time_zone_names():
        raise ValidationError(
            "%(value)r is not an IANA time zone name; write one such as Europe/Berlin, "
            "America/New_York or UTC.",
            code="invalid-time-zone",
            params={"value": value},
        )
