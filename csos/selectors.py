"""Reads of the tenancy core."""

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, DecimalField, OuterRef, QuerySet, Subquery, Value, When

from csos.currencies import RateTable
from csos.models import ApiToken, AuditEvent, ExchangeRate, Invitation, Membership
from csos.tenancy import current_workspace


def memberships_of_user(*, user: AbstractBaseUser) -> list[Membership]:
    """Every workspace the user belongs to: it crosses tenants on purpose, being their own list."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.dangerously_unscoped.filter(user=user)
        .select_related("workspace")
        .order_by("workspace__name")
    )


def membership_pick(
    *, memberships: list[Membership], workspace_id: int | None
) -> Membership | None:
    """The membership for the workspace chosen in the session, else the user's first one."""
    for membership in memberships:
        if membership.workspace_id == workspace_id:
            return membership
    return memberships[0] if memberships else None


def membership_list() -> QuerySet[Membership]:
    return Membership.objects.select_related("user").order_by("role", "user__email")


def audit_event_list() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.select_related("actor")


def api_token_list() -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("created_by")


def invitation_pending_list() -> QuerySet[Invitation]:
    return Invitation.objects.filter(accepted_at=None, revoked_at=None).order_by("email")


def exchange_rate_list() -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.select_related("updated_by")


def rate_to_workspace_currency(*, currency_field: str, on: date) -> Case:
    """An expression: what one unit of the row's ``currency_field`` is worth in the workspace's
    currency on ``on``, by the latest rate valid that day; NULL when the currency has none.

    The workspace's own currency is worth 1. Reports multiply in the database, so converting
    costs no query per row.
    """
    latest = (
        ExchangeRate.objects.filter(currency=OuterRef(currency_field), valid_from__lte=on)
        .order_by("-valid_from")
        .values("rate")[:1]
    )
    rate = DecimalField(max_digits=18, decimal_places=8)
    return Case(
        When(**{currency_field: current_workspace().default_currency}, then=Value(Decimal(1))),
        default=Subquery(latest, output_field=rate),
        output_field=rate,
    )


def exchange_rate_table() -> RateTable:
    """Every rate of the workspace, per currency, oldest first: for reports that convert at
    many dates (``csos.currencies.rate_on``), one query."""
    table: RateTable = {}
    for currency, valid_from, rate in ExchangeRate.objects.order_by(
        "currency", "valid_from"
    ).values_list("currency", "valid_from", "rate"):
        table.setdefault(currency, []).append((valid_from, rate))
    return table
