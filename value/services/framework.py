"""Writes of the value framework: settings, metrics, event mappings, use cases, pursuits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Account
from csos.models import Workspace
from framework.models import UseCase
from value.models import (
    AccountUseCase,
    EventMapping,
    Threshold,
    UsageMetric,
    ValueSettings,
    validate_property_filter,
)
from value.rollup import usage_rollup
from value.selectors import value_settings
from value.services.levels import ladder_refresh

USE_CASE_FIELDS = (
    "name",
    "description",
    "outcome",
    "presence_meaning",
    "engagement_meaning",
    "value_meaning",
    "roi_meaning",
    "implicit_value",
    "assisted_value",
)


# ----------------------------------------------------------------------------- the framework


@transaction.atomic
def value_settings_update(*, workspace: Workspace, data: dict[str, Any]) -> ValueSettings:
    current = value_settings()
    current.workspace = workspace
    for name, value in data.items():
        setattr(current, name, value)
    current.full_clean(exclude=["workspace"])
    current.save()
    ladder_refresh()
    return current


@transaction.atomic
def metric_save(*, workspace: Workspace, metric: UsageMetric | None, data: dict) -> UsageMetric:
    existing = metric is not None
    metric = metric or UsageMetric(workspace=workspace)
    for name in ("key", "name", "unit", "aggregation"):
        setattr(metric, name, data[name])
    if UsageMetric.objects.filter(key=metric.key).exclude(pk=metric.pk).exists():
        raise ValidationError({"key": f"Another metric already uses the key {metric.key!r}."})
    metric.save()
    if existing:
        # A changed aggregation changes every figure the thresholds compare.
        ladder_refresh()
    return metric


@transaction.atomic
def event_mapping_save(
    *, workspace: Workspace, mapping: EventMapping | None, data: dict
) -> EventMapping:
    """Map an event name to a usage metric and recompute the metric from the stored events.

    A metric is measured one way: its mappings all count events or all count distinct users.
    """
    mapping = mapping or EventMapping(workspace=workspace)
    for name in ("event", "metric", "measure", "property_filter"):
        setattr(mapping, name, data[name])
    try:
        validate_property_filter(mapping.property_filter)
    except ValidationError as error:
        raise ValidationError({"property_filter": error}) from None
    siblings = EventMapping.objects.filter(metric=mapping.metric).exclude(pk=mapping.pk)
    if siblings.filter(event=mapping.event).exists():
        raise ValidationError({"event": "This event already counts into this metric."})
    other = siblings.exclude(measure=mapping.measure).first()
    if other is not None:
        raise ValidationError(
            {
                "measure": f"{mapping.metric.name} counts {other.get_measure_display().lower()} "
                f"of {other.event!r}; all events of one metric are measured the same way."
            }
        )
    mapping.save()
    usage_rollup(workspace=workspace, metric_id=mapping.metric_id)
    return mapping


def event_mapping_delete(*, mapping: EventMapping) -> None:
    """Stop counting the event; the daily records already written stay as they are."""
    mapping.delete()


@transaction.atomic
def use_case_save(
    *,
    workspace: Workspace,
    use_case: UseCase | None,
    data: dict[str, Any],
    thresholds: list[dict[str, Any]],
) -> UseCase:
    """Create or update a use case and replace its usage thresholds.

    ``thresholds`` are dicts of level, metric, minimum and per_seat.
    """
    use_case = use_case or UseCase(workspace=workspace)
    for name in USE_CASE_FIELDS:
        setattr(use_case, name, data[name])
    errors = {}
    if UseCase.objects.filter(name=use_case.name).exclude(pk=use_case.pk).exists():
        errors["name"] = f"Another use case is already called {use_case.name!r}."
    if use_case.assisted_value < use_case.implicit_value:
        errors["assisted_value"] = "Assisted value cannot be below what a customer reaches alone."
    if errors:
        raise ValidationError(errors)
    use_case.save()
    use_case.thresholds.all().delete()
    Threshold.objects.bulk_create(
        [Threshold(workspace=workspace, use_case=use_case, **row) for row in thresholds]
    )
    ladder_refresh(
        account_ids=AccountUseCase.objects.filter(use_case=use_case).values_list(
            "account_id", flat=True
        )
    )
    return use_case


@transaction.atomic
def account_use_cases_set(
    *, workspace: Workspace, account: Account, use_cases: Iterable[UseCase]
) -> None:
    """Make ``use_cases`` exactly the ones the account pursues, keeping those it already had."""
    wanted = {use_case.pk for use_case in use_cases}
    AccountUseCase.objects.filter(account=account).exclude(use_case_id__in=wanted).delete()
    have = set(AccountUseCase.objects.filter(account=account).values_list("use_case_id", flat=True))
    AccountUseCase.objects.bulk_create(
        [
            AccountUseCase(workspace=workspace, account=account, use_case_id=use_case_id)
            for use_case_id in sorted(wanted - have)
        ]
    )
    ladder_refresh(account_ids=[account.pk])
