"""Stakeholders uploaded as CSV, checked and written by the stakeholder bulk endpoint's code."""

from accounts.csv_import import ACCOUNT_EXTERNAL_ID_FIELD
from csos.imports.batch import CsvBatchImport
from csos.imports.spec import FieldSpec, ImportSpec
from stakeholders.ingest import stakeholder_bulk_upsert
from stakeholders.models import Sentiment, StakeholderRole, StakeholderStatus

STAKEHOLDER_SPEC = ImportSpec(
    kind="stakeholders",
    fields=(
        ACCOUNT_EXTERNAL_ID_FIELD,
        FieldSpec(
            "email",
            "E-mail",
            required=True,
            synonyms=("email address", "contact email", "work email"),
            example="dana.whitfield@acme.example",
        ),
        FieldSpec(
            "name",
            "Name",
            synonyms=("full name", "contact name", "contact"),
            example="Dana Whitfield",
        ),
        FieldSpec("title", "Title", synonyms=("job title", "position"), example="VP Operations"),
        FieldSpec(
            "role",
            "Role",
            synonyms=("stakeholder role", "buying role"),
            maps_values=True,
            example="owner",
        ),
        FieldSpec("influence", "Influence", synonyms=("influence 1 5",), example="4"),
        FieldSpec(
            "sentiment", "Sentiment", synonyms=("mood",), maps_values=True, example="positive"
        ),
        FieldSpec("status", "Status", maps_values=True, example="active"),
        FieldSpec("added_on", "Added on", synonyms=("added", "since"), example="2025-04-02"),
        FieldSpec("left_on", "Left on", synonyms=("left", "left date"), example=""),
    ),
)


def _choices() -> dict:
    return {
        "role": StakeholderRole.choices,
        "sentiment": Sentiment.choices,
        "status": StakeholderStatus.choices,
    }


STAKEHOLDER_CSV = CsvBatchImport(
    spec=STAKEHOLDER_SPEC,
    title="Import stakeholders",
    upsert=stakeholder_bulk_upsert,
    url_name="stakeholder_import",
    noun="Stakeholders",
    back_url_name="portfolio",
    numbers=frozenset({"influence"}),
    choices=_choices,
    help_text=(
        "One row per person, matched on the account's external ID and the e-mail address: a "
        "person already mapped is updated, a new one needs a name and a role."
    ),
)
