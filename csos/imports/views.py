"""The page of a CSV batch import: upload, check the columns and preview, then commit.

An upload is stored as an import job (``csos.imports.jobs``) that a worker checks and, once
committed, writes; the job's page (``?job=``) polls while a worker has it, then shows its
mapping and preview, errors or counts. The page lists the kind's past imports.
"""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from csos.decorators import admin_required
from csos.imports import batch, jobs
from csos.imports.forms import ColumnMappingForm, CsvUploadForm
from csos.imports.reading import FileRefused, column_samples, read_table
from csos.imports.registry import registered_import
from csos.imports.services import import_mapping_edit, import_mapping_forget
from csos.imports.spec import ImportSpec, template_csv
from csos.models import ImportJob, ImportMapping
from csos.tasks import batch_job_check_enqueue, batch_job_commit_enqueue


@admin_required
def import_mapping_list(request):
    """The mappings remembered for the workspace's imports, to edit or forget."""
    remembered = ImportMapping.objects.select_related("confirmed_by").order_by(
        "kind", "-updated_at"
    )
    return render(
        request,
        "csos/import_mapping_list.html",
        {
            "mappings": [
                (mapping, registered_import(mapping.kind) is not None) for mapping in remembered
            ]
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def import_mapping_change(request, import_mapping_id: int):
    """Edit a remembered mapping with the mapping step's form; its values are those it holds."""
    remembered = get_object_or_404(ImportMapping, pk=import_mapping_id)
    editable = registered_import(remembered.kind)
    if editable is None:
        raise Http404("This kind of import cannot be edited here.")
    samples = [sorted(remembered.values.get(key, {})) if key else [] for key in remembered.columns]
    form = ColumnMappingForm(
        request.POST if request.method == "POST" else None,
        spec=editable.spec,
        headers=remembered.headers,
        columns=remembered.columns,
        samples=samples,
        choices=editable.choices(),
        values=remembered.values,
    )
    if form.is_bound and form.is_valid():
        import_mapping_edit(import_mapping=remembered, mapping=form.mapping(), by=request.user)
        messages.success(request, "The mapping is saved; the next file with these columns uses it.")
        return redirect("import_mapping_list")
    return render(
        request,
        "csos/import_mapping.html",
        {
            "form": form,
            "spec": editable.spec,
            "title": f"Edit the remembered {remembered.kind} mapping",
            "row_count": None,
            "back_url": reverse("import_mapping_list"),
        },
        status=400 if form.errors else 200,
    )


@admin_required
@require_POST
def import_mapping_delete(request, import_mapping_id: int):
    remembered = get_object_or_404(ImportMapping, pk=import_mapping_id)
    import_mapping_forget(import_mapping=remembered, by=request.user)
    messages.success(
        request, "The mapping is forgotten; the next file with its columns asks again."
    )
    return redirect("import_mapping_list")


@never_cache
def csv_batch_import(request, *, importer: batch.CsvBatchImport):
    """GET: the upload form, or with ``job`` that import's page (with ``progress``, the status
    block it polls). POST ``step``: ``upload`` a file, or ``map`` the columns of the ``job``
    named, or ``commit`` it."""
    step = request.POST.get("step") if request.method == "POST" else None
    if step == "upload":
        return _upload(request, importer)
    job_id = request.POST.get("job") if step else request.GET.get("job")
    if job_id is None:
        return _page(request, importer, upload_form=CsvUploadForm())
    if not str(job_id).isdigit():
        raise Http404("No such import.")
    job = get_object_or_404(jobs.import_job_list(kind=importer.spec.kind).defer(None), pk=job_id)
    if step == "map":
        return _map(request, importer, job)
    if step == "commit":
        return _commit(request, importer, job)
    if "progress" in request.GET:
        return _progress(request, job)
    return _preview(request, importer, job)


def csv_template(spec: ImportSpec) -> HttpResponse:
    """The CSV template of an import as a download: every column, with an example row."""
    response = HttpResponse(template_csv(spec), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{spec.kind}-template.csv"'
    return response


def _page(request, importer, *, status: int = 200, **context):
    return render(
        request,
        "csos/csv_batch_import.html",
        {
            "importer": importer,
            "spec": importer.spec,
            "back_url": reverse(importer.back_url_name),
            "template_url": importer.template_url_name and reverse(importer.template_url_name),
            "limits": batch.batch_limits(),
            "history": jobs.import_job_list(kind=importer.spec.kind)[: jobs.HISTORY_ROWS],
            **context,
        },
        status=status,
    )


def _job_url(request, job: ImportJob) -> str:
    return f"{request.path}?job={job.pk}"


def _upload(request, importer):
    form = CsvUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, importer, upload_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        with transaction.atomic():
            job = jobs.batch_job_create(
                importer,
                workspace=request.workspace,
                by=request.user,
                filename=upload.name,
                content=upload.content,
            )
            batch_job_check_enqueue(job=job)
    except FileRefused as refused:
        form.add_error("file", str(refused))
        return _page(request, importer, upload_form=form, status=400)
    return redirect(_job_url(request, job))


def _mapping_form(importer, job: ImportJob, data=None) -> ColumnMappingForm:
    table = read_table(job.content, batch.batch_limits())
    return ColumnMappingForm(
        data,
        spec=importer.spec,
        headers=job.headers,
        columns=job.columns,
        samples=column_samples(table),
        choices=importer.choices(),
        values=job.value_map,
    )


def _preview(request, importer, job: ImportJob, *, form=None, status=200):
    """The job's status while a worker has it; then its mapping (as confirmed or guessed) and
    what committing its file would do, or did."""
    missing = [spec.label for spec in importer.spec.required_fields if spec.key not in job.columns]
    if form is None and jobs.batch_job_is_open(job):
        form = _mapping_form(importer, job)
    return _page(
        request,
        importer,
        upload_form=CsvUploadForm(),
        job=job,
        mapping_form=form,
        missing=missing,
        outcome=jobs.batch_job_outcome(importer, job=job),
        status=400 if (form is not None and form.errors) else status,
    )


def _progress(request, job: ImportJob):
    """The status block a job's page polls; once no worker has the job, the page reloads."""
    response = render(request, "csos/_batch_job_status.html", {"job": job})
    if not job.is_under_way:
        response["HX-Redirect"] = _job_url(request, job)
    return response


def _map(request, importer, job: ImportJob):
    if not jobs.batch_job_is_open(job):
        messages.error(request, "This file is being imported or is done; upload it again.")
        return _preview(request, importer, job, status=400)
    form = _mapping_form(importer, job, data=request.POST)
    if not form.is_valid():
        return _preview(request, importer, job, form=form)
    with transaction.atomic():
        if jobs.batch_job_map(job=job, mapping=form.mapping()):
            batch_job_check_enqueue(job=job)
    return redirect(_job_url(request, job))


def _commit(request, importer, job: ImportJob):
    with transaction.atomic():
        queued = jobs.batch_job_queue(job=job, by=request.user)
        if queued:
            batch_job_commit_enqueue(job=job, user_id=request.user.pk)
    if not queued:
        messages.error(request, "Only a checked file without errors can be committed.")
        return _preview(request, importer, job, status=400)
    return redirect(_job_url(request, job))
