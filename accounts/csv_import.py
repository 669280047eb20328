"""Parse and check an accounts CSV. Pure pandas: no Django, no database, no clock.

The caller passes in what a file is checked against besides itself (the workspace's possible
owners, the choice lists, the dates of accounts it already has) as plain data, and gets back the
clean rows and every error, one per bad cell, each naming its spreadsheet row and column.

A blank cell means "no value given": a new account takes the default, an existing one keeps what
it has, exactly as when the whole column is left out of the file.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import pandas as pd
from rapidfuzz import fuzz, process

from accounts import ledger
from csos.currencies import CURRENCY_CODES
from csos.imports.reading import FileRefused, Limits, apply_mapping, read_table, summarize_errors
from csos.imports.spec import ColumnMapping, FieldSpec, ImportSpec

EXTERNAL_ID = "external_id"
NAME = "name"
OWNER_EMAIL = "owner_email"
ARR = "arr"
CURRENCY = "currency"
CONTRACT_START = "contract_start"
RENEWAL_DATE = "renewal_date"
LICENSED_SEATS = "licensed_seats"
LIFECYCLE_STAGE = "lifecycle_stage"
STATUS = "status"
SEGMENT = "segment"
INDUSTRY = "industry"
DOMAIN = "domain"
PARENT_EXTERNAL_ID = "parent_external_id"
SCALE_COLUMNS = (
    "complexity",
    "strategic_potential",
    "product_maturity",
    "implementation_difficulty",
    "executive_visibility",
)
CHOICE_COLUMNS = (LIFECYCLE_STAGE, STATUS, SEGMENT)
REQUIRED_COLUMNS = (EXTERNAL_ID, NAME)
OPTIONAL_COLUMNS = (
    OWNER_EMAIL,
    ARR,
    CURRENCY,
    CONTRACT_START,
    RENEWAL_DATE,
    LICENSED_SEATS,
    LIFECYCLE_STAGE,
    STATUS,
    SEGMENT,
    INDUSTRY,
    DOMAIN,
    PARENT_EXTERNAL_ID,
    *SCALE_COLUMNS,
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# Whether an existing account has ARR movements, whose currency its currency then labels.
HAS_LEDGER = "has_arr_movements"
EXISTING_COLUMNS = (EXTERNAL_ID, CONTRACT_START, RENEWAL_DATE, STATUS, CURRENCY, HAS_LEDGER)
# AccountStatus.CHURNED; tests/accounts/test_csv_import.py keeps it in step.
CHURNED = "churned"

# Storage limits of the account table; tests/accounts/test_csv_import.py keeps them in step.
MAX_LENGTHS = {EXTERNAL_ID: 100, NAME: 200, INDUSTRY: 80, DOMAIN: 253}
MAX_ARR = ledger.MAX_ARR
MAX_SEATS = 2**31 - 1  # PostgreSQL integer
CENT = Decimal("0.01")

DATE_FORMAT = "%Y-%m-%d"
ERROR_COLUMNS = ["row", "field", "message"]
_FILE_ROW = {"row": None, "field": None}
# What a file may hold; the settings ACCOUNT_IMPORT_MAX_COLUMNS and _MAX_ROWS override it.
DEFAULT_LIMITS = Limits(max_columns=500, max_rows=100_000, max_listed_errors=100)

# How other systems name the columns. CRM columns that only look like ours are lookalikes:
# HubSpot's "Lifecycle Stage" and Salesforce's "Type" are sales stages (lead, customer), a
# company's "Annual Revenue" is its own turnover, not what it pays us, and "Create Date" is when
# the CRM record was made. None is guessed; each can still be mapped by hand.
ACCOUNT_SPEC = ImportSpec(
    kind="accounts",
    fields=(
        FieldSpec(
            EXTERNAL_ID,
            "External ID",
            required=True,
            synonyms=("record id", "account id", "company id", "crm id", "id", "customer id"),
            example="CRM-1001",
        ),
        FieldSpec(
            NAME,
            "Name",
            required=True,
            synonyms=("company name", "account name", "company", "account", "customer name"),
            example="Acme Ltd",
        ),
        FieldSpec(
            OWNER_EMAIL,
            "Owner",
            synonyms=(
                "company owner",
                "account owner",
                "owner",
                "csm",
                "customer success manager",
                "account owner email",
                "owner email address",
                "csm email",
                "owner id",
                "account owner id",
            ),
            maps_values=True,
            blank_label="Leave unassigned",
            example="csm@example.com",
        ),
        FieldSpec(
            ARR,
            "ARR",
            synonyms=("annual recurring revenue", "arr amount", "current arr"),
            lookalikes=("annual revenue", "revenue"),
            example="12000.00",
        ),
        FieldSpec(
            CURRENCY,
            "Currency",
            synonyms=("currency code", "account currency", "arr currency"),
            example="USD",
        ),
        FieldSpec(
            CONTRACT_START,
            "Contract start",
            synonyms=("contract start date", "start date", "customer since"),
            lookalikes=("create date", "created date", "close date"),
            example="2025-01-31",
        ),
        FieldSpec(
            RENEWAL_DATE,
            "Renewal date",
            synonyms=("renewal", "contract end date", "contract end", "next renewal date"),
            example="2026-01-31",
        ),
        FieldSpec(
            LICENSED_SEATS,
            "Licensed seats",
            synonyms=("seats", "licenses", "licences", "licensed users"),
            example="25",
        ),
        FieldSpec(
            LIFECYCLE_STAGE,
            "CS lifecycle stage",
            synonyms=("cs stage", "cs lifecycle stage", "customer success stage"),
            lookalikes=("lifecycle stage", "lifecyclestage", "stage", "lead status"),
            maps_values=True,
            blank_label="Leave empty",
            example="onboarding",
        ),
        FieldSpec(
            STATUS,
            "Status",
            synonyms=("account status", "customer status"),
            lookalikes=("type",),
            maps_values=True,
            example="active",
        ),
        FieldSpec(
            SEGMENT,
            "Segment",
            synonyms=("customer segment", "cs segment", "tier"),
            maps_values=True,
            blank_label="Leave empty",
            example="mid_market",
        ),
        FieldSpec(INDUSTRY, "Industry", synonyms=("sector", "vertical"), example="Software"),
        FieldSpec(
            DOMAIN,
            "Domain",
            synonyms=(
                "company domain name",
                "domain name",
                "company domain",
                "website",
                "web site",
            ),
            example="acme.example",
        ),
        # Salesforce's ParentId and HubSpot's Parent Company ID hold the parent's record id;
        # HubSpot's "Parent Company" holds its name, a lookalike.
        FieldSpec(
            PARENT_EXTERNAL_ID,
            "Parent account ID",
            synonyms=("parentid", "parent id", "parent company id", "parent account id"),
            lookalikes=("parent company", "parent account"),
            example="CRM-1000",
        ),
        *(FieldSpec(key, key.replace("_", " ").capitalize(), example="3") for key in SCALE_COLUMNS),
    ),
)

# How the CSV of records that belong to accounts (usage, stakeholders, tickets, surveys) names
# each record's account: by its external ID, as their API batches do.
ACCOUNT_EXTERNAL_ID_FIELD = FieldSpec(
    "account_external_id",
    "Account external ID",
    required=True,
    synonyms=(
        "external id",
        "account id",
        "customer id",
        "company id",
        "crm id",
        "organization id",
        "organization external id",
    ),
    example="CRM-1001",
)


@dataclass(frozen=True)
class ImportRules:
    """What a file is checked against besides itself.

    ``owner_emails`` are the lower-cased e-mails of the people who may own accounts;
    ``choices`` maps each choice column to its (value, label) pairs.
    """

    owner_emails: frozenset[str]
    choices: Mapping[str, Sequence[tuple[str, str]]]
    # (e-mail, full name) of the same people, for files that name owners rather than give e-mails.
    owners: Sequence[tuple[str, str]] = ()

    @property
    def value_choices(self) -> dict[str, Sequence[tuple[str, str]]]:
        """What each value field's cells may be mapped onto."""
        return {**self.choices, OWNER_EMAIL: self.owners}


@dataclass(frozen=True)
class ParsedImport:
    """The outcome of checking one file.

    ``rows`` holds the rows without errors, indexed by spreadsheet row number, with one column per
    known column of the file (blank cells are None); ``row_count`` counts every non-blank data row;
    ``errors`` lists the first {"row", "field", "message"} dicts in row then column order (row and
    field are None for a problem of the whole file); ``error_kinds`` counts all
    ``error_count`` of them by kind.
    """

    rows: pd.DataFrame
    row_count: int
    errors: list[dict]
    error_kinds: list[dict]
    error_count: int


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
        *_date_order(cells, clean, existing).items(),
        *_status_arr(cells, clean, existing).items(),
        *_currency_change(cells, clean, existing).items(),
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


def status_changes(rows: pd.DataFrame, existing: pd.DataFrame) -> tuple[int, int]:
    """How many existing accounts clean ``rows`` would churn, and how many they would reactivate."""
    if STATUS not in rows or rows.empty:
        return 0, 0
    was = rows[EXTERNAL_ID].map(
        existing.drop_duplicates(EXTERNAL_ID).set_index(EXTERNAL_ID)[STATUS]
    )
    given = rows[STATUS]
    churns = (given == CHURNED) & was.notna() & (was != CHURNED)
    reactivations = (was == CHURNED) & given.notna() & (given != CHURNED)
    return int(churns.sum()), int(reactivations.sum())


def unchanged_rows(rows: pd.DataFrame, existing: pd.DataFrame) -> pd.Series:
    """Per clean row, whether it changes nothing: its account exists and already holds every
    value the row gives. ``existing`` compares on whichever of the file's columns it has."""
    known = existing.drop_duplicates(EXTERNAL_ID).set_index(EXTERNAL_ID)
    ids = rows[EXTERNAL_ID]
    unchanged = ids.isin(known.index)
    for key in rows.columns.intersection(known.columns).drop(EXTERNAL_ID, errors="ignore"):
        given = rows[key]
        unchanged &= given.isna() | (given == ids.map(known[key]))
    return unchanged


def past_renewals(rows: pd.DataFrame, *, today: date) -> list[dict]:
    """A warning, not an error, per clean row whose renewal date is before ``today``.

    A CRM often keeps the first term's end: imported as it is, the renewal looks long missed.
    """
    if RENEWAL_DATE not in rows:
        return []
    dates = rows[RENEWAL_DATE]
    past = dates.map(lambda renewal: renewal is not None and renewal < today)
    return [
        {
            "row": int(row),
            "field": RENEWAL_DATE,
            "message": f"The renewal date {renewal:%Y-%m-%d} has passed; check the contract's "
            "current term.",
        }
        for row, renewal in dates[past].items()
    ]


def web_domain(cell: str) -> str:
    """The domain a website cell names: "https://www.Acme.example/about" is "acme.example"."""
    host = re.sub(r"^[a-z][a-z0-9+.\-]*://", "", cell.strip().lower()).split("/")[0]
    return host.split(":")[0].removeprefix("www.")


# Words a company's name may carry or drop from one CRM to the next.
LEGAL_SUFFIXES = frozenset(
    {"inc", "incorporated", "corp", "corporation", "co", "company", "llc", "ltd", "limited"}
    | {"plc", "gmbh", "ag", "ab", "sa", "sas", "bv"}
)
DUPLICATE_NAME_SCORE = 90  # rapidfuzz token_sort_ratio, 0-100, of the names without suffixes
# Above this many name pairs the names are compared exactly (once suffixes are dropped), not
# fuzzily: a workspace of 100,000 accounts must not make a check of 100,000 rows quadratic.
MAX_FUZZY_PAIRS = 5_000_000


def likely_duplicates(rows: pd.DataFrame, existing: pd.DataFrame) -> list[dict]:
    """A warning per new row that looks like an account the workspace already has under another
    external ID (the same company exported by another CRM): the same domain, or a name that
    matches closely once legal suffixes and punctuation are dropped."""
    known = existing[~existing[EXTERNAL_ID].isin(rows[EXTERNAL_ID])]
    new = rows[~rows[EXTERNAL_ID].isin(existing[EXTERNAL_ID])]
    if known.empty or new.empty:
        return []
    by_domain = known[known[DOMAIN] != ""].drop_duplicates(DOMAIN).set_index(DOMAIN)
    keys = known[NAME].map(_name_key).tolist()
    fuzzy = len(new) * len(keys) <= MAX_FUZZY_PAIRS
    by_key = dict(zip(keys, range(len(keys)), strict=True))
    warnings = []
    for row, record in zip(new.index, new.to_dict("records"), strict=True):
        domain = record.get(DOMAIN)
        if domain and domain in by_domain.index:
            match, why = by_domain.loc[domain], f"the same domain, {domain}"
        else:
            key = _name_key(record[NAME])
            if fuzzy:
                found = process.extractOne(
                    key, keys, scorer=fuzz.token_sort_ratio, score_cutoff=DUPLICATE_NAME_SCORE
                )
                position = found[2] if found else None
            else:
                position = by_key.get(key)
            if position is None:
                continue
            match, why = known.iloc[position], "a name this close"
        warnings.append(
            {
                "row": int(row),
                "field": NAME,
                "message": f"Likely a duplicate of {match[NAME]!r} (external ID "
                f"{match[EXTERNAL_ID]}), which has {why}.",
            }
        )
    return warnings


def _name_key(name: str) -> str:
    words = re.sub(r"[^\w\s]", " ", name.lower()).split()
    return " ".join(word for word in words if word not in LEGAL_SUFFIXES)


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


def _date_order(cells: pd.DataFrame, clean: pd.DataFrame, existing: pd.DataFrame) -> dict:
    """Messages where the renewal date falls before the contract start.

    A date not given in the file is taken from the existing account; a date given but invalid
    already has its own error and is not compared.
    """
    if EXTERNAL_ID not in cells or not {CONTRACT_START, RENEWAL_DATE} & set(cells.columns):
        return {}
    known = existing.drop_duplicates(EXTERNAL_ID).set_index(EXTERNAL_ID)
    ids = cells[EXTERNAL_ID]

    def effective(key: str) -> tuple[pd.Series, pd.Series]:
        given = cells[key] != "" if key in cells else pd.Series(False, index=cells.index)
        from_file = clean[key] if key in clean else pd.Series(None, index=cells.index)
        dates = pd.to_datetime(from_file.where(given, ids.map(known[key])), errors="coerce")
        return dates, given

    start, start_given = effective(CONTRACT_START)
    end, end_given = effective(RENEWAL_DATE)
    backwards = (end < start) & (start_given | end_given)
    message = [
        f"The renewal date {e:%Y-%m-%d} is before the contract start {s:%Y-%m-%d}."
        for s, e in zip(start[backwards], end[backwards], strict=True)
    ]
    messages = pd.Series("", index=cells.index, dtype=object)
    messages[backwards] = message
    # The error goes on the date the file gave: the renewal date when it gave both.
    return {
        key: messages.where(on_this, "")
        for key, on_this in ((RENEWAL_DATE, end_given), (CONTRACT_START, ~end_given))
        if key in cells
    }


def _status_arr(cells: pd.DataFrame, clean: pd.DataFrame, existing: pd.DataFrame) -> dict:
    """Messages where the ARR contradicts the status the account ends with.

    The ledger books a churn as the loss of the whole current ARR, and a reactivation as the
    return of a new one: so a churned account carries no ARR, and a churned account made active
    again needs its new ARR in the file. A status or ARR that is itself bad is not compared.
    """
    if EXTERNAL_ID not in cells or not {ARR, STATUS} & set(cells.columns):
        return {}
    nothing = pd.Series(None, index=cells.index, dtype=object)
    known = existing.drop_duplicates(EXTERNAL_ID).set_index(EXTERNAL_ID)[STATUS]
    was = cells[EXTERNAL_ID].map(known)
    given = clean.get(STATUS, nothing)
    bad_status = (cells[STATUS] != "") & given.isna() if STATUS in cells else nothing.notna()
    status = given.where(given.notna(), was)
    positive = clean.get(ARR, nothing).map(lambda arr: arr is not None and arr > 0)

    churned_with_arr = (status == CHURNED) & positive
    reactivated_without_arr = (was == CHURNED) & given.notna() & (given != CHURNED) & ~positive
    messages = pd.Series("", index=cells.index, dtype=object)
    messages[churned_with_arr] = (
        "A churned account has no ARR: leave arr empty or 0 (its current ARR is booked as "
        "churned), or set status to active to reactivate it."
    )
    messages[reactivated_without_arr] = (
        "The account is churned: reactivating it needs its new ARR, above 0, in the arr column."
    )
    messages[bad_status] = ""
    # The error goes on the arr cell when the file has that column, else on the status.
    return {ARR if ARR in cells else STATUS: messages}


def _currency_change(cells: pd.DataFrame, clean: pd.DataFrame, existing: pd.DataFrame) -> dict:
    """Messages where a file changes the currency of an account that has an ARR ledger, by the
    ledger's rule. A currency that is itself bad already has its own error."""
    if EXTERNAL_ID not in cells or CURRENCY not in cells:
        return {}
    known = existing.drop_duplicates(EXTERNAL_ID).set_index(EXTERNAL_ID)
    ids = cells[EXTERNAL_ID]
    was = ids.map(known[CURRENCY])
    ledgered = ids.isin(known.index[known[HAS_LEDGER].astype(bool)])
    given = clean[CURRENCY]
    changed = ledgered & given.notna() & (given != was)
    messages = pd.Series("", index=cells.index, dtype=object)
    messages[changed] = [
        _currency_refusal(current, new)
        for current, new in zip(was[changed], given[changed], strict=True)
    ]
    return {CURRENCY: messages}


def _currency_refusal(current: str, new: str) -> str:
    try:
        ledger.check_currency_change(booked=True, current=current, new=new)
    except ledger.LedgerRefusal as refusal:
        return refusal.message
    return ""


def _first(*messages: pd.Series) -> pd.Series:
    """Per cell, the first non-empty message."""
    result = messages[0]
    for more in messages[1:]:
        result = result.where(result != "", more)
    return result
