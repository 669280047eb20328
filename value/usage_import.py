"""Daily usage records uploaded as CSV, checked and written by the usage bulk endpoint's code."""

from accounts.csv_import import ACCOUNT_EXTERNAL_ID_FIELD
from csos.imports.batch import CsvBatchImport
from csos.imports.spec import FieldSpec, ImportSpec
from value.ingest import usage_bulk_upsert

USAGE_SPEC = ImportSpec(
    kind="usage",
    fields=(
        ACCOUNT_EXTERNAL_ID_FIELD,
        FieldSpec(
            "metric",
            "Metric key",
            required=True,
            synonyms=("metric", "metric name", "event", "feature"),
            example="tickets_triaged",
        ),
        FieldSpec(
            "day", "Day", required=True, synonyms=("date", "usage date"), example="2026-11-20"
        ),
        FieldSpec(
            "value", "Value", required=True, synonyms=("count", "amount", "total"), example="42"
        ),
    ),
)

USAGE_CSV = CsvBatchImport(
    spec=USAGE_SPEC,
    title="Import daily usage",
    upsert=usage_bulk_upsert,
    url_name="value_usage_import",
    noun="Usage records",
    back_url_name="value_framework",
    numbers=frozenset({"value"}),
    help_text=(
        "One row per account, metric and day. Accounts are named by their external ID and "
        "metrics by their key; a day sent again replaces its value."
    ),
)
