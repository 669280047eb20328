"""Parse and check an accounts CSV. Pure pandas: no Django, no database, no clock.

The caller passes in what a file is checked against besides itself (the workspace's possible
owners, the choice lists, the dates of accounts it already has) as plain data, and gets back the
clean rows and every error, one per bad cell, each naming its spreadsheet row and column
(``parsing``, with the checks across a row in ``rules``), then what those rows would do and
what to warn of before a commit (``outcome``). ``fields`` names the columns.

A blank cell means "no value given": a new account takes the default, an existing one keeps what
it has, exactly as when the whole column is left out of the file.
"""

from accounts.csv_import.fields import (
    ACCOUNT_EXTERNAL_ID_FIELD,
    ACCOUNT_SPEC,
    ARR,
    CENT,
    CHOICE_COLUMNS,
    CHURNED,
    COLUMNS,
    CONTRACT_START,
    CURRENCY,
    DATE_FORMAT,
    DEFAULT_LIMITS,
    DOMAIN,
    ERROR_COLUMNS,
    EXISTING_COLUMNS,
    EXTERNAL_ID,
    HAS_LEDGER,
    INDUSTRY,
    LICENSED_SEATS,
    LIFECYCLE_STAGE,
    MAX_ARR,
    MAX_LENGTHS,
    MAX_SEATS,
    NAME,
    OPTIONAL_COLUMNS,
    OWNER_EMAIL,
    PARENT_EXTERNAL_ID,
    RENEWAL_DATE,
    REQUIRED_COLUMNS,
    SCALE_COLUMNS,
    SEGMENT,
    STATUS,
    ImportRules,
    ParsedImport,
)
from accounts.csv_import.outcome import (
    canonical_rows,
    likely_duplicates,
    past_renewals,
    status_changes,
    unchanged_rows,
    with_aliases,
)
from accounts.csv_import.parsing import column_key, parse_accounts_csv, web_domain

__all__ = [
    "ACCOUNT_EXTERNAL_ID_FIELD",
    "ACCOUNT_SPEC",
    "ARR",
    "CENT",
    "CHOICE_COLUMNS",
    "CHURNED",
    "COLUMNS",
    "CONTRACT_START",
    "CURRENCY",
    "DATE_FORMAT",
    "DEFAULT_LIMITS",
    "DOMAIN",
    "ERROR_COLUMNS",
    "EXISTING_COLUMNS",
    "EXTERNAL_ID",
    "HAS_LEDGER",
    "INDUSTRY",
    "LICENSED_SEATS",
    "LIFECYCLE_STAGE",
    "MAX_ARR",
    "MAX_LENGTHS",
    "MAX_SEATS",
    "NAME",
    "OPTIONAL_COLUMNS",
    "OWNER_EMAIL",
    "PARENT_EXTERNAL_ID",
    "RENEWAL_DATE",
    "REQUIRED_COLUMNS",
    "SCALE_COLUMNS",
    "SEGMENT",
    "STATUS",
    "ImportRules",
    "ParsedImport",
    "canonical_rows",
    "column_key",
    "likely_duplicates",
    "parse_accounts_csv",
    "past_renewals",
    "status_changes",
    "unchanged_rows",
    "web_domain",
    "with_aliases",
]
