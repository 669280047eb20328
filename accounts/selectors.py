"""Reads of customer accounts: portfolios, the ARR ledger, retention."""

from datetime import date, timedelta

import pandas as pd
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet, Sum

from accounts.models import Account, ArrMovement
from accounts.retention import (
    CURRENCY_LEDGER_COLUMNS,
    RetentionRates,
    quarter_ends,
    retention_by_currency,
    trailing_year_start,
)
from csos.models import Role
from csos.panels import portfolio_columns
from csos.tenancy import current_workspace

User = get_user_model()


def account_list() -> QuerySet[Account]:
    return Account.objects.select_related("owner")


# What a portfolio row shows; loading only these keeps fifty rows cheap to build.
PORTFOLIO_COLUMNS = (
    "name",
    "external_id",
    "arr",
    "currency",
    "renewal_date",
    "lifecycle_stage",
    "segment",
    "status",
    "owner__first_name",
    "owner__last_name",
    "owner__email",
)


def portfolio_accounts() -> QuerySet[Account]:
    """The portfolio's rows, with the columns other apps register computed in the same query."""
    return (
        Account.objects.select_related("owner")
        .only(*PORTFOLIO_COLUMNS)
        .annotate(**{column.key: column.annotation() for column in portfolio_columns()})
    )


def portfolio_summary(*, accounts: QuerySet[Account], today: date) -> dict:
    """Size, ARR per currency and near renewals of a (filtered) portfolio, in one query.

    ARR is totalled per currency: amounts in different currencies are never added together.
    """
    per_currency = list(
        accounts.order_by()
        .values("currency")
        .annotate(
            count=Count("id"),
            arr=Sum("arr"),
            renewing_90=Count(
                "id",
                filter=Q(renewal_date__gte=today, renewal_date__lte=today + timedelta(days=90)),
            ),
        )
        .order_by("-arr", "currency")
    )
    return {
        "count": sum(row["count"] for row in per_currency),
        "renewing_90": sum(row["renewing_90"] for row in per_currency),
        "arr_by_currency": [(row["currency"], row["arr"]) for row in per_currency],
    }


def csm_choices() -> QuerySet:
    """People who can own accounts: the workspace's CSMs, leaders and admins."""
    return (
        User.objects.filter(
            memberships__workspace=current_workspace(),
            memberships__role__in=[Role.CSM, Role.LEADER, Role.ADMIN],
        )
        .order_by("first_name", "last_name", "email")
        .distinct()
    )


def arr_ledger(*, account: Account) -> QuerySet[ArrMovement]:
    return account.arr_movements.select_related("recorded_by").order_by("date", "id")


def arr_history(*, account: Account) -> dict:
    """The account's ARR after each movement date, as a stepped chart series."""
    by_date: dict[str, float] = {}
    running = 0.0
    for movement in arr_ledger(account=account):
        running += float(movement.signed_amount)
        by_date[movement.date.isoformat()] = running
    return {
        "labels": list(by_date),
        "series": [{"label": "ARR", "values": list(by_date.values())}],
        "format": "money",
        "unit": account.currency,
        "stepped": True,
    }


def _ledger_frame() -> pd.DataFrame:
    """Every ARR movement of the workspace with its account's currency, in one query."""
    rows = ArrMovement.objects.values_list(
        "account_id", "account__currency", "kind", "date", "amount"
    )
    return pd.DataFrame.from_records(list(rows), columns=list(CURRENCY_LEDGER_COLUMNS))


def retention_default_period(*, today: date) -> dict[str, date]:
    """The trailing twelve months up to ``today``, the period the retention page opens on."""
    return {"start": trailing_year_start(today), "end": today}


def workspace_retention(*, start: date, end: date) -> dict[str, RetentionRates]:
    """NRR and GRR of the workspace in scope over [start, end], per account currency."""
    return retention_by_currency(_ledger_frame(), start=start, end=end)


def _percent(ratio: float | None) -> float | None:
    return None if ratio is None else round(ratio * 100, 1)


def workspace_retention_trend(*, end: date, quarters: int = 8) -> list[dict]:
    """Trailing-twelve-month NRR and GRR at each of the last quarter ends up to ``end``.

    One entry per currency, in code order: its quarters as table rows and as a line chart.
    """
    return _retention_trend(_ledger_frame(), end=end, quarters=quarters)


def workspace_retention_report(
    *, start: date, end: date
) -> tuple[dict[str, RetentionRates], list[dict]]:
    """The retention page's rates for [start, end] and trend up to ``end``, from one ledger read."""
    ledger = _ledger_frame()
    return retention_by_currency(ledger, start=start, end=end), _retention_trend(ledger, end=end)


def _retention_trend(ledger: pd.DataFrame, *, end: date, quarters: int = 8) -> list[dict]:
    rows_by_currency: dict[str, list[dict]] = {}
    for closing in quarter_ends(end, count=quarters):
        period = retention_by_currency(ledger, start=trailing_year_start(closing), end=closing)
        for currency, rates in period.items():
            rows_by_currency.setdefault(currency, []).append(
                {
                    "label": f"{closing.year} Q{(closing.month - 1) // 3 + 1}",
                    "nrr": _percent(rates.nrr),
                    "grr": _percent(rates.grr),
                }
            )
    return [
        {
            "currency": currency,
            "quarters": rows,
            "chart": {
                "labels": [row["label"] for row in rows],
                "series": [
                    {"label": "NRR", "values": [row["nrr"] for row in rows]},
                    {"label": "GRR", "values": [row["grr"] for row in rows]},
                ],
                "format": "percent",
            },
        }
        for currency, rows in rows_by_currency.items()
    ]
