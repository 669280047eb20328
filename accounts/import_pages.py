"""How the shared import pages (``csos.imports.pages``) serve the accounts import.

Its upload is mapped by the check, which stops at the mapping step for columns it cannot
place; its preview panel shows what the commit would do to the workspace's accounts, with a
link, skip or create choice beside each row warned of as a likely duplicate, which the commit
form carries.
"""

from django.conf import settings

from accounts import imports
from accounts.csv_import import ACCOUNT_SPEC, NAME, OWNER_EMAIL
from accounts.forms import ImportCommitForm, ImportUploadForm
from csos.imports.registry import ImportPages
from csos.imports.services import import_mapping_known_values
from csos.models import ImportJob, ImportStatus


def _duplicates(job: ImportJob) -> dict[int, str]:
    if job.status != ImportStatus.READY:
        return {}
    return imports.account_import_preview(account_import=job).duplicates


def _commit_form(*, job: ImportJob, data=None) -> ImportCommitForm:
    return ImportCommitForm(data, duplicates=_duplicates(job))


def _panel(*, job: ImportJob, form: ImportCommitForm) -> dict:
    preview = imports.account_import_preview(account_import=job)
    warnings = [
        (warning, form.choice_field(warning["row"]) if warning["field"] == NAME else None)
        for warning in preview.warnings
    ]
    return {"preview": preview, "warnings": warnings}


def _queue(*, job: ImportJob, by, form: ImportCommitForm) -> bool:
    return imports.account_import_queue(
        account_import=job, by=by, skip_rows=form.skip_rows, link_rows=form.link_rows
    )


def _map(*, job: ImportJob, mapping, by) -> bool:
    return imports.account_import_map(account_import=job, mapping=mapping, by=by)


def _mapping_facts(job: ImportJob) -> dict:
    return {"samples": job.samples, "values": import_mapping_known_values(kind=ACCOUNT_SPEC.kind)}


def _help_facts() -> dict:
    return {"limits": imports.import_limits(), "max_bytes": settings.ACCOUNT_IMPORT_MAX_BYTES}


ACCOUNT_PAGES = ImportPages(
    title="Import accounts",
    noun="Accounts",
    url_name="account_import",
    back_url_name="portfolio",
    back_label="Open the portfolio",
    help_template="accounts/_import_help.html",
    help_facts=_help_facts,
    upload_form=ImportUploadForm,
    panel_template="accounts/_import_preview.html",
    create=imports.account_import_create,
    mappable=lambda job: job.status == ImportStatus.MAPPING,
    mapping_facts=_mapping_facts,
    map=_map,
    commit_form=_commit_form,
    panel=_panel,
    queue=_queue,
    invite_for=OWNER_EMAIL,
)
