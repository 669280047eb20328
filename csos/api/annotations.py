"""Read-only fields a higher app adds to a lower app's endpoint.

The account endpoints belong to ``accounts``, which knows nothing of health or the value ladder,
yet an integration wants each account with its latest health and its highest proven level.
Those apps register an ``ApiAnnotation`` from their ``AppConfig.ready()``, as they register
portfolio columns: an expression computed per row inside the endpoint's one query, and the
serializer field that shows it. A page costs the same queries however many rows it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rest_framework import serializers


@dataclass(frozen=True)
class ApiAnnotation:
    model: str
    key: str
    annotation: Callable[[], Any]
    field: Callable[[], serializers.Field]
    order: int = 100


_annotations: dict[str, dict[str, ApiAnnotation]] = {}


def register_api_annotation(annotation: ApiAnnotation) -> None:
    """Add ``annotation`` to its model's endpoints; the same key again replaces it."""
    _annotations.setdefault(annotation.model, {})[annotation.key] = annotation


def api_annotations(model: str) -> list[ApiAnnotation]:
    return sorted(_annotations.get(model, {}).values(), key=lambda a: (a.order, a.key))


def annotate(queryset, *, model: str):
    return queryset.annotate(**{a.key: a.annotation() for a in api_annotations(model)})


class AnnotatedFieldsMixin:
    """Adds the registered annotations of ``Meta.model`` as read-only fields."""

    def get_fields(self):
        fields = super().get_fields()
        for annotation in api_annotations(self.Meta.model._meta.label):
            fields[annotation.key] = annotation.field()
        return fields
