"""Tables leaving as CSV files: streamed in chunks, safe to open in a spreadsheet."""

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice

import tablib
from django.http import StreamingHttpResponse

CHUNK_ROWS = 1_000
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """``value`` as a spreadsheet will read it: text that would start a formula stays text.

    Numbers pass unchanged, so a negative amount is still a number.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _csv_chunks(headers: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    rows = iter(rows)
    # The byte-order mark makes spreadsheet programs read the file as UTF-8.
    chunk_headers: Sequence[str] | None = headers
    prefix = "\ufeff"
    while True:
        chunk = [[csv_cell(value) for value in row] for row in islice(rows, CHUNK_ROWS)]
        if not chunk and chunk_headers is None:
            return
        yield prefix + tablib.Dataset(*chunk, headers=chunk_headers).export("csv")
        if len(chunk) < CHUNK_ROWS:
            return
        chunk_headers, prefix = None, ""


def csv_download(
    *, filename: str, headers: Sequence[str], rows: Iterable[Sequence]
) -> StreamingHttpResponse:
    """A CSV attachment of ``rows`` under ``headers``, encoded a chunk of rows at a time.

    ``rows`` is read while the response streams, after the view has returned: pass rows whose
    query has already run (see ``started_rows``), since the workspace scope is gone by then.
    """
    response = StreamingHttpResponse(_csv_chunks(headers, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def started_rows(queryset, *, chunk_size: int = CHUNK_ROWS) -> Iterator:
    """The rows of ``queryset`` from a cursor opened now, inside the request's workspace scope.

    The query runs here; the rows are fetched from its cursor ``chunk_size`` at a time as the
    response streams, so the whole table is never held in memory.
    """
    rows = queryset.iterator(chunk_size=chunk_size)
    first = next(rows, None)
    return iter(()) if first is None else chain([first], rows)
