"""The accounts CSV import: mapped, checked on a worker, previewed, committed at once, purged.

Upload stores the file and queues its check (``check``). The check maps the columns (by a
remembered mapping, or by itself when the headers are the import's own) or stops for the
mapping step, then checks every row and stores the outcome, which the pages show without
reading the file again. A commit (``commit``) writes the rows in bulk, all or nothing; ``jobs``
keeps the import's progress; ``csos.imports.sweeps`` recovers it when a worker dies and purges
its file, as for every kind of import. The file itself
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
    WRITE_FAILED,
    account_import_list,
    import_limits,
)

__all__ = [
    "WRITE_FAILED",
    "ImportPreview",
    "account_import_check",
    "account_import_commit",
    "account_import_create",
    "account_import_list",
    "account_import_map",
    "account_import_mapping_choices",
    "account_import_preview",
    "account_import_queue",
    "import_limits",
]
