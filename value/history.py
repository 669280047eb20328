"""An evidence claim's history as people read it: field labels, choice labels and the names of
the use case and stakeholder a change pointed at, instead of stored field names and ids."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from value.models import Evidence, EvidenceChange


@dataclass(frozen=True)
class ShownChange:
    """One change with its before and after values as (label, shown value) pairs."""

    change: EvidenceChange
    before: list[tuple[str, str]]
    after: list[tuple[str, str]]


def evidence_history(*, evidence: Evidence) -> list[ShownChange]:
    """The claim's changes, newest first; related objects are named with one query per kind."""
    changes = list(evidence.changes.select_related("by"))
    names = _related_names(changes)
    return [
        ShownChange(
            change=change,
            before=[_shown(key, value, names) for key, value in change.before.items()],
            after=[_shown(key, value, names) for key, value in change.after.items()],
        )
        for change in changes
    ]


def _field(key: str) -> models.Field | None:
    try:
        return Evidence._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def _related_names(changes: list[EvidenceChange]) -> dict[str, dict[Any, str]]:
    """For each related field the history mentions, the name of each object it points at."""
    ids: dict[str, set] = {}
    for change in changes:
        for values in (change.before, change.after):
            for key, value in values.items():
                field = _field(key)
                if field is not None and field.is_relation and value is not None:
                    ids.setdefault(key, set()).add(value)
    return {
        key: {obj.pk: str(obj) for obj in _field(key).related_model.objects.filter(pk__in=pks)}
        for key, pks in ids.items()
    }


def _shown(key: str, value: Any, names: dict[str, dict[Any, str]]) -> tuple[str, str]:
    field = _field(key)
    if field is None:
        return key.replace("_", " ").capitalize(), "—" if value in (None, "") else str(value)
    label = str(field.verbose_name).capitalize()
    if value is None or value == "":
        return label, "—"
    if field.is_relation:
        # An object deleted since the change keeps its place in the history, unnamed.
        return label, names.get(key, {}).get(value, f"(deleted {field.verbose_name})")
    if field.choices:
        return label, str(dict(field.flatchoices).get(value, value))
    return label, str(value)
