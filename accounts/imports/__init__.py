"""The accounts CSV import: mapped, checked on a worker, previewed, committed at once, purged.

Upload stores the file and queues its check (``check``). The check maps the columns (by a
remembered mapping, or by itself when the headers are the import's own) or stops for the
mapping step, then checks every row and stores the outcome, which the pages show without
reading the file again. A commit (``commit``) writes the rows in bulk, all or nothing; ``jobs``
keeps the import's progress, recovers it when a worker dies and purges its file. The file itself
is read and checked by the pure ``accounts.csv_import`` and the shared ``csos.imports``.
"""

from accounts.imports.check import (
    ImportPreview,
    account_import_check,
    account_import_create,
    account_import_map,
    account_import_mapping_choices,
    account_import_preview,
)
from accounts.imports.commit import account_import_commit, account_import_queue
from accounts.imports.jobs import (
    FILE_PURGED,
    MAX_ATTEMPTS,
    RESUME_AFTER,
    WORKER_LOST,
    WRITE_FAILED,
    ImportProgress,
    account_import_list,
    account_import_lost_checks,
    account_import_progress,
    account_import_progress_record,
    account_import_purge,
    account_import_recover,
    import_limits,
)

__all__ = [
    "FILE_PURGED",
    "MAX_ATTEMPTS",
    "RESUME_AFTER",
    "WORKER_LOST",
    "WRITE_FAILED",
    "ImportPreview",
    "ImportProgress",
    "account_import_check",
    "account_import_commit",
    "account_import_create",
    "account_import_list",
    "account_import_lost_checks",
    "account_import_map",
    "account_import_mapping_choices",
    "account_import_preview",
    "account_import_progress",
    "account_import_progress_record",
    "account_import_purge",
    "account_import_queue",
    "account_import_recover",
    "import_limits",
]
