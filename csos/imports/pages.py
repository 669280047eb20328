"""The pages of every kind of CSV import: upload, map the columns, preview, commit, watch it
run, and the kind's history of imports.

Each kind's URLs (``csos.imports.urls.import_urls``) call these views with its kind; what
differs between kinds (how an upload is stored and mapped, the preview panel, the choices a
commit takes) is the kind's ``ImportPages`` in the registry. Only leaders and admins import;
a job of another workspace, or of another kind, is a 404.
"""

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from csos.decorators import member_required
from csos.imports import jobs
from csos.imports.forms import ColumnMappingForm
from csos.imports.reading import FileRefused
from csos.imports.registry import ImportPages, registered_import, registered_pages
from csos.imports.spec import template_csv
from csos.imports.sweeps import import_job_progress
from csos.models import LEADER_ROLES, ImportJob, ImportStatus, Role
from csos.tasks import import_job_check_enqueue, import_job_commit_enqueue

IMPORT_ROLES = LEADER_ROLES


def _job(kind: str, import_id: int) -> ImportJob:
    return get_object_or_404(jobs.import_job_list(kind=kind), pk=import_id)


def _status_context(pages: ImportPages, job: ImportJob) -> dict:
    return {
        "pages": pages,
        "job": job,
        "progress": import_job_progress(job=job),
        "mappable": pages.mappable(job),
    }


def _job_url(pages: ImportPages, job: ImportJob) -> str:
    return reverse(f"{pages.url_name}_detail", args=[job.pk])


@member_required(roles=IMPORT_ROLES)
@require_http_methods(["GET", "POST"])
def import_upload(request, *, kind: str):
    """The upload form, the kind's file format and its recent imports."""
    pages = registered_pages(kind)
    if request.method == "POST":
        form = pages.upload_form(request.POST, request.FILES)
    else:
        form = pages.upload_form()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with transaction.atomic():
                job = pages.create(
                    workspace=request.workspace,
                    by=request.user,
                    filename=upload.name,
                    content=upload.content,
                )
                import_job_check_enqueue(job=job)
        except FileRefused as refused:
            form.add_error("file", str(refused))
        else:
            return redirect(_job_url(pages, job))
    context = {
        "pages": pages,
        "spec": registered_import(kind).spec,
        "form": form,
        "template_url": reverse(f"{pages.url_name}_template"),
        "history": jobs.import_job_list(kind=kind)[: jobs.HISTORY_ROWS],
        **pages.help_facts(),
    }
    return render(request, "csos/import_upload.html", context, status=400 if form.errors else 200)


@member_required(roles=IMPORT_ROLES)
def import_template(request, *, kind: str):
    """The kind's CSV template as a download: every column, with an example row."""
    response = HttpResponse(
        template_csv(registered_import(kind).spec), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
    return response


@member_required(roles=IMPORT_ROLES)
@require_http_methods(["GET", "POST"])
def import_mapping(request, *, kind: str, import_id: int):
    """Confirm or correct the field each column fills, then check the file again."""
    pages, registered = registered_pages(kind), registered_import(kind)
    job = _job(kind, import_id)
    if not pages.mappable(job):
        if request.method == "POST":
            messages.error(request, "This file is being imported or is done; upload it again.")
        return redirect(_job_url(pages, job))
    form = ColumnMappingForm(
        request.POST if request.method == "POST" else None,
        spec=registered.spec,
        headers=job.headers,
        columns=job.columns,
        choices=registered.choices(),
        **pages.mapping_facts(job),
    )
    if form.is_bound and form.is_valid():
        with transaction.atomic():
            if pages.map(job=job, mapping=form.mapping(), by=request.user):
                import_job_check_enqueue(job=job)
        return redirect(_job_url(pages, job))
    context = {
        "form": form,
        "spec": registered.spec,
        "title": f"Map the columns of {job.filename}",
        "row_count": job.row_count,
        "missing": [f.label for f in registered.spec.required_fields if f.key not in job.columns],
        "back_url": reverse(pages.url_name),
        "invite_for": pages.invite_for,
        "invite_url": reverse("member_list") if request.membership.role == Role.ADMIN else "",
    }
    return render(request, "csos/import_mapping.html", context, status=400 if form.errors else 200)


@member_required(roles=IMPORT_ROLES)
@never_cache
def import_job(request, *, kind: str, import_id: int):
    """A job's status while a worker has it; then its preview and commit form, its errors at
    their spreadsheet rows, or what its commit did."""
    pages = registered_pages(kind)
    job = _job(kind, import_id)
    if job.status == ImportStatus.MAPPING:
        return redirect(f"{pages.url_name}_mapping", import_id=job.pk)
    context = _status_context(pages, job)
    if job.status == ImportStatus.READY:
        form = pages.commit_form(job=job)
        context.update(commit_form=form, **pages.panel(job=job, form=form))
    return render(request, "csos/import_job.html", context)


@member_required(roles=IMPORT_ROLES)
@require_POST
def import_commit(request, *, kind: str, import_id: int):
    pages = registered_pages(kind)
    job = _job(kind, import_id)
    form = pages.commit_form(job=job, data=request.POST)
    if not form.is_valid():
        problems = [
            f"{form[name].label}: {error}" if name in form.fields else error
            for name, errors in form.errors.items()
            for error in errors
        ]
        messages.error(request, " ".join(problems))
        return redirect(_job_url(pages, job))
    with transaction.atomic():
        queued = pages.queue(job=job, by=request.user, form=form)
        if queued:
            import_job_commit_enqueue(job=job, user_id=request.user.pk)
    if not queued:
        messages.error(request, "Only an import that is ready to commit can be committed.")
    return redirect(_job_url(pages, job))


@member_required(roles=IMPORT_ROLES)
@never_cache
def import_progress(request, *, kind: str, import_id: int):
    """The status block a running job's page polls; ``shown`` is the status it last showed."""
    pages = registered_pages(kind)
    job = _job(kind, import_id)
    context = {**_status_context(pages, job), "announce": request.GET.get("shown") != job.status}
    response = render(request, "csos/_import_status.html", context)
    if job.status in {ImportStatus.READY, ImportStatus.MAPPING}:
        # The check is over and its outcome is a page of its own: the preview or the mapping.
        response["HX-Redirect"] = _job_url(pages, job)
    return response
