"""Writes of sales handoffs and their promises."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Account
from stakeholders.models import (
    HandoffPerson,
    HandoffPromise,
    PromiseStatus,
    SalesHandoff,
)

# ---- handoff ---------------------------------------------------------------------------


@transaction.atomic
def handoff_save(
    *,
    account: Account,
    by: AbstractBaseUser | None,
    data: dict[str, Any],
    promises: list[dict[str, Any]],
    people: list[dict[str, Any]],
) -> SalesHandoff:
    """Record (or replace) the account's sales handoff with its promises and key people.

    Promises and people already carried into a plan keep their rows and links; the rest are
    replaced by what was submitted.
    """
    handoff = SalesHandoff.objects.filter(account=account).first()
    if handoff is None:
        handoff = SalesHandoff(workspace=account.workspace, account=account, recorded_by=by)
    for key in ("signed_on", "use_cases", "risks", "success_criteria"):
        setattr(handoff, key, data[key])
    handoff.save()
    _replace_rows(handoff, HandoffPromise, promises, key="outcome")
    _replace_rows(handoff, HandoffPerson, people, key="name")
    return handoff


def _replace_rows(handoff: SalesHandoff, model, rows: list[dict[str, Any]], *, key: str) -> None:
    kept_ids = []
    for row in rows:
        instance = row.get("id")
        if instance is not None:
            for name, value in row.items():
                if name != "id":
                    setattr(instance, name, value)
            instance.save()
        else:
            instance = model.objects.create(
                workspace=handoff.workspace,
                handoff=handoff,
                **{name: value for name, value in row.items() if name != "id"},
            )
        kept_ids.append(instance.pk)
    model.objects.filter(handoff=handoff).exclude(pk__in=kept_ids).delete()


@transaction.atomic
def promise_status_set(*, promise: HandoffPromise, status: str) -> HandoffPromise:
    if status not in PromiseStatus.values:
        raise ValidationError({"status": f"{status!r} is not a promise status."})
    promise.status = status
    promise.save(update_fields=["status"])
    return promise
