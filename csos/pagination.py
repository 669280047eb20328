from collections.abc import Callable

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


class KeysFirstPaginator(Paginator):
    """Pages a queryset whose per-row annotations are costly (correlated subqueries).

    PostgreSQL computes a row's output columns before OFFSET discards it, so page 40 of a
    plain slice evaluates the annotations for 2,000 rows to show 50. Here the page's keys
    are chosen by a subquery in the same statement, and the outer query computes the
    annotations for the rows shown only, in the same order. ``page_rows`` adds to the page's
    query what only the rows shown need.
    """

    def __init__(self, object_list, per_page, *, page_rows: Callable[[QuerySet], QuerySet], **kw):
        super().__init__(object_list, per_page, **kw)
        self.page_rows = page_rows

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        page_keys = self.object_list.values("pk")[bottom:top]
        rows = self.page_rows(self.object_list.filter(pk__in=page_keys))
        return self._get_page(rows, number, self)
