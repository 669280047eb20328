"""The currencies CSOS accepts: ISO 4217, from pycountry. Pure, so the CSV checks can use it.

Forms offer ``CURRENCY_CHOICES`` as a select and validate with ``csos.forms.currency_code``;
the CSV import checks cells against ``CURRENCY_CODES``.
"""

from datetime import date
from decimal import Decimal

import pycountry

# ISO 4217 also codes "testing" (XTS) and "no currency" (XXX); neither can price a contract.
_NOT_MONEY = {"XTS", "XXX"}
_CURRENCIES = [c for c in pycountry.currencies if c.alpha_3 not in _NOT_MONEY]
CURRENCY_CODES = frozenset(currency.alpha_3 for currency in _CURRENCIES)
CURRENCY_CHOICES = sorted((c.alpha_3, f"{c.alpha_3} · {c.name}") for c in _CURRENCIES)


def currency_problem(value: str) -> str | None:
    """Why ``value`` is not a currency code CSOS accepts, or None when it is one (in any case)."""
    code = value.strip()
    # ASCII first: "ßa" upper-cases to "SSA", which must not pass for a code by accident.
    if code.isascii() and code.upper() in CURRENCY_CODES:
        return None
    return f"{code!r} is not an ISO 4217 currency code; choose one such as USD or EUR."


def plain_decimal(value: Decimal) -> str:
    """A rate as people write it: no trailing zeros and no exponent (1.10000000 is 1.1, 1E+2 is
    100)."""
    return f"{value.normalize():f}"


RateTable = dict[str, list[tuple[date, Decimal]]]


def rate_on(rates: RateTable, *, currency: str, on: date, home: str) -> Decimal | None:
    """What one unit of ``currency`` is worth in ``home`` on ``on``: the latest rate in
    ``rates`` (currency -> (valid from, rate) oldest first) valid that day, 1 for ``home``
    itself, None when the currency has no rate yet."""
    if currency == home:
        return Decimal(1)
    valid = [rate for valid_from, rate in rates.get(currency, ()) if valid_from <= on]
    return valid[-1] if valid else None
