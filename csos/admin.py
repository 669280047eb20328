"""Django admin, for the operators of a CSOS installation (superusers only).

Tenant models are listed through their scoped managers, so even an operator sees one workspace
at a time: the one active in their session.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from csos.models import AuditEvent, Membership, Workspace
from csos.scoping import scoped_choice_queryset
from csos.tenancy import current_workspace


def _superuser_in_a_workspace(request) -> bool:
    return (
        request.user.is_active
        and request.user.is_superuser
        and getattr(request, "workspace", None) is not None
    )


admin.site.has_permission = _superuser_in_a_workspace
admin.site.site_header = "CSOS administration"


class WorkspaceScopedAdmin(admin.ModelAdmin):
    """Admin of tenant models: rows, choices and new objects all belong to the scope."""

    exclude = ("workspace",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs["queryset"] = scoped_choice_queryset(db_field.related_model._default_manager.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.workspace = current_workspace()
        super().save_model(request, obj, form, change)


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows the admin shows but never writes: their writes go through audited services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Workspace)
class WorkspaceAdmin(ViewOnlyAdmin):
    """View only: name and currency change on the settings page (/settings/), which audits it."""

    list_display = ("name", "slug", "default_currency", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk=current_workspace().pk)


@admin.register(Membership)
class MembershipAdmin(ViewOnlyAdmin, WorkspaceScopedAdmin):
    """View only: the members page (/settings/members/) adds, changes and removes members.

    It audits each change and keeps the workspace's last admin.
    """

    list_display = ("user", "role", "created_at")
    list_filter = ("role",)


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnlyAdmin, WorkspaceScopedAdmin):
    """View only: the audit log is append-only (also shown at /settings/audit/)."""

    list_display = ("at", "actor", "action", "object_repr")
    list_filter = ("action",)
    readonly_fields = [f.name for f in AuditEvent._meta.fields if f.name != "workspace"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class WorkspaceUserAdmin(UserAdmin):
    """Users who belong to the workspace in scope."""

    def get_queryset(self, request):
        return scoped_choice_queryset(User.objects.all())
