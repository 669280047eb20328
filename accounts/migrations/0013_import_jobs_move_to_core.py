"""Accounts imports become import jobs of the core, of kind "accounts": rows copied, ids kept."""

from django.db import migrations

COLUMNS = (
    "id, workspace_id, created_by_id, created_at, filename, content, status, row_count, errors, "
    "error_kinds, error_count, headers, columns, value_map, samples, preview, created_count, "
    "updated_count, unchanged_count, skip_rows, skipped_count, link_rows, linked_count, "
    "queued_by_id, queued_at, attempts, finished_at"
)


def _restart_ids(table: str) -> str:
    return (
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), "
        f"MAX(id) IS NOT NULL) FROM {table};"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0012_account_alias_and_linked_import_rows'),
        ('csos', '0012_importjob'),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                f"INSERT INTO csos_importjob (kind, {COLUMNS}) "
                f"SELECT 'accounts', {COLUMNS} FROM accounts_accountimport;",
                _restart_ids("csos_importjob"),
            ],
            reverse_sql=[
                f"INSERT INTO accounts_accountimport ({COLUMNS}) "
                f"SELECT {COLUMNS} FROM csos_importjob WHERE kind = 'accounts';",
                _restart_ids("accounts_accountimport"),
            ],
        ),
        migrations.DeleteModel(
            name='AccountImport',
        ),
    ]
