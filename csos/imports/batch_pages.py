"""How the shared import pages serve a kind written by a bulk function (``batch``).

Its upload is stored with the mapping remembered for its headers or guessed, so its columns
may be corrected as long as it is not committed; its preview is what the rolled-back run of
its bulk function wrote, and its commit takes no choices.
"""

from django import forms

from csos.imports import batch, jobs
from csos.imports.forms import CsvUploadForm
from csos.imports.reading import column_samples, read_table
from csos.imports.registry import ImportPages
from csos.models import ImportJob


def batch_pages(importer: batch.CsvBatchImport) -> ImportPages:
    def create(*, workspace, by, filename: str, content: str) -> ImportJob:
        return jobs.batch_job_create(
            importer, workspace=workspace, by=by, filename=filename, content=content
        )

    def panel(*, job: ImportJob, form: forms.Form) -> dict:
        return {"outcome": jobs.batch_job_outcome(importer, job=job)}

    return ImportPages(
        title=importer.title,
        noun=importer.noun,
        url_name=importer.url_name,
        back_url_name=importer.back_url_name,
        back_label="Back",
        help_template="csos/_batch_import_help.html",
        help_facts=lambda: {"help_text": importer.help_text, "limits": batch.batch_limits()},
        upload_form=CsvUploadForm,
        panel_template="csos/_batch_import_preview.html",
        create=create,
        mappable=jobs.batch_job_is_open,
        mapping_facts=_mapping_facts,
        map=_map,
        commit_form=_commit_form,
        panel=panel,
        queue=_queue,
    )


def _mapping_facts(job: ImportJob) -> dict:
    table = read_table(job.content, batch.batch_limits())
    return {"samples": column_samples(table), "values": job.value_map}


def _map(*, job: ImportJob, mapping, by) -> bool:
    return jobs.batch_job_map(job=job, mapping=mapping)


def _commit_form(*, job: ImportJob, data=None) -> forms.Form:
    return forms.Form(data)


def _queue(*, job: ImportJob, by, form: forms.Form) -> bool:
    return jobs.batch_job_queue(job=job, by=by)
