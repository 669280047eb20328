"""The URLs of one kind of import, served by the shared pages (``csos.imports.pages``)."""

from django.urls import path

from csos.imports import pages


def import_urls(prefix: str, *, kind: str, name: str) -> list:
    """The upload page at ``prefix`` (named ``name``), its template CSV and each job's pages,
    named ``name`` with ``_template``, ``_detail``, ``_mapping``, ``_commit`` or ``_progress``."""
    kwargs = {"kind": kind}
    job = f"{prefix}<int:import_id>/"
    return [
        path(prefix, pages.import_upload, kwargs, name=name),
        path(f"{prefix}template.csv", pages.import_template, kwargs, name=f"{name}_template"),
        path(job, pages.import_job, kwargs, name=f"{name}_detail"),
        path(f"{job}mapping/", pages.import_mapping, kwargs, name=f"{name}_mapping"),
        path(f"{job}commit/", pages.import_commit, kwargs, name=f"{name}_commit"),
        path(f"{job}progress/", pages.import_progress, kwargs, name=f"{name}_progress"),
    ]
