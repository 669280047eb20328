"""Pages of the accounts CSV import: upload, check, preview, commit and watch it run.

Only leaders and admins import; everyone else gets 403 on every page, and an import of another
workspace is a 404 because the scoped manager never finds it.
"""

from functools import partial

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import imports
from accounts.forms import ImportUploadForm
from accounts.models import ImportStatus
from accounts.tasks import account_import_commit_task
from csos.decorators import member_required
from csos.models import Role

IMPORT_ROLES = {Role.ADMIN, Role.LEADER}
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
        account_import = imports.account_import_create(
            workspace=request.workspace,
            by=request.user,
            filename=upload.name,
            content=upload.content,
        )
        return redirect("account_import_detail", import_id=account_import.pk)
    return render(
        request,
        "accounts/import_upload.html",
        {"form": form, "recent_imports": imports.account_import_list()[:RECENT_IMPORTS]},
        status=400 if form.errors else 200,
    )


@member_required(roles=IMPORT_ROLES)
def import_detail(request, import_id: int):
    account_import = get_object_or_404(imports.account_import_list(), pk=import_id)
    preview = None
    if account_import.status == ImportStatus.READY:
        preview = imports.account_import_preview(account_import=account_import)
    return render(
        request,
        "accounts/import_detail.html",
        {
            "account_import": account_import,
            "preview": preview,
            "progress": imports.account_import_progress(account_import=account_import),
        },
    )


@member_required(roles=IMPORT_ROLES)
@require_POST
def import_commit(request, import_id: int):
    account_import = get_object_or_404(imports.account_import_list(), pk=import_id)
    if imports.account_import_queue(account_import=account_import, by=request.user):
        transaction.on_commit(
            partial(
                account_import_commit_task.delay,
                request.workspace.pk,
                account_import.pk,
                request.user.pk,
            )
        )
    else:
        messages.error(request, "Only an import that is ready to commit can be committed.")
    return redirect("account_import_detail", import_id=account_import.pk)


@member_required(roles=IMPORT_ROLES)
@never_cache
def import_progress(request, import_id: int):
    """The status block a running import's page polls; ``shown`` is the status it last showed."""
    account_import = get_object_or_404(imports.account_import_list(), pk=import_id)
    return render(
        request,
        "accounts/_import_progress.html",
        {
            "account_import": account_import,
            "progress": imports.account_import_progress(account_import=account_import),
            "announce": request.GET.get("shown") != account_import.status,
        },
    )
