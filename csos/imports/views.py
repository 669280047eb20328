"""The workspace's remembered import mappings, for an admin to edit or forget. The import
pages themselves are ``csos.imports.pages``."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from csos.decorators import admin_required
from csos.imports.forms import ColumnMappingForm
from csos.imports.registry import registered_import
from csos.imports.services import import_mapping_edit, import_mapping_forget
from csos.models import ImportMapping


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
