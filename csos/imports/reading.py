"""Read a CSV within fixed limits, apply a column mapping, and summarise its errors.

Pure pandas: no Django, no database. Every limit is checked before the work it bounds, so a
hostile file costs at most the limits' worth of work, and its errors at most a bounded list.
"""

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from csos.imports.spec import LEAVE_BLANK, guess_value

READ_CHUNK = 10_000  # rows per read, and so per progress report
MAX_SAMPLES = 50  # distinct values kept per column for the mapping page
MAX_SAMPLE_LENGTH = 80
MAX_KINDS = 50  # kinds of error summarised; the rest are counted together
MAX_MESSAGE_LENGTH = 300  # a message quotes its cell, and a cell can be megabytes long


@dataclass(frozen=True)
class Limits:
    """What one file may hold, and how many of its errors are listed one by one."""

    max_columns: int
    max_rows: int
    max_listed_errors: int


class FileRefused(Exception):
    """The file is refused as a whole; the message says why, naming the limit it broke."""


@dataclass(frozen=True)
class Table:
    """A file's cells as text, indexed by spreadsheet row number minus one.

    Its first row is the header row (the file's first non-blank line); ``headers`` are its cells.
    """

    frame: pd.DataFrame
    headers: list[str]


@dataclass(frozen=True)
class ErrorSummary:
    """Every error counted by kind, and the first ``max_listed_errors`` of them listed."""

    errors: list[dict]
    kinds: list[dict]
    total: int


def read_header(text: str, limits: Limits) -> list[str]:
    """The cells of the first non-blank line, refusing a header past the column limit."""
    try:
        for cells in csv.reader(io.StringIO(text)):
            if any(cell.strip() for cell in cells):
                if len(cells) > limits.max_columns:
                    raise FileRefused(
                        f"The file has {len(cells):,} columns; an import takes at most "
                        f"{limits.max_columns:,}."
                    )
                return [cell.strip() for cell in cells]
    except csv.Error as error:
        raise FileRefused(f"The file is not a well-formed CSV: {error}") from None
    raise FileRefused("The file is empty.")


def read_table(
    text: str, limits: Limits, *, on_progress: Callable[[int], None] | None = None
) -> Table:
    """Every cell of the file as text, refusing it past the column or row limit.

    Blank lines before the header are skipped; the rest keep their place, so the index stays
    the spreadsheet row number minus one. ``on_progress(rows)`` hears how many rows are read.
    """
    headers = read_header(text, limits)
    chunks = []
    rows = 0
    try:
        reader = pd.read_csv(
            io.StringIO(text),
            header=None,
            names=range(len(headers)),
            dtype=str,
            keep_default_na=False,  # "NA" or "null" may be a real name or id
            skip_blank_lines=False,  # keep the index equal to the spreadsheet row
            chunksize=READ_CHUNK,
        )
        for chunk in reader:
            rows += len(chunk)
            if rows > limits.max_rows + READ_CHUNK:
                break
            chunks.append(chunk)
            if on_progress:
                on_progress(rows)
    except pd.errors.ParserError as error:
        detail = str(error).strip().removeprefix("Error tokenizing data. C error: ")
        raise FileRefused(f"The file is not a well-formed CSV: {detail}") from None
    frame = pd.concat(chunks).fillna("")
    filled = (frame.apply(lambda column: column.str.strip()) != "").any(axis=1)
    header_at = filled.idxmax()
    frame = frame.loc[header_at:]
    data_rows = int(filled.loc[header_at:].sum()) - 1
    if data_rows > limits.max_rows:
        raise FileRefused(
            f"The file has more than {limits.max_rows:,} rows; an import takes at most "
            f"{limits.max_rows:,}. Split it into smaller files."
        )
    return Table(frame=frame, headers=headers)


def column_samples(table: Table) -> list[list[str]]:
    """Per column, its distinct non-blank values, when it has at most MAX_SAMPLES of them.

    A column with more is no list of choices (ids, names, amounts): it gets no samples.
    """
    samples = []
    for position in table.frame.columns:
        values = table.frame[position].iloc[1:].str.strip()
        distinct = values[values != ""].unique()
        if len(distinct) > MAX_SAMPLES:
            samples.append([])
        else:
            samples.append(sorted(value[:MAX_SAMPLE_LENGTH] for value in distinct))
    return samples


def apply_mapping(
    table: Table,
    *,
    columns: Sequence[str | None],
    values: Mapping[str, Mapping[str, str]],
    choices: Mapping[str, Sequence[tuple[str, str]]],
) -> pd.DataFrame:
    """The file with its header row renamed to the mapped fields, ignored columns left out.

    A value field's cells become the value their mapping names (blank for LEAVE_BLANK); a
    value without a mapping is guessed from the field's ``choices`` and otherwise left as
    written, for the check to report.
    """
    if len(columns) != len(table.headers):
        raise ValueError("The mapping does not fit this file's header row.")
    kept = [position for position, key in enumerate(columns) if key]
    frame = table.frame.iloc[:, kept].copy()
    # Cell by cell: a list assigned to the row of a one-column frame is refused by pandas.
    for column, position in enumerate(kept):
        frame.iat[0, column] = columns[position]
    for position in kept:
        key = columns[position]
        if key not in choices:
            continue
        cells = frame.iloc[1:, kept.index(position)]
        mapped = dict(values.get(key, {}))
        lookup = {
            value: _meaning(value, mapped, choices[key])
            for value in cells.unique()
            if value.strip()
        }
        frame.iloc[1:, kept.index(position)] = cells.replace(lookup)
    return frame


def _meaning(value: str, mapped: Mapping[str, str], choices: Sequence[tuple[str, str]]) -> str:
    """What a value stands for: its mapping, else its guess. A value once left blank is guessed
    again first, so an owner invited since the mapping was confirmed gets their accounts."""
    meant = mapped.get(value.strip())
    if meant and meant != LEAVE_BLANK:
        return meant
    guessed = guess_value(value, choices)
    if guessed:
        return guessed
    return "" if meant == LEAVE_BLANK else value


# What varies between two errors of the same kind: quoted values, e-mails, numbers and dates.
_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|\S+@\S+|\d[\d,.:\-]*")


def summarize_errors(errors: pd.DataFrame, limits: Limits) -> ErrorSummary:
    """Count ``errors`` (columns row, field, message) by kind and list the first of them.

    Two errors are of one kind when they concern the same field and their messages differ only
    in the values they quote; each kind keeps its first message as its example.
    """
    total = len(errors)
    errors = errors.assign(message=errors["message"].map(_shortened))
    listed = errors.head(limits.max_listed_errors)
    listed_dicts = [
        {
            "row": None if pd.isna(row) else int(row),
            "field": None if pd.isna(field) else field,
            "message": message,
        }
        for row, field, message in listed.itertuples(index=False, name=None)
    ]
    if not total:
        return ErrorSummary(errors=[], kinds=[], total=0)
    kind = (
        errors["field"].fillna("")
        + "\x1f"
        + errors["message"].str.replace(_VARYING, "…", regex=True)
    )
    grouped = (
        errors.assign(kind=kind)
        .groupby("kind", sort=False)
        .agg(field=("field", "first"), example=("message", "first"), count=("message", "size"))
        .sort_values("count", ascending=False, kind="stable")
    )
    kinds = [
        {"field": None if pd.isna(field) else field, "example": example, "count": int(count)}
        for field, example, count in grouped.head(MAX_KINDS).itertuples(index=False, name=None)
    ]
    rest = int(grouped["count"].iloc[MAX_KINDS:].sum())
    if rest:
        kinds.append({"field": None, "example": "Other problems", "count": rest})
    return ErrorSummary(errors=listed_dicts, kinds=kinds, total=total)


def _shortened(message: str) -> str:
    if len(message) <= MAX_MESSAGE_LENGTH:
        return message
    return message[: MAX_MESSAGE_LENGTH - 1] + "…"
