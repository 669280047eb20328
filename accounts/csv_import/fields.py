"""The columns of an accounts CSV, how other systems name them, and what a check returns.

Pure Python: no Django, no database, no clock.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from accounts import ledger
from csos.imports.reading import Limits
from csos.imports.spec import FieldSpec, ImportSpec

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
