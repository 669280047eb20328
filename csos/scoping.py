"""Choices that stay inside the workspace: one mixin for forms and for API serializers.

A form or serializer may be declared at import time with querysets of tenant models: the scoped
manager names the workspace only when the query runs. This mixin also narrows fields that offer
users, a table every workspace shares, to the members of the workspace in scope.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from csos.models import Membership
from csos.tenancy import CurrentWorkspaceId, is_tenant_model


def scoped_choice_queryset(queryset: QuerySet) -> QuerySet:
    """``queryset`` narrowed to what the workspace in scope may offer as a choice.

    Tenant rows keep their own conditions plus the workspace's; users become the workspace's
    members. Any other model has no scope to offer choices from and is refused.
    """
    model = queryset.model
    if is_tenant_model(model):
        return queryset.filter(workspace_id=CurrentWorkspaceId())
    if model is get_user_model():
        members = Membership.objects.values("user_id")
        return queryset.filter(pk__in=members).order_by("first_name", "last_name", "email")
    raise TypeError(f"{model.__name__} has no workspace scope to offer choices from.")


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """A form field's choices read by one plain query. Django's iterator reads them through a
    server-side cursor on PostgreSQL: a held cursor declared, fetched and closed, three round
    trips on every page that renders the field, for a list of a few rows."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class WorkspaceScopedFieldsMixin:
    """Narrows every related-object field of a form or serializer to the workspace in scope."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self._related_choice_fields():
            if isinstance(field, forms.ModelChoiceField):
                # Before the queryset: setting it hands the widget an iterator of the class.
                field.iterator = ListedChoiceIterator
            field.queryset = scoped_choice_queryset(field.queryset)

    def _related_choice_fields(self):
        if isinstance(self, forms.BaseForm):
            return [f for f in self.fields.values() if isinstance(f, forms.ModelChoiceField)]
        from rest_framework import relations

        fields = []
        for field in self.fields.values():
            child = getattr(field, "child_relation", field)
            if isinstance(child, relations.RelatedField) and child.queryset is not None:
                fields.append(child)
        return fields
