"""Bulk ingestion of daily usage records: the fast path of the integration API.

A batch names accounts by their ``external_id`` and metrics by their ``key``. Records are
checked by plain field parsers (no serializer or model per record), their accounts and metrics
resolved in one query each, then written with one COPY into a staging table and one upsert
on (account, metric, day). Unknown accounts and metrics are errors unless the request asks to
create them. Once the batch commits, the ladder of its accounts is re-derived in the background.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.creation import accounts_create
from accounts.ingest import fail_same_account_twice, fail_unknown_account
from accounts.models import Account
from accounts.selectors.external_ids import account_ids_by_external_id
from csos.api import fields as f
from csos.api.bulk import RecordSpec, UpsertCounts, UpsertTarget, copy_upsert, validate_records
from csos.models import Workspace
from value.models import Aggregation, UsageMetric, UsageRecord
from value.tasks import ladder_refresh_on_commit


def _flag(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise f.Invalid("wrong-type", "Expected true or false.")
    return value


def _metric_key(value: Any) -> str:
    key = f.text_of(UsageMetric, "key")(value)
    if not key.replace("-", "").replace("_", "").isalnum():
        raise f.Invalid("invalid-key", "A metric key is letters, digits, - and _.")
    return key


USAGE_RECORD = RecordSpec(
    fields={
        "account_external_id": f.text_of(Account, "external_id"),
        "metric": _metric_key,
        "day": f.day(not_in_future=True),
        "value": f.number(min_value=0),
    },
    required=frozenset({"account_external_id", "metric", "day", "value"}),
    key=("account_external_id", "metric", "day"),
)
USAGE_OPTIONS = {"create_missing_accounts": _flag, "create_missing_metrics": _flag}
USAGE_UPSERT = UpsertTarget(model=UsageRecord, key=("account", "metric", "day"))


@transaction.atomic
def usage_bulk_upsert(
    *,
    workspace: Workspace,
    records: list[Any],
    create_missing_accounts: bool = False,
    create_missing_metrics: bool = False,
) -> UpsertCounts:
    """Validate every record, then store each account's daily metric values in one upsert.

    A value sent again for the same account, metric and day replaces the stored one (or
    counts as unchanged when equal). Accounts created on request are named by their id until
    an accounts batch names them; metrics created on request are summed daily counts.
    """
    batch = validate_records(records, USAGE_RECORD)
    account_ids = account_ids_by_external_id(row["account_external_id"] for row in batch.rows)
    metric_ids = dict(
        UsageMetric.objects.filter(key__in={row["metric"] for row in batch.rows}).values_list(
            "key", "pk"
        )
    )
    missing_accounts: dict[str, int] = {}
    missing_metrics: dict[str, int] = {}
    for index, row in zip(batch.indexes, batch.rows, strict=True):
        external_id, key = row["account_external_id"], row["metric"]
        if external_id not in account_ids:
            missing_accounts.setdefault(external_id, index)
            if not create_missing_accounts:
                fail_unknown_account(
                    batch,
                    index,
                    external_id,
                    advice="send it in an accounts batch first, or set create_missing_accounts",
                )
        if key not in metric_ids:
            missing_metrics.setdefault(key, index)
            if not create_missing_metrics:
                batch.fail(
                    index,
                    "metric",
                    "unknown-metric",
                    f"No usage metric has the key {key!r}; define it under Value > Framework, "
                    "or set create_missing_metrics.",
                )
    fail_same_account_twice(batch, account_ids, key=USAGE_RECORD.key)
    batch.raise_if_invalid()
    if missing_accounts:
        created = accounts_create(
            workspace=workspace,
            by=None,
            accounts=[
                Account(
                    external_id=external_id, name=external_id, currency=workspace.default_currency
                )
                for external_id in missing_accounts
            ],
            source="usage",
        )
        account_ids.update({account.external_id: account.pk for account in created})
    if missing_metrics:
        created = UsageMetric.objects.bulk_create(
            [
                UsageMetric(workspace=workspace, key=key, name=key, aggregation=Aggregation.SUM)
                for key in missing_metrics
            ]
        )
        metric_ids.update({metric.key: metric.pk for metric in created})
    touched = sorted({account_ids[row["account_external_id"]] for row in batch.rows})
    ladder_refresh_on_commit(workspace_id=workspace.pk, account_ids=touched)
    return copy_upsert(
        target=USAGE_UPSERT,
        columns=["account", "metric", "day", "value"],
        rows=(
            (
                account_ids[row["account_external_id"]],
                metric_ids[row["metric"]],
                row["day"],
                row["value"],
            )
            for row in batch.rows
        ),
    )
