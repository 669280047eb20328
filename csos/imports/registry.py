"""The kinds of CSV import, as apps register them.

The core imports no app: an app registers its import from its ``AppConfig.ready()``, giving
the spec and what its value fields may be mapped onto, and for a kind written by a bulk
function its ``CsvBatchImport``, which the core's import jobs check and commit. A remembered
mapping of a kind nobody registered can still be seen and forgotten, only not edited.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from csos.imports.batch import CsvBatchImport
from csos.imports.spec import ImportSpec

BATCH_CHECK_TASK = "csos.tasks.batch_job_check_task"
BATCH_COMMIT_TASK = "csos.tasks.batch_job_commit_task"


@dataclass(frozen=True)
class ImportKind:
    """A kind of import: its fields and value choices, and the Celery tasks (by name) that
    check and commit its jobs, which the recovery sweep sends again when a worker is lost."""

    spec: ImportSpec
    choices: Callable[[], Mapping[str, Sequence[tuple[str, str]]]]
    check_task: str
    commit_task: str
    batch: CsvBatchImport | None = None


_imports: dict[str, ImportKind] = {}


def register_import(
    spec: ImportSpec, *, choices: Callable[[], Mapping], check_task: str, commit_task: str
) -> None:
    """Register a kind whose app checks and commits its jobs with its own tasks, each taking
    (workspace_id, job_id) and the commit also the committer's user id."""
    _imports[spec.kind] = ImportKind(
        spec=spec, choices=choices, check_task=check_task, commit_task=commit_task
    )


def register_batch_import(importer: CsvBatchImport) -> None:
    """Register a kind written by a bulk function: the core's batch tasks check and commit it."""
    _imports[importer.spec.kind] = ImportKind(
        spec=importer.spec,
        choices=importer.choices,
        check_task=BATCH_CHECK_TASK,
        commit_task=BATCH_COMMIT_TASK,
        batch=importer,
    )


def registered_import(kind: str) -> ImportKind | None:
    return _imports.get(kind)


def registered_batch_import(kind: str) -> CsvBatchImport:
    """The batch import of ``kind``; LookupError for a kind no app registered as one."""
    registered = _imports.get(kind)
    if registered is None or registered.batch is None:
        raise LookupError(f"No batch import of kind {kind!r} is registered.")
    return registered.batch
