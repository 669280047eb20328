"""Pages of the accounts CSV import: upload, map the columns, preview, commit and watch it run.

Only leaders and admins import; everyone else gets 403 on every page, and an import of another
workspace is a 404 because the scoped manager never finds it.
"""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import imports
from accounts.csv_import import ACCOUNT_SPEC, NAME, OWNER_EMAIL
from accounts.forms import ImportCommitForm, ImportUploadForm
from accounts.tasks import account_import_check_enqueue, account_import_commit_enqueue
from csos.decorators import member_required
from csos.imports.forms import ColumnMappingForm
from csos.imports.services import import_mapping_known_values
from csos.imports.views import csv_template
from csos.models import LEADER_ROLES, ImportStatus, Role

IMPORT_ROLES = LEADER_ROLES
RECENT_IMPORTS = 10


@member_required(roles=IMPORT_ROLES)
@require_http_methods(["GET", "POST"])
def import_upload(request):
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
    else:
        form = ImportUploadForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        with transaction.atomic():
            account_import = imports.account_import_create(
                workspace=request.workspace,
                by=request.user,
                filename=upload.name,
                content=upload.content,
            )
            account_import_check_enqueue(account_import=account_import)
        return redirect("account_import_detail", import_id=account_import.pk)
    return render(
        request,
        "accounts/import_upload.html",
        {
            "form": form,
            "recent_imports": imports.account_import_list()[:RECENT_IMPORTS],
            "spec": ACCOUNT_SPEC,
            "limits": imports.import_limits(),
            "max_bytes": settings.ACCOUNT_IMPORT_MAX_BYTES,
        },
        status=400 if form.errors else 200,
    )


@member_required(roles=IMPORT_ROLES)
def import_template(request):
    """The accounts CSV template: every column, with an example row."""
    return csv_template(ACCOUNT_SPEC)


@member_required(roles=IMPORT_ROLES)
@require_http_methods(["GET", "POST"])
def import_mapping(request, import_id: int):
    account_import = get_object_or_404(imports.account_import_list(), pk=import_id)
    if account_import.status != ImportStatus.MAPPING:
        return redirect("account_import_detail", import_id=account_import.pk)
    form = ColumnMappingForm(
        request.POST if request.method == "POST" else None,
        spec=ACCOUNT_SPEC,
        headers=account_import.headers,
        columns=account_import.columns,
        samples=account_import.samples,
        choices=imports.account_import_mapping_choices(),
        values=import_mapping_known_values(kind=ACCOUNT_SPEC.kind),
    )
    if form.is_bound and form.is_valid():
        with transaction.atomic():
            if imports.account_import_map(
                account_import=account_import, mapping=form.mapping(), by=request.user
            ):
                account_import_check_enqueue(account_import=account_import)
        return redirect("account_import_detail", import_id=account_import.pk)
    return render(
        request,
        "csos/import_mapping.html",
        {
            "form": form,
            "spec": ACCOUNT_SPEC,
            "title": f"Map the columns of {account_import.filename}",
            "row_count": account_import.row_count,
            "back_url": reverse("account_import"),
            "invite_for": OWNER_EMAIL,
            "invite_url": reverse("member_list") if request.membership.role == Role.ADMIN else "",
        },
        status=400 if form.errors else 200,
    )


@member_required(roles=IMPORT_ROLES)
def import_detail(request, import_id: int):
    account_import = get_object_or_404(imports.account_import_list(), pk=import_id)
    if account_import.status == ImportStatus.MAPPING:
        return redirect("account_import_mapping", import_id=account_import.pk)
    preview, warnings = None, []
    if account_import.status == ImportStatus.READY:
        preview = imports.account_import_preview(account_import=account_import)
        choices = ImportCommitForm(duplicates=preview.duplicates)
        warnings = [
            (warning, choices.choice_field(warning["row"]) if warning["field"] == NAME else None)
            for warning in preview.warnings
        ]
    return render(
        request,
        "accounts/import_detail.html",
        {
            "account_import": account_import,
            "preview": preview,
            "warnings": warnings,
            "progress": imports.account_import_progress(account_import=account_import),
        },
    )


@member_required(roles=IMPORT_ROLES)
@require_POST
def import_commit(request, import_id: int):
    account_import = get_object_or_404(imports.account_import_list(), pk=import_id)
    duplicates = {}
    if account_import.status == ImportStatus.READY:
        duplicates = imports.account_import_preview(account_import=account_import).duplicates
    form = ImportCommitForm(request.POST, duplicates=duplicates)
    if not form.is_valid():
        problems = [error for errors in form.errors.values() for error in errors]
        messages.error(request, f"Likely duplicates: {' '.join(problems)}")
        return redirect("account_import_detail", import_id=account_import.pk)
    with transaction.atomic():
        queued = imports.account_import_queue(
            account_import=account_import,
            by=request.user,
            skip_rows=form.skip_rows,
            link_rows=form.link_rows,
        )
        if queued:
            account_import_commit_enqueue(account_import=account_import, user_id=request.user.pk)
    if not queued:
        messages.error(request, "Only an import that is ready to commit can be committed.")
    return redirect("account_import_detail", import_id=account_import.pk)


@member_required(roles=IMPORT_ROLES)
@never_cache
def import_progress(request, import_id: int):
    """The status block a running import's page polls; ``shown`` is the status it last showed."""
    account_import = get_object_or_404(imports.account_import_list(), pk=import_id)
    response = render(
        request,
        "accounts/_import_progress.html",
        {
            "account_import": account_import,
            "progress": imports.account_import_progress(account_import=account_import),
            "announce": request.GET.get("shown") != account_import.status,
        },
    )
    if account_import.status in {ImportStatus.READY, ImportStatus.MAPPING}:
        # The check is over and its outcome is a page of its own: the preview or the mapping.
        response["HX-Redirect"] = reverse("account_import_detail", args=[account_import.pk])
    return response
