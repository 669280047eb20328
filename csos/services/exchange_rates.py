"""The workspace's exchange rates: saving and deleting them, each audited."""

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from csos.currencies import currency_problem
from csos.models import (
    ExchangeRate,
    Workspace,
)
from csos.services import audit_record


@transaction.atomic
def exchange_rate_save(
    *,
    workspace: Workspace,
    by: AbstractBaseUser | None,
    exchange_rate: ExchangeRate | None,
    currency: str,
    rate: Decimal | None,
    valid_from: date | None,
) -> ExchangeRate:
    """Add a dated rate, or change one; refused with field errors, audited when saved."""
    exchange_rate = exchange_rate or ExchangeRate(workspace=workspace)
    errors = {}
    if problem := currency_problem(currency):
        errors["currency"] = problem
    elif (currency := currency.strip().upper()) == workspace.default_currency:
        errors["currency"] = (
            f"{currency} is the workspace's own currency: it needs no rate, one unit is one unit."
        )
    if rate is None or rate <= 0:
        errors["rate"] = "A rate is a number above zero: what one unit is worth."
    if valid_from is None:
        errors["valid_from"] = "Say from which day the rate is valid."
    elif (
        ExchangeRate.objects.filter(currency=currency, valid_from=valid_from)
        .exclude(pk=exchange_rate.pk)
        .exists()
    ):
        errors["valid_from"] = f"{currency} already has a rate valid from {valid_from}; change it."
    if errors:
        raise ValidationError(errors)
    before = {} if exchange_rate.pk is None else _exchange_rate_fields(exchange_rate)
    exchange_rate.currency, exchange_rate.rate, exchange_rate.valid_from = (
        currency,
        rate,
        valid_from,
    )
    exchange_rate.updated_by = by if by is not None and by.is_authenticated else None
    exchange_rate.save()
    after = _exchange_rate_fields(exchange_rate)
    if before != after:
        audit_record(
            workspace=workspace,
            actor=by,
            action="exchange_rate.update" if before else "exchange_rate.add",
            obj=exchange_rate,
            before=before,
            after=after,
        )
    return exchange_rate


@transaction.atomic
def exchange_rate_delete(*, exchange_rate: ExchangeRate, by: AbstractBaseUser | None) -> None:
    audit_record(
        workspace=exchange_rate.workspace,
        actor=by,
        action="exchange_rate.delete",
        obj=exchange_rate,
        before=_exchange_rate_fields(exchange_rate),
    )
    exchange_rate.delete()


def _exchange_rate_fields(exchange_rate: ExchangeRate) -> dict[str, str]:
    return {
        "currency": exchange_rate.currency,
        "rate": exchange_rate.rate_text,
        "valid_from": exchange_rate.valid_from.isoformat(),
    }
