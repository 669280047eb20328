"""Check every cell of an accounts CSV and return the clean rows with its errors."""

import re
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

import pandas as pd

from accounts.csv_import.fields import (
    ARR,
    CENT,
    COLUMNS,
    CONTRACT_START,
    CURRENCY,
    DATE_FORMAT,
    DEFAULT_LIMITS,
    DOMAIN,
    ERROR_COLUMNS,
    EXISTING_COLUMNS,
    EXTERNAL_ID,
    LICENSED_SEATS,
    MAX_ARR,
    MAX_LENGTHS,
    MAX_SEATS,
    OWNER_EMAIL,
    PARENT_EXTERNAL_ID,
    RENEWAL_DATE,
    REQUIRED_COLUMNS,
    SCALE_COLUMNS,
    ImportRules,
    ParsedImport,
)
from accounts.csv_import.rules import currency_change_errors, date_order_errors, status_arr_errors
from csos.currencies import CURRENCY_CODES
from csos.imports.reading import FileRefused, Limits, apply_mapping, read_table, summarize_errors
from csos.imports.spec import ColumnMapping

_FILE_ROW = {"row": None, "field": None}


def column_key(header: str) -> str:
    """The column a header names, whatever its case and spacing: " Owner E-mail" is owner_email."""
    return re.sub(r"[\s\-]+", "_", header.strip().lower()).replace("e_mail", "email")


def parse_accounts_csv(
    text: str,
    *,
    rules: ImportRules,
    existing: pd.DataFrame,
    limits: Limits = DEFAULT_LIMITS,
    mapping: ColumnMapping | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ParsedImport:
    """Check every cell of an accounts CSV and return the clean rows with its errors.

    ``existing`` lists the workspace's accounts (EXISTING_COLUMNS), so that a file changing only
    one of an account's dates is checked against the other one it already has, an ARR is
    checked against the status the account will have, and a currency against the one its ARR
    ledger is kept in. Without a ``mapping`` the headers must name the columns themselves.
    """
    missing = set(EXISTING_COLUMNS) - set(existing.columns)
    if missing:
        raise ValueError(f"existing lacks columns: {sorted(missing)}")
    try:
        table = read_table(text, limits, on_progress=on_progress)
    except FileRefused as refused:
        return _file_error(str(refused))
    if mapping is None:
        raw = _without_blank_columns(table.frame)
    else:
        raw = apply_mapping(
            table, columns=mapping.columns, values=mapping.values, choices=rules.value_choices
        )
    header_row = int(raw.index[0]) + 1
    headers = [str(header) for header in raw.iloc[0]]
    keys = [column_key(header) for header in headers]
    # Columns keep their spreadsheet number in messages, blank columns dropped or not.
    errors = _header_errors(headers, keys, [int(label) + 1 for label in raw.columns], header_row)
    first_position = {key: pos for pos, key in reversed(list(enumerate(keys)))}
    known = [key for key in COLUMNS if key in first_position]

    data = raw.iloc[1:].apply(lambda column: column.str.strip())
    data.index = data.index + 1  # the spreadsheet row number
    data = data[(data != "").any(axis=1)]
    if data.empty:
        errors.append(_FILE_ROW | {"message": "The file has no data rows below its header."})
        return _parsed(pd.DataFrame(columns=list(COLUMNS)), 0, pd.DataFrame(errors), limits)
    cells = data.iloc[:, [first_position[key] for key in known]]
    cells.columns = known

    clean = pd.DataFrame(index=cells.index)
    problems = pd.DataFrame("", index=cells.index, columns=known)
    for key in known:
        clean[key], problems[key] = _check_column(key, cells[key], rules)
    if EXTERNAL_ID in known:
        problems[EXTERNAL_ID] = _first(problems[EXTERNAL_ID], _duplicates(cells[EXTERNAL_ID]))
    for key, messages in (
        *date_order_errors(cells, clean, existing).items(),
        *status_arr_errors(cells, clean, existing).items(),
        *currency_change_errors(cells, clean, existing).items(),
    ):
        problems[key] = _first(problems[key], messages)

    # Row then column order, built column-wise: a file may hold many thousands of errors.
    stacked = problems.stack()
    stacked = stacked[stacked != ""]
    cell_errors = pd.DataFrame(
        {
            "row": stacked.index.get_level_values(0),
            "field": stacked.index.get_level_values(1),
            "message": stacked.to_numpy(),
        }
    )
    rows = clean[~(problems != "").any(axis=1)].astype(object)
    return _parsed(
        rows.where(rows.notna(), None),
        len(cells),
        pd.concat([pd.DataFrame(errors, columns=ERROR_COLUMNS), cell_errors]),
        limits,
    )


def web_domain(cell: str) -> str:
    """The domain a website cell names: "https://www.Acme.example/about" is "acme.example"."""
    host = re.sub(r"^[a-z][a-z0-9+.\-]*://", "", cell.strip().lower()).split("/")[0]
    return host.split(":")[0].removeprefix("www.")


def _file_error(message: str) -> ParsedImport:
    return _parsed(
        pd.DataFrame(columns=list(COLUMNS)),
        0,
        pd.DataFrame([_FILE_ROW | {"message": message}], columns=ERROR_COLUMNS),
        DEFAULT_LIMITS,
    )


def _parsed(rows: pd.DataFrame, row_count: int, errors: pd.DataFrame, limits: Limits):
    summary = summarize_errors(errors.reset_index(drop=True), limits)
    return ParsedImport(
        rows=rows,
        row_count=row_count,
        errors=summary.errors,
        error_kinds=summary.kinds,
        error_count=summary.total,
    )


def _without_blank_columns(raw: pd.DataFrame) -> pd.DataFrame:
    """The file without columns that have neither a header nor a value.

    Spreadsheets often export such a column after the last one (a trailing comma on every
    line); it says nothing, so it is no error. A column with values but no header still is.
    """
    blank = raw.fillna("").apply(lambda column: column.str.strip() == "").all(axis=0)
    return raw.loc[:, ~blank]


def _header_errors(
    headers: list[str], keys: list[str], positions: list[int], header_row: int
) -> list[dict]:
    errors = []
    seen: set[str] = set()
    for position, header, key in zip(positions, headers, keys, strict=True):
        if not key:
            message = f"Column {position} has no name."
        elif key not in COLUMNS:
            message = f"Unknown column {header.strip()!r}."
        elif key in seen:
            message = f"The column {key} appears more than once."
        else:
            seen.add(key)
            continue
        errors.append({"row": header_row, "field": header.strip() or None, "message": message})
    errors += [
        {"row": header_row, "field": key, "message": f"The required column {key} is missing."}
        for key in REQUIRED_COLUMNS
        if key not in seen
    ]
    return errors


def _check_column(key: str, values: pd.Series, rules: ImportRules) -> tuple[pd.Series, pd.Series]:
    """The clean values of one column (None where blank or bad) and a message per bad cell."""
    if key == DOMAIN:
        return _check_text(values.map(web_domain), required=False, max_length=MAX_LENGTHS[key])
    if key in MAX_LENGTHS:
        return _check_text(values, required=key in REQUIRED_COLUMNS, max_length=MAX_LENGTHS[key])
    if key == PARENT_EXTERNAL_ID:  # another account's external id
        return _check_text(values, required=False, max_length=MAX_LENGTHS[EXTERNAL_ID])
    if key == OWNER_EMAIL:
        return _check_owner(values, rules.owner_emails)
    if key == ARR:
        return _check_each(values, _arr)
    if key == CURRENCY:
        codes = values.str.upper()
        bad = ~codes.isin(CURRENCY_CODES) | ~values.map(str.isascii)
        return _clean(codes, values, bad, "{value!r} is not an ISO 4217 currency code.")
    if key in (CONTRACT_START, RENEWAL_DATE):
        dates = pd.to_datetime(values, format=DATE_FORMAT, errors="coerce")
        clean = pd.Series(dates.dt.date.astype(object), index=values.index)
        return _clean(clean, values, dates.isna(), "{value!r} is not a date like 2025-01-31.")
    if key == LICENSED_SEATS:
        return _check_each(values, _seats)
    if key in SCALE_COLUMNS:
        bad = ~values.str.fullmatch(r"[1-5]")
        message = "{value!r} is not a whole number from 1 to 5."
        return _clean(values.where(~bad, "0").map(int), values, bad, message)
    return _check_choice(values, rules.choices[key])


def _clean(
    clean: pd.Series, values: pd.Series, bad: pd.Series, template: str
) -> tuple[pd.Series, pd.Series]:
    """Blank cells are no value and no error; a bad cell is None with its message."""
    bad = bad & (values != "")
    messages = pd.Series("", index=values.index, dtype=object)
    messages[bad] = [template.format(value=value) for value in values[bad]]
    return clean.astype(object).where(~bad & (values != ""), None), messages


def _check_text(
    values: pd.Series, *, required: bool, max_length: int
) -> tuple[pd.Series, pd.Series]:
    too_long = values.str.len() > max_length
    clean, messages = _clean(values, values, too_long, f"Longer than {max_length} characters.")
    if required:
        messages[values == ""] = "A value is required."
    return clean, messages


def _check_owner(values: pd.Series, owner_emails: frozenset[str]) -> tuple[pd.Series, pd.Series]:
    emails = values.str.lower()
    message = "{value} is not a CSM, leader or admin of this workspace."
    return _clean(emails, values, ~emails.isin(list(owner_emails)), message)


def _check_choice(
    values: pd.Series, choices: Sequence[tuple[str, str]]
) -> tuple[pd.Series, pd.Series]:
    """A choice may be written as its value or its label, in any case."""
    accepted = {text.lower(): value for value, label in choices for text in (value, label)}
    clean = values.str.lower().map(accepted)
    allowed = ", ".join(value for value, _ in choices)
    return _clean(clean, values, clean.isna(), f"{{value!r}} is not one of: {allowed}.")


def _check_each(values: pd.Series, check) -> tuple[pd.Series, pd.Series]:
    """Run ``check(cell) -> (value, message)`` on every non-blank cell."""
    checked = [check(value) if value else (None, "") for value in values]
    return (
        pd.Series([value for value, _ in checked], index=values.index, dtype=object),
        pd.Series([message for _, message in checked], index=values.index, dtype=object),
    )


def _arr(cell: str) -> tuple[Decimal | None, str]:
    try:
        amount = Decimal(cell)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        return None, f"{cell!r} is not a number."
    if amount < 0:
        return None, "ARR cannot be negative."
    if amount >= MAX_ARR:
        return None, f"ARR must be below {MAX_ARR:,}."
    if amount != amount.quantize(CENT):
        return None, f"{cell!r} has more than two decimal places."
    return amount.quantize(CENT), ""


def _seats(cell: str) -> tuple[int | None, str]:
    if not cell.isdigit() or not cell.isascii():
        return None, f"{cell!r} is not a whole number of seats (0 or more)."
    if int(cell) > MAX_SEATS:
        return None, f"Seats must be at most {MAX_SEATS:,}."
    return int(cell), ""


def _duplicates(ids: pd.Series) -> pd.Series:
    """A message on every repeat of an external_id, naming the row that used it first."""
    first_row = ids.index.to_series(index=ids.index).groupby(ids.values).transform("min")
    repeat = (ids != "") & (first_row != ids.index)
    messages = pd.Series("", index=ids.index, dtype=object)
    messages[repeat] = [
        f"Duplicate external_id {value!r}: row {row} has it already."
        for value, row in zip(ids[repeat], first_row[repeat], strict=True)
    ]
    return messages


def _first(*messages: pd.Series) -> pd.Series:
    """Per cell, the first non-empty message."""
    result = messages[0]
    for more in messages[1:]:
        result = result.where(result != "", more)
    return result
