"""Filter-set parts every list page and endpoint shares."""

import django_filters


class StableOrderingFilter(django_filters.OrderingFilter):
    """Sorts by the fields behind each chosen parameter, then by id, so that pages never repeat
    or skip rows; with no parameter it sorts by ``default``."""

    def __init__(self, *, columns: dict[str, tuple[str, ...]], default: str, **kwargs):
        super().__init__(fields={param: param for param in columns}, **kwargs)
        self.columns = columns
        self.default = default

    def filter(self, qs, value):
        ordering = []
        for param in value or [self.default]:
            direction = "-" if param.startswith("-") else ""
            ordering += [direction + field for field in self.columns[param.removeprefix("-")]]
        return qs.order_by(*ordering, "id")
