"""The kinds of CSV import, as apps register them.

The core imports no app: an app registers its import from its ``AppConfig.ready()``, giving
the spec and what its value fields may be mapped onto, and for a kind written by a bulk
function its ``CsvBatchImport``, which the core's import jobs check and commit. Each kind's
``ImportPages`` tell the one set of import pages what differs for it. A remembered
mapping of a kind nobody registered can still be seen and forgotten, only not edited.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from csos.imports.batch import CsvBatchImport
from csos.imports.spec import ImportSpec

BATCH_CHECK_TASK = "csos.tasks.batch_job_check_task"
BATCH_COMMIT_TASK = "csos.tasks.batch_job_commit_task"


@dataclass(frozen=True)
class ImportPages:
    """How the shared import pages (``csos.imports.pages``) serve a kind. Each hook takes
    keyword arguments: ``create(workspace, by, filename, content)`` stores an upload as a job
    (FileRefused for a file it cannot take); ``mappable(job)`` says whether its columns may be
    chosen now, ``mapping_facts(job)`` gives the mapping form's ``samples`` and ``values`` and
    ``map(job, mapping, by)`` sends it to be checked again; ``commit_form(job, data)`` holds
    the choices a commit takes, ``panel(job, form)`` is the context of ``panel_template``, the
    checked job's preview, and ``queue(job, by, form)`` sends it to be committed."""

    title: str
    noun: str
    url_name: str
    back_url_name: str
    back_label: str
    help_template: str
    help_facts: Callable[[], dict[str, Any]]
    upload_form: type
    panel_template: str
    create: Callable[..., Any]
    mappable: Callable[[Any], bool]
    mapping_facts: Callable[[Any], dict[str, Any]]
    map: Callable[..., bool]
    commit_form: Callable[..., Any]
    panel: Callable[..., dict[str, Any]]
    queue: Callable[..., bool]
    invite_for: str = ""


@dataclass(frozen=True)
class ImportKind:
    """A kind of import: its fields and value choices, and the Celery tasks (by name) that
    check and commit its jobs, which the recovery sweep sends again when a worker is lost."""

    spec: ImportSpec
    choices: Callable[[], Mapping[str, Sequence[tuple[str, str]]]]
    check_task: str
    commit_task: str
    pages: ImportPages
    batch: CsvBatchImport | None = None


_imports: dict[str, ImportKind] = {}


def register_import(
    spec: ImportSpec,
    *,
    choices: Callable[[], Mapping],
    check_task: str,
    commit_task: str,
    pages: ImportPages,
) -> None:
    """Register a kind whose app checks and commits its jobs with its own tasks, each taking
    (workspace_id, job_id) and the commit also the committer's user id."""
    _imports[spec.kind] = ImportKind(
        spec=spec, choices=choices, check_task=check_task, commit_task=commit_task, pages=pages
    )


def register_batch_import(importer: CsvBatchImport) -> None:
    """Register a kind written by a bulk function: the core's batch tasks check and commit it."""
    # Imported here: the batch jobs look their kind up in this registry.
    from csos.imports.batch_pages import batch_pages

    _imports[importer.spec.kind] = ImportKind(
        spec=importer.spec,
        choices=importer.choices,
        check_task=BATCH_CHECK_TASK,
        commit_task=BATCH_COMMIT_TASK,
        pages=batch_pages(importer),
        batch=importer,
    )


def registered_import(kind: str) -> ImportKind | None:
    return _imports.get(kind)


def registered_pages(kind: str) -> ImportPages:
    """The pages of ``kind``; LookupError for a kind no app registered."""
    if kind not in _imports:
        raise LookupError(f"No import of kind {kind!r} is registered.")
    return _imports[kind].pages


def registered_kinds() -> list[str]:
    return sorted(_imports)


def registered_batch_import(kind: str) -> CsvBatchImport:
    """The batch import of ``kind``; LookupError for a kind no app registered as one."""
    registered = _imports.get(kind)
    if registered is None or registered.batch is None:
        raise LookupError(f"No batch import of kind {kind!r} is registered.")
    return registered.batch
