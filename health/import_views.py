"""Pages of the support-ticket and survey-response CSV imports: upload, map, preview, commit.

Only leaders and admins import, as for accounts; an import of another workspace is a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from csos.decorators import member_required
from csos.imports.forms import ColumnMappingForm
from csos.imports.spec import template_csv
from csos.models import Role
from health import imports
from health.forms import RecordImportUploadForm
from health.models import ImportKind, ImportState, RecordImport

IMPORT_ROLES = {Role.ADMIN, Role.LEADER}
RECENT_IMPORTS = 10
UPLOAD_URL = {ImportKind.TICKETS: "ticket_import", ImportKind.SURVEYS: "survey_import"}


@member_required(roles=IMPORT_ROLES)
@require_http_methods(["GET", "POST"])
def record_import_upload(request, kind: str):
    config = imports.CONFIGS[kind]
    form = RecordImportUploadForm(request.POST or None, request.FILES or None, kind=kind)
    if form.is_bound and form.is_valid():
        try:
            record_import = imports.record_import_create(
                workspace=request.workspace,
                by=request.user,
                kind=kind,
                upload=form.cleaned_data["file"],
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("record_import_detail", record_import_id=record_import.pk)
    return render(
        request,
        "health/import_upload.html",
        {
            "form": form,
            "kind": kind,
            "title": f"Import {ImportKind(kind).label.lower()}",
            "kind_label": ImportKind(kind).label.lower(),
            "spec": config.spec,
            "optional_fields": [field for field in config.spec.fields if not field.required],
            "recent_imports": imports.record_import_list(kind=kind)[:RECENT_IMPORTS],
            "limits": imports.import_limits(),
            "max_bytes": settings.ACCOUNT_IMPORT_MAX_BYTES,
            "template_url": reverse(f"{UPLOAD_URL[kind]}_template"),
        },
        status=400 if form.errors else 200,
    )


@member_required(roles=IMPORT_ROLES)
def record_import_template(request, kind: str):
    """The CSV template of one kind of import: every column, with an example row."""
    response = HttpResponse(
        template_csv(imports.CONFIGS[kind].spec), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
    return response


def _import(record_import_id: int) -> RecordImport:
    return get_object_or_404(RecordImport, pk=record_import_id)


@member_required(roles=IMPORT_ROLES)
@require_http_methods(["GET", "POST"])
def record_import_mapping(request, record_import_id: int):
    record_import = _import(record_import_id)
    if record_import.status == ImportState.DONE:
        return redirect("record_import_detail", record_import_id=record_import.pk)
    config = imports.CONFIGS[record_import.kind]
    form = ColumnMappingForm(
        request.POST if request.method == "POST" else None,
        spec=config.spec,
        headers=record_import.headers,
        columns=record_import.columns,
        samples=record_import.samples,
        choices=config.choices,
        values=record_import.value_map,
    )
    if form.is_bound and form.is_valid():
        imports.record_import_map(
            record_import=record_import, mapping=form.mapping(), by=request.user
        )
        return redirect("record_import_detail", record_import_id=record_import.pk)
    return render(
        request,
        "csos/import_mapping.html",
        {
            "form": form,
            "spec": config.spec,
            "title": f"Map the columns of {record_import.filename}",
            "row_count": record_import.row_count,
            "back_url": reverse(UPLOAD_URL[record_import.kind]),
        },
        status=400 if form.errors else 200,
    )


@member_required(roles=IMPORT_ROLES)
def record_import_detail(request, record_import_id: int):
    record_import = _import(record_import_id)
    if record_import.status == ImportState.MAPPING:
        return redirect("record_import_mapping", record_import_id=record_import.pk)
    spec = imports.CONFIGS[record_import.kind].spec
    return render(
        request,
        "health/import_detail.html",
        {
            "record_import": record_import,
            "fields": [field for field in spec.fields if field.key in record_import.columns],
            "back_url": reverse(UPLOAD_URL[record_import.kind]),
        },
    )


@member_required(roles=IMPORT_ROLES)
@require_POST
def record_import_commit(request, record_import_id: int):
    record_import = imports.record_import_commit(import_id=_import(record_import_id).pk)
    if record_import is None:
        messages.error(request, "Only a checked file without errors can be imported.")
    elif record_import.status == ImportState.DONE:
        messages.success(
            request,
            f"Imported {record_import.filename}: {record_import.created_count} created, "
            f"{record_import.updated_count} updated, {record_import.unchanged_count} unchanged.",
        )
    else:
        messages.error(request, "The data changed since the check; nothing was imported.")
    return redirect("record_import_detail", record_import_id=record_import_id)
