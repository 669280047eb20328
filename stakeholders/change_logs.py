"""Change logs of the apps above this one that count as something changed for the customer.

The relationship theatre flag asks whether an account's evidence changed in its window, and
evidence lives in value, which sits above this app. Value registers its change log here from its
``AppConfig.ready()``, so the flag reads it while the import arrow keeps pointing down.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, Model, OuterRef, QuerySet

from accounts.models import Account


@dataclass(frozen=True)
class ChangeLog:
    """A tenant model whose rows are changes: the path from a row to its account and to the
    day it was recorded."""

    model: type[Model]
    account_path: str
    day_path: str

    def between(self, *, after: date, today: date) -> QuerySet:
        """The changes recorded after ``after`` up to and including ``today``."""
        return self.model.objects.filter(
            **{f"{self.day_path}__gt": after, f"{self.day_path}__lte": today}
        )


_LOGS: list[ChangeLog] = []


def register_change_log(log: ChangeLog) -> None:
    if log not in _LOGS:
        _LOGS.append(log)


def change_count(*, account: Account, after: date, today: date) -> int:
    """The account's registered changes in the window: one query per log."""
    return sum(
        log.between(after=after, today=today).filter(**{log.account_path: account}).count()
        for log in _LOGS
    )


def no_change_conditions(*, after: date, today: date) -> list[Exists]:
    """Conditions on an account queryset: no registered change of the account in the window."""
    return [
        ~Exists(log.between(after=after, today=today).filter(**{log.account_path: OuterRef("pk")}))
        for log in _LOGS
    ]
