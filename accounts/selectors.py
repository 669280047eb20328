"""Reads of customer accounts: portfolios, the ARR ledger, retention."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, When

from accounts.models import (
    Account,
    AccountStatus,
    ArrMovement,
    LifecycleStage,
    MovementKind,
    Segment,
)
from accounts.retention import (
    GAINS,
    BookSums,
    RetentionRates,
    books_add_up,
    percent,
    quarter_ends,
    quarter_label,
    retention_rates,
    trailing_year_start,
)
from csos.exports import started_rows
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


PORTFOLIO_EXPORT_COLUMNS = (
    "name",
    "external_id",
    "owner__first_name",
    "owner__last_name",
    "owner__email",
    "arr",
    "currency",
    "renewal_date",
    "lifecycle_stage",
    "segment",
    "status",
)
STAGE_LABELS = dict(LifecycleStage.choices)
SEGMENT_LABELS = dict(Segment.choices)
STATUS_LABELS = dict(AccountStatus.choices)


def portfolio_export_rows(*, accounts: QuerySet[Account]) -> Iterator[tuple]:
    """Every row of ``accounts`` in its order, as the portfolio export's cells.

    The query runs now, in the caller's workspace scope; the rows come from its cursor in
    chunks while the file streams.
    """
    return map(
        _portfolio_export_cells, started_rows(accounts.values_list(*PORTFOLIO_EXPORT_COLUMNS))
    )


def _portfolio_export_cells(row: tuple) -> tuple:
    name, external_id, first, last, email, arr, currency, renewal, stage, segment, status = row
    return (
        name,
        external_id,
        f"{first or ''} {last or ''}".strip() or email or "",
        email or "",
        arr,
        currency,
        renewal.isoformat() if renewal else "",
        STAGE_LABELS.get(stage, stage),
        SEGMENT_LABELS.get(segment, segment),
        STATUS_LABELS.get(status, status),
    )


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


def csm_options() -> list[tuple[str, str]]:
    """CSM choices as plain pairs: one query, whether the value is validated or rendered."""
    return [(str(user.pk), user.get_full_name() or user.email) for user in csm_choices()]


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


def counted_arr_movements(queryset: QuerySet[ArrMovement]) -> QuerySet[ArrMovement]:
    """The movements of ``queryset`` that count towards retention.

    This is the one place where movements that must not count are left out; every retention
    figure is summed over what it returns.
    """
    return queryset


def retention_default_period(*, today: date) -> dict[str, date]:
    """The trailing twelve months up to ``today``, the period the retention page opens on."""
    return {"start": trailing_year_start(today), "end": today}


@dataclass(frozen=True)
class RetentionRow:
    """One line of a retention breakdown: a CSM's or a segment's book in one currency."""

    label: str
    currency: str
    rates: RetentionRates


@dataclass(frozen=True)
class RetentionReport:
    """The retention page: rates of the chosen book per currency, its breakdowns and its trend."""

    rates: dict[str, RetentionRates]
    by_csm: list[RetentionRow]
    by_segment: list[RetentionRow]
    trend: list[dict]


Period = tuple[date, date]
# Each account's movements count for its CURRENT owner and segment, whole history included.
BOOK_KEYS = ("currency", "owner", "segment")
_SIGNED_AMOUNT = Case(
    When(kind__in=GAINS, then=F("amount")),
    default=-F("amount"),
    output_field=DecimalField(max_digits=14, decimal_places=2),
)
_CENT = Decimal("0.01")


def _per_account_sums(movements: QuerySet[ArrMovement], periods: list[Period]) -> QuerySet:
    """Per account: its ARR when each period opened and its gains and losses within it."""
    columns = {}
    for index, (start, end) in enumerate(periods):
        within = Q(date__gte=start, date__lte=end)
        columns |= {
            f"opening_{index}": Sum(_SIGNED_AMOUNT, filter=Q(date__lt=start), default=0),
            f"gains_{index}": Sum("amount", filter=within & Q(kind__in=GAINS), default=0),
            f"contraction_{index}": Sum(
                "amount", filter=within & Q(kind=MovementKind.CONTRACTION), default=0
            ),
            f"churn_{index}": Sum("amount", filter=within & Q(kind=MovementKind.CHURN), default=0),
        }
    return (
        movements.filter(date__lte=max(end for _, end in periods))
        .values(
            "account",
            currency=F("account__currency"),
            owner=F("account__owner_id"),
            segment=F("account__segment"),
        )
        .annotate(**columns)
        .order_by()
    )


def _book_sums_columns(index: int) -> list[str]:
    """The SQL that totals one period's per-account sums into a book's ``BookSums``.

    An account counts only if it had ARR when the period opened, and its gross loss is capped at
    that ARR.
    """
    opening, gains, contraction, churn = (
        connection.ops.quote_name(f"{name}_{index}")
        for name in ("opening", "gains", "contraction", "churn")
    )
    counted = f"{opening} > 0"
    loss = f"{contraction} + {churn}"
    return [
        f"SUM(CASE WHEN {counted} THEN {opening} ELSE 0 END)",
        f"SUM(CASE WHEN {counted} THEN {gains} ELSE 0 END)",
        f"SUM(CASE WHEN {counted} THEN {contraction} ELSE 0 END)",
        f"SUM(CASE WHEN {counted} THEN {churn} ELSE 0 END)",
        f"SUM(CASE WHEN NOT {counted} THEN 0 WHEN {loss} < {opening} THEN {loss} "
        f"ELSE {opening} END)",
    ]


def retention_sums_sql(
    *, periods: list[Period], owner_id: int | None = None, segment: str | None = None
) -> tuple[str, list]:
    """One query for the ``BookSums`` of every period, per currency, current owner and segment.

    The ledger is summed per account in the database and those sums per book, so what comes
    back has a row per book (currency x CSM x segment), however long the ledger is. The ORM
    cannot aggregate over an aggregate, so the second step wraps the first one's SQL.
    """
    movements = counted_arr_movements(ArrMovement.objects.all())
    if owner_id is not None:
        movements = movements.filter(account__owner_id=owner_id)
    if segment is not None:
        movements = movements.filter(account__segment=segment)
    per_account, params = _per_account_sums(movements, periods).query.sql_with_params()
    keys = ", ".join(connection.ops.quote_name(key) for key in BOOK_KEYS)
    sums = ", ".join(
        column for index in range(len(periods)) for column in _book_sums_columns(index)
    )
    return f"SELECT {keys}, {sums} FROM ({per_account}) per_account GROUP BY {keys}", list(params)


def _money(value) -> Decimal:
    # Raw SQL skips the ORM's converters: SQLite answers floats where PostgreSQL answers Decimal.
    return Decimal(str(value or 0)).quantize(_CENT)


def _book_sums(
    *, periods: list[Period], owner_id: int | None, segment: str | None
) -> list[tuple[tuple, dict[Period, BookSums]]]:
    """((currency, owner id, segment), BookSums per period) for every book with movements."""
    sql, params = retention_sums_sql(periods=periods, owner_id=owner_id, segment=segment)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    width = len(BookSums.__dataclass_fields__)
    books = []
    for row in rows:
        key, values = tuple(row[: len(BOOK_KEYS)]), row[len(BOOK_KEYS) :]
        by_period = {
            period: BookSums(*(_money(v) for v in values[i * width : (i + 1) * width]))
            for i, period in enumerate(periods)
        }
        books.append((key, by_period))
    return books


def _percent(ratio: float | None) -> float | None:
    return None if ratio is None else percent(ratio)


def _trend(books, *, closings: list[date]) -> list[dict]:
    """Per currency in code order: trailing-twelve-month NRR and GRR at each quarter end."""
    sums = books_add_up(
        ((key[0], closing), by_period[(trailing_year_start(closing), closing)])
        for key, by_period in books
        for closing in closings
    )
    trend: dict[str, list[dict]] = {}
    for (currency, closing), book in sorted(sums.items()):
        rates = retention_rates(book)
        trend.setdefault(currency, []).append(
            {
                "label": quarter_label(closing),
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
        for currency, rows in trend.items()
    ]


def _owner_labels(owner_ids) -> dict[int | None, str]:
    people = User.objects.filter(pk__in=[pk for pk in owner_ids if pk is not None])
    labels = {user.pk: user.get_full_name() or user.email for user in people}
    return {None: "No CSM", **labels}


SEGMENT_ORDER = {value: position for position, value in enumerate(Segment.values)}


def retention_report(
    *,
    start: date,
    end: date,
    owner_id: int | None = None,
    segment: str | None = None,
    quarters: int = 8,
) -> RetentionReport:
    """Retention of the book of ``owner_id`` and/or ``segment`` (the workspace when neither).

    Rates over [start, end] per currency, the same broken down by CSM and by segment, and the
    trailing-twelve-month trend at the last ``quarters`` quarter ends up to ``end``. Accounts
    count for their current CSM and segment. Amounts in different currencies are never added.
    Two queries, whatever the size of the ledger: the sums and the CSMs' names.
    """
    period = (start, end)
    closings = quarter_ends(end, count=quarters)
    periods = list(dict.fromkeys([period, *((trailing_year_start(c), c) for c in closings)]))
    books = _book_sums(periods=periods, owner_id=owner_id, segment=segment)

    def breakdown(position: int) -> dict[tuple, BookSums]:
        return books_add_up(
            ((key[position], key[0]), by_period[period]) for key, by_period in books
        )

    labels = _owner_labels({key[1] for key, _ in books})
    by_csm = sorted(
        breakdown(1).items(), key=lambda item: (labels[item[0][0]].casefold(), item[0][1])
    )
    by_segment = sorted(
        breakdown(2).items(), key=lambda item: (SEGMENT_ORDER.get(item[0][0], 99), item[0][1])
    )
    return RetentionReport(
        rates={
            currency: retention_rates(sums)
            for currency, sums in sorted(
                books_add_up((key[0], by_period[period]) for key, by_period in books).items()
            )
        },
        by_csm=[
            RetentionRow(labels[owner], currency, retention_rates(sums))
            for (owner, currency), sums in by_csm
        ],
        by_segment=[
            RetentionRow(SEGMENT_LABELS.get(value, value), currency, retention_rates(sums))
            for (value, currency), sums in by_segment
        ],
        trend=_trend(books, closings=closings),
    )


def workspace_retention(*, start: date, end: date) -> dict[str, RetentionRates]:
    """NRR and GRR of the workspace in scope over [start, end], per account currency."""
    return retention_report(start=start, end=end, quarters=0).rates
