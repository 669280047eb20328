"""Django admin: a read-only window for the operators of a CSOS installation (superusers only).

Tenant models are listed through their scoped managers, so even an operator sees one workspace
at a time: the one active in their session. The admin writes nothing: every change goes
through the audited pages and services. Its one action is a password-reset e-mail, itself
audited; it never sets a password, because users are shared by every workspace they belong to.
The sign-in log of django-axes spans every workspace, so it is not in the admin at all
(AXES_ENABLE_ADMIN); docs/deploy.md says how an operator reads it.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group

from csos.forms import password_reset_send
from csos.models import AuditEvent, ImportJob, Membership, Workspace
from csos.scoping import scoped_choice_queryset
from csos.services import audit_record
from csos.tenancy import current_workspace


def _superuser_in_a_workspace(request) -> bool:
    return (
        request.user.is_active
        and request.user.is_superuser
        and getattr(request, "workspace", None) is not None
    )


admin.site.has_permission = _superuser_in_a_workspace
admin.site.site_header = "CSOS administration"


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows the admin shows but never writes: their writes go through audited services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WorkspaceScopedAdmin(ViewOnlyAdmin):
    """Admin of tenant models: the rows of the workspace in scope, read-only."""

    exclude = ("workspace",)


@admin.register(Workspace)
class WorkspaceAdmin(ViewOnlyAdmin):
    """View only: name, currency and time zone change on the settings page (/settings/),
    which audits it."""

    list_display = ("name", "slug", "default_currency", "time_zone", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk=current_workspace().pk)


@admin.register(Membership)
class MembershipAdmin(WorkspaceScopedAdmin):
    """View only: the members page (/settings/members/) adds, changes and removes members.

    It audits each change and keeps the workspace's last admin.
    """

    list_display = ("user", "role", "created_at")
    list_filter = ("role",)


@admin.register(ImportJob)
class ImportJobAdmin(WorkspaceScopedAdmin):
    list_display = ("filename", "kind", "status", "row_count", "created_at")
    list_filter = ("kind", "status")
    exclude = ("workspace", "content")


@admin.register(AuditEvent)
class AuditEventAdmin(WorkspaceScopedAdmin):
    """View only: the audit log is append-only (also shown at /settings/audit/)."""

    list_display = ("at", "actor", "action", "object_repr")
    list_filter = ("action",)
    readonly_fields = [f.name for f in AuditEvent._meta.fields if f.name != "workspace"]


User = get_user_model()
admin.site.unregister(User)
# Roles live on memberships; Django's groups and permissions are global and CSOS grants none.
admin.site.unregister(Group)


@admin.action(description="Send a password-reset e-mail")
def send_password_reset(modeladmin, request, queryset):
    """The admin's only way to help with a password: the person chooses it themselves."""
    workspace = current_workspace()
    for user in queryset:
        password_reset_send(request=request, user=user)
        audit_record(
            workspace=workspace,
            actor=request.user,
            action="user.password_reset_email",
            obj=user,
            after={"user": user.email},
        )
    messages.success(request, f"Password-reset e-mails sent: {len(queryset)}.")


@admin.register(User)
class WorkspaceUserAdmin(ViewOnlyAdmin, UserAdmin):
    """Users who belong to the workspace in scope, read-only: a user is shared by every
    workspace they belong to, so no workspace's operator may change their name, address,
    flags or password."""

    actions = [send_password_reset]

    def get_queryset(self, request):
        return scoped_choice_queryset(User.objects.all())
