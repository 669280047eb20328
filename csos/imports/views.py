"""The page of a CSV batch import: upload, check the columns and preview, then commit.

The uploaded file waits in the cache for its uploader (per workspace, user and kind of import)
between the steps; the preview re-runs the check on it each time, and a commit writes it.
"""

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from csos.decorators import admin_required
from csos.imports import batch
from csos.imports.forms import ColumnMappingForm, CsvUploadForm
from csos.imports.reading import FileRefused, apply_mapping, column_samples, read_table
from csos.imports.registry import registered_import
from csos.imports.services import (
    import_mapping_edit,
    import_mapping_find,
    import_mapping_forget,
    import_mapping_remember,
)
from csos.imports.spec import ColumnMapping, ImportSpec, guess_columns, template_csv
from csos.models import ImportMapping

PENDING_SECONDS = 60 * 60


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


def _pending_key(request, importer: batch.CsvBatchImport) -> str:
    return f"csv-import:{request.workspace.pk}:{request.user.pk}:{importer.spec.kind}"


def csv_batch_import(request, *, importer: batch.CsvBatchImport):
    """GET: the upload form. POST ``step``: ``upload`` a file, ``map`` its columns, ``commit``."""
    step = request.POST.get("step") if request.method == "POST" else None
    if step == "upload":
        return _upload(request, importer)
    if step in {"map", "commit"}:
        pending = cache.get(_pending_key(request, importer))
        if pending is None:
            messages.error(request, "The uploaded file has expired; upload it again.")
            return redirect(request.path)
        return (_map if step == "map" else _commit)(request, importer, pending)
    return _page(request, importer, upload_form=CsvUploadForm())


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
            **context,
        },
        status=status,
    )


def _upload(request, importer):
    form = CsvUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, importer, upload_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        table = read_table(upload.content, batch.batch_limits())
    except FileRefused as refused:
        form.add_error("file", str(refused))
        return _page(request, importer, upload_form=form, status=400)
    mapping = import_mapping_find(kind=importer.spec.kind, headers=table.headers)
    if mapping is None:
        guesses = guess_columns(table.headers, importer.spec)
        mapping = ColumnMapping(columns=tuple(guess.key for guess in guesses))
    pending = {
        "name": upload.name,
        "content": upload.content,
        "columns": list(mapping.columns),
        "values": {key: dict(values) for key, values in mapping.values.items()},
    }
    cache.set(_pending_key(request, importer), pending, PENDING_SECONDS)
    return _preview(request, importer, pending, table=table)


def _mapping_form(importer, pending, table, data=None) -> ColumnMappingForm:
    return ColumnMappingForm(
        data,
        spec=importer.spec,
        headers=table.headers,
        columns=pending["columns"],
        samples=column_samples(table),
        choices=importer.choices(),
        values=pending["values"],
    )


def _frame(importer, pending, table):
    return apply_mapping(
        table, columns=pending["columns"], values=pending["values"], choices=importer.choices()
    )


def _preview(request, importer, pending, *, table, form=None, outcome=None, status=200):
    """The mapping (as confirmed or guessed) and what committing the file would do."""
    missing = [
        spec.label for spec in importer.spec.required_fields if spec.key not in pending["columns"]
    ]
    if outcome is None and form is None and not missing:
        frame = _frame(importer, pending, table)
        outcome = batch.batch_run(importer, workspace=request.workspace, frame=frame, commit=False)
    return _page(
        request,
        importer,
        upload_form=CsvUploadForm(),
        filename=pending["name"],
        mapping_form=form or _mapping_form(importer, pending, table),
        missing=missing,
        outcome=outcome,
        status=400 if (form is not None and form.errors) else status,
    )


def _map(request, importer, pending):
    table = read_table(pending["content"], batch.batch_limits())
    form = _mapping_form(importer, pending, table, data=request.POST)
    if not form.is_valid():
        return _preview(request, importer, pending, table=table, form=form)
    mapping = form.mapping()
    pending = {
        **pending,
        "columns": list(mapping.columns),
        "values": {key: dict(values) for key, values in mapping.values.items()},
    }
    cache.set(_pending_key(request, importer), pending, PENDING_SECONDS)
    return _preview(request, importer, pending, table=table)


def _commit(request, importer, pending):
    table = read_table(pending["content"], batch.batch_limits())
    outcome = batch.batch_run(
        importer,
        workspace=request.workspace,
        frame=_frame(importer, pending, table),
        commit=True,
        filename=pending["name"],
    )
    if outcome.counts is None:
        return _preview(request, importer, pending, table=table, outcome=outcome, status=400)
    import_mapping_remember(
        workspace=request.workspace,
        kind=importer.spec.kind,
        headers=table.headers,
        mapping=ColumnMapping(columns=tuple(pending["columns"]), values=pending["values"]),
        by=request.user,
    )
    cache.delete(_pending_key(request, importer))
    counts = outcome.counts
    messages.success(
        request,
        f"{pending['name']} imported: {counts.created} created, {counts.updated} updated, "
        f"{counts.unchanged} unchanged.",
    )
    return redirect(importer.back_url_name)
