"""Reads of customer accounts: portfolios, the ARR ledger, retention."""

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Concat, Greatest, Lower, Trim

from accounts.models import (
    CAPTURE_OUTCOMES,
    Account,
    AccountStatus,
    ArrMovement,
    CaptureKind,
    LifecycleStage,
    Segment,
    ValueCapture,
)
from csos.api.annotations import annotate
from csos.exports import started_rows
from csos.models import Membership, Role
from csos.panels import portfolio_columns
from csos.search import forgiving_trigrams

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
