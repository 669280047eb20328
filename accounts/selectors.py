"""Reads of customer accounts: portfolios, the ARR ledger, retention."""

from datetime import date, timedelta

import pandas as pd
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet, Sum

from accounts.models import Account, ArrMovement
from accounts.retention import LEDGER_COLUMNS, RetentionRates, retention_rates
from csos.models import Role
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
    return Account.objects.select_related("owner").only(*PORTFOLIO_COLUMNS)


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
    rows = ArrMovement.objects.values_list("account_id", "kind", "date", "amount")
    return pd.DataFrame.from_records(list(rows), columns=list(LEDGER_COLUMNS))


def workspace_retention(*, start: date, end: date) -> RetentionRates:
    """NRR and GRR of the workspace in scope over [start, end], from the ARR ledger."""
    return retention_rates(_ledger_frame(), start=start, end=end)


def workspace_retention_trend(*, end: date, quarters: int = 8) -> dict:
    """Trailing-twelve-month NRR and GRR at each of the last quarter ends up to ``end``."""
    ledger = _ledger_frame()
    quarter_ends = pd.date_range(end=pd.Timestamp(end), periods=quarters, freq="QE")
    labels, nrr, grr = [], [], []
    for quarter_end in quarter_ends:
        closing = quarter_end.date()
        rates = retention_rates(ledger, start=closing - timedelta(days=364), end=closing)
        labels.append(f"{quarter_end.year} Q{quarter_end.quarter}")
        nrr.append(None if rates.nrr is None else round(rates.nrr * 100, 1))
        grr.append(None if rates.grr is None else round(rates.grr * 100, 1))
    return {
        "labels": labels,
        "series": [{"label": "NRR", "values": nrr}, {"label": "GRR", "values": grr}],
        "format": "percent",
    }
