"""Parsers for the fields of bulk records: plain functions, fast enough for 10,000 records.

Each parser takes the JSON value and returns the value to store, or raises ``Invalid`` with a
code and a message an integrator can act on. JSON ``true``/``false`` are never numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import timezone


class Invalid(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


Parser = Callable[[Any], Any]


def text(*, max_length: int, blank: bool = False, choices: list[str] | None = None) -> Parser:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid("wrong-type", "Expected a string.")
        value = value.strip()
        if not value and not blank:
            raise Invalid("blank", "This field may not be blank.")
        if len(value) > max_length:
            raise Invalid("too-long", f"At most {max_length} characters.")
        if "\x00" in value:
            raise Invalid("invalid", "NUL characters are not allowed.")
        if choices is not None and value not in choices:
            raise Invalid("invalid-choice", f"Expected one of: {', '.join(choices)}.")
        return value

    return parse


def text_of(model: type[models.Model], name: str, *, blank: bool = False) -> Parser:
    """Text that fits the model's field ``name``."""
    return text(max_length=model._meta.get_field(name).max_length, blank=blank)


def email(value: Any) -> str:
    """An e-mail address, lower-cased: addresses are compared without case."""
    address = text(max_length=254)(value).lower()
    if "@" not in address:
        raise Invalid("invalid-email", "Expected an e-mail address.")
    return address


def integer(*, min_value: int | None = None, max_value: int | None = None) -> Parser:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid("wrong-type", "Expected an integer.")
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                raise Invalid("wrong-type", "Expected an integer.")
            value = int(value)
        if min_value is not None and value < min_value:
            code = "negative" if min_value == 0 else "too-small"
            raise Invalid(code, f"Must be at least {min_value}.")
        if max_value is not None and value > max_value:
            raise Invalid("too-large", f"Must be at most {max_value}.")
        return value

    return parse


def decimal(
    *, max_digits: int, decimal_places: int, min_value: Decimal | None = None, positive=False
) -> Parser:
    limit = Decimal(10) ** (max_digits - decimal_places)
    quantum = Decimal(1).scaleb(-decimal_places)

    def parse(value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise Invalid("wrong-type", "Expected a number.")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise Invalid("wrong-type", "Expected a number.") from None
        if not number.is_finite():
            raise Invalid("not-finite", "NaN and infinity are not numbers.")
        if number != number.quantize(quantum, rounding="ROUND_HALF_EVEN"):
            raise Invalid("too-precise", f"At most {decimal_places} decimal places.")
        if positive and number <= 0:
            raise Invalid("not-positive", "Must be greater than zero.")
        if min_value is not None and number < min_value:
            raise Invalid("negative" if min_value == 0 else "too-small", f"At least {min_value}.")
        if abs(number) >= limit:
            raise Invalid("too-large", f"Must be below {limit:,}.")
        return number

    return parse


def number(*, min_value: float | None = None) -> Parser:
    def parse(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid("wrong-type", "Expected a number.")
        value = float(value)
        if not math.isfinite(value):
            raise Invalid("not-finite", "NaN and infinity are not numbers.")
        if min_value is not None and value < min_value:
            code = "negative" if min_value == 0 else "too-small"
            raise Invalid(code, f"Must be at least {min_value}.")
        return value

    return parse


def day(*, not_in_future: bool = False) -> Parser:
    """An ISO date, ``YYYY-MM-DD``; the check of the future uses the workspace clock's today."""

    def parse(value: Any) -> date:
        if not isinstance(value, str):
            raise Invalid("wrong-type", "Expected a date as YYYY-MM-DD.")
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise Invalid("invalid-date", f"{value!r} is not a date as YYYY-MM-DD.") from None
        if not_in_future and parsed > timezone.localdate():
            raise Invalid("in-future", "The date lies in the future.")
        return parsed

    return parse


def timestamp(*, not_in_future: bool = False) -> Parser:
    """An ISO 8601 timestamp with a UTC offset (``Z`` included)."""

    def parse(value: Any) -> datetime:
        if not isinstance(value, str):
            raise Invalid("wrong-type", "Expected an ISO 8601 timestamp.")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid("invalid-timestamp", f"{value!r} is not an ISO 8601 timestamp.") from None
        if parsed.tzinfo is None:
            raise Invalid("invalid-timestamp", "The timestamp needs a UTC offset, e.g. Z.")
        if not_in_future and parsed > timezone.now():
            raise Invalid("in-future", "The timestamp lies in the future.")
        return parsed

    return parse


def nullable(parser: Parser) -> Parser:
    def parse(value: Any) -> Any:
        return None if value is None or value == "" else parser(value)

    return parse
