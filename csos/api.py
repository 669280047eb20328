"""The base every API view builds on: authentication, the workspace scope, pagination.

Subclasses name a ``model`` and may narrow its rows in ``scope_queryset``; they may not
override ``get_queryset``, so no endpoint can reach rows outside the workspace in scope.
"""

from rest_framework import permissions, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from csos.middleware import SESSION_WORKSPACE_KEY
from csos.selectors import membership_pick, memberships_of_user
from csos.tenancy import reset_scope, set_scope


class IsWorkspaceMember(permissions.BasePermission):
    """Signed in and a member of the workspace in scope; writes need a role that may write."""

    def has_permission(self, request, view) -> bool:
        membership = getattr(view, "membership", None)
        if membership is None:
            return False
        return request.method in permissions.SAFE_METHODS or membership.can_write


class IdCursorPagination(CursorPagination):
    """Stable paging for integrations: a cursor over the primary key survives concurrent inserts."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def decode_cursor(self, request):
        # The base class checks the cursor's encoding, not its position: a position that is
        # no id would reach the database as one and fail there.
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        if not cursor.position.isascii() or not cursor.position.isdigit():
            raise NotFound(self.invalid_cursor_message)
        return cursor


class ScopedViewSetMixin:
    model = None
    permission_classes = [IsWorkspaceMember]
    pagination_class = IdCursorPagination

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset; narrow rows in scope_queryset instead."
            )

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        self.membership = membership_pick(
            memberships=memberships_of_user(user=request.user),
            workspace_id=request.session.get(SESSION_WORKSPACE_KEY),
        )
        self._scope_token = set_scope(self.membership.workspace if self.membership else None)
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        token = getattr(self, "_scope_token", None)
        if token is not None:
            reset_scope(token)
            self._scope_token = None
        return super().finalize_response(request, response, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation inspects the view outside any request or workspace.
            return self.model.dangerously_unscoped.none()
        return self.scope_queryset(self.model.objects.all())

    def scope_queryset(self, queryset):
        return queryset


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
