"""Reads of customer accounts: portfolios, the ARR ledger, retention."""

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Greatest, Lower, Trim

from accounts import ledger
from accounts.models import (
    CAPTURE_OUTCOMES,
    Account,
    AccountStatus,
    ArrMovement,
    CaptureKind,
    LifecycleStage,
    MovementKind,
    Segment,
    ValueCapture,
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
from csos.api.annotations import annotate
from csos.charts import line_chart
from csos.exports import started_rows
from csos.models import Membership, Role
from csos.panels import portfolio_columns
from csos.search import forgiving_trigrams
from csos.tenancy import current_workspace

User = get_user_model()


def account_list() -> QuerySet[Account]:
    return Account.objects.select_related("owner")


def account_api_rows() -> QuerySet[Account]:
    """Accounts as the API shows them: with their owner and what other apps register of them."""
    return annotate(Account.objects.select_related("owner"), model="accounts.Account")


def account_api_search(*, query: str) -> QuerySet[Account]:
    """Accounts as the API shows them whose name holds ``query``, or whose external id or web
    domain is ``query`` (either case), by name."""
    text = query.strip()
    return (
        account_api_rows()
        .filter(Q(name__icontains=text) | Q(external_id__iexact=text) | Q(domain__iexact=text))
        .order_by(Lower("name"), "pk")
    )


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


SEARCH_LIMIT = 10  # matches a search shows of each kind


def account_search(*, text: str) -> list[dict]:
    """Accounts whose name, external id or domain matches ``text``, typos allowed, best first."""
    similarity = Greatest(
        TrigramWordSimilarity(text, "name"),
        TrigramWordSimilarity(text, "external_id"),
        TrigramWordSimilarity(text, "domain"),
    )
    with forgiving_trigrams():
        return list(
            Account.objects.filter(
                Q(name__icontains=text)
                | Q(external_id__icontains=text)
                | Q(domain__icontains=text)
                | Q(name__trigram_word_similar=text)
                | Q(domain__trigram_word_similar=text)
            )
            .annotate(similarity=similarity)
            .order_by("-similarity", "pk")
            .values("pk", "name", "external_id", "domain")[:SEARCH_LIMIT]
        )


def account_captures(*, account: Account) -> QuerySet[ValueCapture]:
    return ValueCapture.objects.filter(account=account).select_related("recorded_by")


def capture_counts(*, start: date, end: date) -> list[dict]:
    """Value captures recorded for days from ``start`` to ``end``, counted by kind and outcome
    in the order of the outcomes' choices."""
    counts = {
        (row["kind"], row["outcome"]): row["count"]
        for row in ValueCapture.objects.filter(date__gte=start, date__lte=end)
        .order_by()
        .values("kind", "outcome")
        .annotate(count=Count("pk"))
    }
    return [
        {
            "kind": CaptureKind(kind).label,
            "outcome": outcome.label,
            "count": counts.get((kind, outcome.value), 0),
        }
        for kind, outcomes in CAPTURE_OUTCOMES.items()
        for outcome in outcomes
    ]


def portfolio_accounts() -> QuerySet[Account]:
    """The portfolio's rows; ``with_portfolio_columns`` adds the columns other apps register."""
    return Account.objects.select_related("owner").only(*PORTFOLIO_COLUMNS)


def with_portfolio_columns(
    accounts: QuerySet[Account], *, keys: Collection[str] | None = None
) -> QuerySet[Account]:
    """``accounts`` with the registered columns (those in ``keys``, else all) computed in its
    query. Each is a subquery per row, so callers add only those a filter, a sort or the
    rows on show need; a column already there is not added twice."""
    missing = {
        column.key: column.expression
        for column in portfolio_columns()
        if (keys is None or column.key in keys) and column.key not in accounts.query.annotations
    }
    return accounts.annotate(**missing) if missing else accounts


def portfolio_rows(accounts: QuerySet[Account]) -> QuerySet[dict]:
    """The rows a portfolio page shows, with every registered column, as plain values: on a
    fifty-row page, model instances would cost more than the query."""
    columns = portfolio_columns()
    details = {c.detail_key: c.detail_expression for c in columns if c.detail is not None}
    return (
        with_portfolio_columns(accounts)
        .annotate(**details)
        .values("id", *PORTFOLIO_COLUMNS, *(column.key for column in columns), *details)
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


def book_filter(*, segment: str | None = None, owner_id: int | None = None, via: str = "") -> Q:
    """The accounts of one segment and/or one CSM, as a condition on accounts or, with ``via``
    (``"account__"``), on rows that point to one: the leader pages' filters, stated once."""
    condition = Q()
    if segment:
        condition &= Q(**{f"{via}segment": segment})
    if owner_id is not None:
        condition &= Q(**{f"{via}owner_id": owner_id})
    return condition


def csm_books(*, today: date, book: Q | None = None) -> list[dict]:
    """Each owner's book of active accounts, per currency: accounts, ARR and renewals within
    90 days, in one query grouped by owner and currency. Unowned accounts come under ``None``.
    ``book`` (see ``book_filter``) narrows the accounts counted."""
    rows = (
        Account.objects.filter(status=AccountStatus.ACTIVE)
        .filter(book or Q())
        .order_by()
        .values("owner_id", "currency")
        .annotate(
            accounts=Count("id"),
            arr=Sum("arr"),
            renewing_90=Count(
                "id",
                filter=Q(renewal_date__gte=today, renewal_date__lte=today + timedelta(days=90)),
            ),
        )
        .order_by("owner_id", "-arr", "currency")
    )
    return list(rows)


STAGE_LABELS = dict(LifecycleStage.choices)
SEGMENT_LABELS = dict(Segment.choices)
STATUS_LABELS = dict(AccountStatus.choices)


def portfolio_export_column_headers() -> list[str]:
    """The headers of the registered columns in the portfolio export, after the account's own."""
    return [
        header
        for column in portfolio_columns()
        for header in (column.label, *(header for header, _ in column.exported))
    ]


def portfolio_export_rows(*, accounts: QuerySet[Account]) -> Iterator[tuple]:
    """Every row of ``accounts`` in its order, as the portfolio export's cells: the account's
    own, then each registered column's label and its exported figures.

    The query runs now, in the caller's workspace scope; the rows come from its cursor in
    chunks while the file streams.
    """
    columns = portfolio_columns()
    exported = {name: e for c in columns for name, e in c.export_expressions.items()}
    names = [name for c in columns for name in (c.key, *c.export_expressions)]
    labels = [dict(c.choices) for c in columns]
    rows = (
        with_portfolio_columns(accounts)
        .annotate(**exported)
        .values_list(*PORTFOLIO_COLUMNS, *names)
    )

    def cells(row: tuple) -> tuple:
        rest = iter(row[len(PORTFOLIO_COLUMNS) :])
        registered = []
        for column, choices in zip(columns, labels, strict=True):
            value = next(rest)
            registered.append("" if value is None else choices.get(value, value))
            figures = (next(rest) for _ in column.exported)
            registered += ["" if figure is None else figure for figure in figures]
        return (*_portfolio_export_cells(row[: len(PORTFOLIO_COLUMNS)]), *registered)

    return map(cells, started_rows(rows))


def owner_name(first_name: str | None, last_name: str | None, email: str | None) -> str:
    """An owner's full name, else their e-mail, else "" (no owner), from the user's values."""
    return f"{first_name or ''} {last_name or ''}".strip() or email or ""


def _portfolio_export_cells(row: tuple) -> tuple:
    name, external_id, arr, currency, renewal, stage, segment, status, first, last, email = row
    return (
        name,
        external_id,
        owner_name(first, last, email),
        email or "",
        arr,
        currency,
        renewal.isoformat() if renewal else "",
        STAGE_LABELS.get(stage, stage),
        SEGMENT_LABELS.get(segment, segment),
        STATUS_LABELS.get(status, status),
    )


OWNER_ROLES = (Role.CSM, Role.LEADER, Role.ADMIN)


def csm_choices() -> QuerySet:
    """People who can own accounts: the workspace's CSMs, leaders and admins, sorted by name.

    Each carries ``workspace_role``, their role here, and sorts by the name it is shown by:
    the full name, or the e-mail address of someone without one (see ``owner_label``).
    """
    role = Membership.objects.filter(user=OuterRef("pk"), role__in=OWNER_ROLES).values("role")
    shown_name = Case(
        When(first_name="", last_name="", then=F("email")),
        default=Trim(Concat("first_name", Value(" "), "last_name")),
    )
    return (
        User.objects.annotate(workspace_role=Subquery(role[:1]), shown_name=Lower(shown_name))
        .filter(workspace_role__isnull=False)
        .order_by("shown_name", "email")
    )


def owner_label(user) -> str:
    """How an owner is offered in a select: their name (or e-mail address) and role."""
    return f"{user.get_full_name() or user.email} · {Role(user.workspace_role).label}"


@dataclass(frozen=True)
class OwnerOptions:
    """Owner choices as plain pairs, and each owner's name for headings: one query."""

    choices: list[tuple[str, str]]
    names: dict[str, str]


def csm_options() -> OwnerOptions:
    """The owners ``csm_choices`` offers, in its order, read as plain membership rows: every
    list page builds these, so they skip the name-sorting SQL and sort the few rows here."""
    rows = Membership.objects.filter(role__in=OWNER_ROLES).values_list(
        "user_id", "role", "user__first_name", "user__last_name", "user__email"
    )
    owners = []
    for user_id, role, first, last, email in rows:
        name = f"{first} {last}".strip() or email
        owners.append((name.casefold(), email, str(user_id), name, Role(role).label))
    owners.sort()
    return OwnerOptions(
        choices=[(user_id, f"{name} · {role}") for _, _, user_id, name, role in owners],
        names={user_id: name for _, _, user_id, name, _ in owners},
    )


def counted_arr_movements(movements: QuerySet[ArrMovement]) -> QuerySet[ArrMovement]:
    """The movements that count for ARR rules and retention: neither reversed nor a reversal.

    A reversal and the mistake it undoes cancel out; leaving both out keeps NRR and GRR from
    counting a correction as churn and growth.
    """
    return movements.filter(reverses__isnull=True, reversal__isnull=True)


def arr_ledger(*, account: Account) -> list[ArrMovement]:
    """The account's movements in date order, reversals included, each marked ``reversible``.

    Only the latest movement that counts can be reversed (see ``accounts.ledger``).
    """
    movements = list(
        account.arr_movements.select_related("recorded_by", "reverses", "reversal").order_by(
            "date", "id"
        )
    )
    counted = [m for m in movements if m.reverses_id is None and not _is_reversed(m)]
    for movement in movements:
        movement.reversible = bool(counted) and movement is counted[-1]
    return movements


def arr_movement_initial(*, account: Account, movements: list[ArrMovement], today: date) -> dict:
    """What the ARR form starts with: today, and the kind of movement the account's state allows
    (new business before any ARR, a reactivation after a churn, else an expansion)."""
    counted = [m.date for m in movements if m.reverses_id is None and not _is_reversed(m)]
    state = ledger.Ledger(
        arr=account.arr,
        status=account.status,
        currency=account.currency,
        latest=max(counted, default=None),
    )
    return {"kind": ledger.suggested_kind(state), "date": today}


def _is_reversed(movement: ArrMovement) -> bool:
    try:
        return movement.reversal is not None
    except ArrMovement.reversal.RelatedObjectDoesNotExist:
        return False


def arr_history(*, account: Account, ledger: list[ArrMovement]) -> dict:
    """The account's ARR after each movement date of its ``arr_ledger``, as a stepped chart
    series."""
    by_date: dict[str, float] = {}
    running = 0.0
    for movement in ledger:
        running += float(movement.signed_amount)
        by_date[movement.date.isoformat()] = running
    return line_chart(
        by_date,
        {"ARR": by_date.values()},
        value_format="money",
        unit=account.currency,
        stepped=True,
    )


def descendants_filter(*, account: Account) -> Q:
    """Every account below ``account`` in its hierarchy: its children, their children and so
    on, in one recursive query of the account's workspace. UNION keeps each account once, so
    the walk ends even on a loop the services would have refused."""
    table = Account._meta.db_table
    below = RawSQL(
        f"""WITH RECURSIVE below(id) AS (
                SELECT id FROM {table} WHERE parent_id = %s AND workspace_id = %s
                UNION
                SELECT child.id FROM {table} child JOIN below ON child.parent_id = below.id
                WHERE child.workspace_id = %s
            ) SELECT id FROM below""",
        [account.pk, account.workspace_id, account.workspace_id],
    )
    return Q(pk__in=below)


def group_tops() -> dict[int, int]:
    """Each account that sits below a top parent (an account with no parent of its own), at
    any depth, mapped to that top parent's id: one recursive query of the workspace."""
    table = Account._meta.db_table
    workspace_id = current_workspace().pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE below(id, top_id) AS (
                    SELECT child.id, top.id FROM {table} child
                    JOIN {table} top ON top.id = child.parent_id
                    WHERE top.parent_id IS NULL AND top.workspace_id = %s
                      AND child.workspace_id = %s
                    UNION
                    SELECT child.id, below.top_id FROM {table} child
                    JOIN below ON child.parent_id = below.id WHERE child.workspace_id = %s
                ) SELECT id, top_id FROM below""",
            [workspace_id, workspace_id, workspace_id],
        )
        return dict(cursor.fetchall())


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
