"""Filter-set parts every list page and endpoint shares."""

import copy

import django_filters
from django import forms


class CopiedShallow:
    """django-filter deep-copies every filter of a set for each request, down to each choice
    label. These filters are never changed in place, only given new values, so copying the
    filter and its ``extra`` options is enough: most of a millisecond on every list page."""

    def __deepcopy__(self, memo):
        clone = copy.copy(self)
        clone.extra = dict(self.extra)
        clone.method = self.method  # binds the filter method to the copy, not to this filter
        return clone


class CharFilter(CopiedShallow, django_filters.CharFilter):
    pass


class EmptyFirstChoiceField(forms.ChoiceField):
    """A filter's choices with the "any" option first. django-filter's own choice field keeps
    them in an iterator that each form deep-copies, field and all, on every request."""

    def __init__(self, *, choices=(), empty_label: str, **kwargs):
        super().__init__(choices=[("", empty_label), *choices], **kwargs)

    def __deepcopy__(self, memo):
        # Choices are only ever replaced, never changed in place: each form may share them.
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = self._choices
        return result


class ChoiceFilter(CopiedShallow, django_filters.Filter):
    """One of a few values; the empty choice filters nothing."""

    field_class = EmptyFirstChoiceField


class StableOrderingFilter(CopiedShallow, django_filters.OrderingFilter):
    """Sorts by the fields behind each chosen parameter, then by id, so that pages never repeat
    or skip rows; with no parameter it sorts by ``default``. A parameter's fields are names or
    expressions (a rank computed from the row)."""

    def __init__(self, *, columns: dict[str, tuple[str, ...]], default: str, **kwargs):
        super().__init__(fields={param: param for param in columns}, **kwargs)
        self.columns = columns
        self.default = default

    def filter(self, qs, value):
        ordering = []
        for param in value or [self.default]:
            direction = "-" if param.startswith("-") else ""
            for field in self.columns[param.removeprefix("-")]:
                if isinstance(field, str):
                    ordering.append(direction + field)
                else:
                    ordering.append(field.desc() if direction else field.asc())
        return qs.order_by(*ordering, "id")
