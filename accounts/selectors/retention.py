"""Reads of retention: NRR and GRR of a book, its breakdowns by CSM and segment, its trend."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Case, F, OuterRef, Q, QuerySet, Subquery, Sum, When

from accounts.models import (
    Account,
    ArrMovement,
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
from accounts.selectors import SEGMENT_LABELS, counted_arr_movements
from csos.charts import line_chart

User = get_user_model()


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
BOOK_COLUMNS = ("currency", "owner_id", "segment")


_CENT = Decimal("0.01")


def _per_account_columns(index: int) -> list[str]:
    """The SQL of one period's sums per account: its ARR when the period opened (``%s`` is the
    start) and its gains and losses inside the period (``%s`` pairs are the start and end)."""
    within = "date >= %s AND date <= %s"
    gains = f"kind IN ({', '.join(repr(kind) for kind in GAINS)})"
    return [
        f"SUM(CASE WHEN {gains} THEN amount ELSE -amount END) FILTER (WHERE date < %s) "
        f"AS opening_{index}",
        f"SUM(amount) FILTER (WHERE {within} AND {gains}) AS gains_{index}",
        f"SUM(amount) FILTER (WHERE {within} AND kind = '{MovementKind.CONTRACTION.value}') "
        f"AS contraction_{index}",
        f"SUM(amount) FILTER (WHERE {within} AND kind = '{MovementKind.CHURN.value}') "
        f"AS churn_{index}",
    ]


def _per_book_columns(index: int) -> list[str]:
    """The SQL that totals one period's per-account sums into a book's ``BookSums``.

    An account counts only if it had ARR when the period opened, and its gross loss is capped at
    that ARR.
    """
    counted = f"FILTER (WHERE opening_{index} > 0)"
    loss = f"COALESCE(contraction_{index}, 0) + COALESCE(churn_{index}, 0)"
    return [
        f"SUM(opening_{index}) {counted}",
        f"SUM(gains_{index}) {counted}",
        f"SUM(contraction_{index}) {counted}",
        f"SUM(churn_{index}) {counted}",
        f"SUM(CASE WHEN {loss} < opening_{index} THEN {loss} ELSE opening_{index} END) {counted}",
    ]


def retention_sums_sql(
    *, periods: list[Period], owner_id: int | None = None, segment: str | None = None
) -> tuple[str, list]:
    """One query for the ``BookSums`` of every period, per currency, current owner and segment.

    The ledger is summed per account in the database and those sums per book, so what comes
    back has a row per book (currency x CSM x segment), however long the ledger is. The rows
    come from two scoped querysets, the counted movements and the accounts with their book; the
    ORM cannot aggregate over an aggregate (and compiles dozens of filtered sums slowly), so
    the sums around them are SQL, with every date as a parameter.
    """
    accounts = Account.objects.all()
    if owner_id is not None:
        accounts = accounts.filter(owner_id=owner_id)
    if segment is not None:
        accounts = accounts.filter(segment=segment)
    movements = counted_arr_movements(
        ArrMovement.objects.filter(date__lte=max(end for _, end in periods))
    )
    if owner_id is not None or segment is not None:
        movements = movements.filter(account__in=accounts.values("id"))
    movements_sql, movements_params = (
        movements.order_by().values("account_id", "kind", "date", "amount").query.sql_with_params()
    )
    books_sql, books_params = accounts.values("id", *BOOK_COLUMNS).query.sql_with_params()
    per_account = ", ".join(
        column for i in range(len(periods)) for column in _per_account_columns(i)
    )
    per_book = ", ".join(column for i in range(len(periods)) for column in _per_book_columns(i))
    period_params = [
        value for start, end in periods for value in (start, start, end, start, end, start, end)
    ]
    keys = ", ".join(f"book.{column}" for column in BOOK_COLUMNS)
    sql = (
        f"SELECT {keys}, {per_book} FROM ("
        f"SELECT account_id, {per_account} FROM ({movements_sql}) movement GROUP BY account_id"
        f") per_account JOIN ({books_sql}) book ON book.id = per_account.account_id "
        f"GROUP BY {keys}"
    )
    return sql, [*period_params, *movements_params, *books_params]


def _money(value) -> Decimal:
    # A sum over no rows is NULL; money is kept to the cent.
    return Decimal(value or 0).quantize(_CENT)


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
        key, values = tuple(row[: len(BOOK_COLUMNS)]), row[len(BOOK_COLUMNS) :]
        by_period = {
            period: BookSums(*(_money(v) for v in values[i * width : (i + 1) * width]))
            for i, period in enumerate(periods)
        }
        books.append((key, by_period))
    return books


def _percent(ratio: float | None) -> float | None:
    return None if ratio is None else percent(ratio)


def _trend(books, *, windows: dict[date, Period]) -> list[dict]:
    """Per currency in code order: NRR and GRR of the year closing at each quarter end."""
    sums = books_add_up(
        ((key[0], closing), by_period[window])
        for key, by_period in books
        for closing, window in windows.items()
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
            "chart": line_chart(
                [row["label"] for row in rows],
                {"NRR": [row["nrr"] for row in rows], "GRR": [row["grr"] for row in rows]},
                value_format="percent",
            ),
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
    windows = {
        closing: (trailing_year_start(closing), closing)
        for closing in quarter_ends(end, count=quarters)
    }
    periods = list(dict.fromkeys([period, *windows.values()]))
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
        trend=_trend(books, windows=windows),
    )


def retention_sums_by_currency(
    *, periods: list[Period], owner_id: int | None = None, segment: str | None = None
) -> dict[str, dict[Period, BookSums]]:
    """The ``BookSums`` of each period per account currency, for a report that converts them
    into one currency; one query whatever the size of the ledger."""
    periods = list(dict.fromkeys(periods))
    totals: dict[str, dict[Period, BookSums]] = {}
    for key, by_period in _book_sums(periods=periods, owner_id=owner_id, segment=segment):
        sums = totals.setdefault(key[0], {period: BookSums() for period in periods})
        for period in periods:
            sums[period] = sums[period] + by_period[period]
    return dict(sorted(totals.items()))


def retention_book_accounts(*, start: date, book: Q | None = None) -> QuerySet[Account]:
    """The accounts whose ARR a retention figure over a period opening on ``start`` measures:
    those the counted ledger gave ARR on the day before ``start`` (see ``BookSums``)."""
    opening = (
        counted_arr_movements(ArrMovement.objects.filter(account=OuterRef("pk"), date__lt=start))
        .order_by()
        .values("account")
        .annotate(arr=Sum(Case(When(kind__in=GAINS, then=F("amount")), default=-F("amount"))))
        .values("arr")
    )
    return (
        Account.objects.filter(book or Q())
        .annotate(opening_arr=Subquery(opening[:1]))
        .filter(opening_arr__gt=0)
    )


def workspace_retention(*, start: date, end: date) -> dict[str, RetentionRates]:
    """NRR and GRR of the workspace in scope over [start, end], per account currency."""
    return retention_report(start=start, end=end, quarters=0).rates


def ledger_arr_on(*, days: list[date]) -> dict[date, dict[int, Decimal]]:
    """Each account's ARR at the end of each of ``days`` as the counted ledger stood then (no
    later movement read): one query, a filtered sum per day."""
    signed = Case(When(kind__in=GAINS, then=F("amount")), default=-F("amount"))
    rows = (
        counted_arr_movements(ArrMovement.objects.all())
        .order_by()
        .values("account_id")
        .annotate(**{f"on_{i}": Sum(signed, filter=Q(date__lte=day)) for i, day in enumerate(days)})
    )
    found: dict[date, dict[int, Decimal]] = {day: {} for day in days}
    for row in rows:
        for i, day in enumerate(days):
            if row[f"on_{i}"]:
                found[day][row["account_id"]] = row[f"on_{i}"]
    return found
