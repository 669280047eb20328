"""The bases every API view builds on: who is calling, the workspace scope, rights, pagination.

A request is authenticated by an API token (it acts for the token's workspace, within the
token's scopes) or by a signed-in session (it acts for the session's workspace, within the
member's role). Either way the scope is set here, once, as ``WorkspaceMiddleware`` does for
pages. Viewsets name a ``model`` and may narrow its rows in ``scope_queryset``; they may not
override ``get_queryset``, so no endpoint can reach rows outside the workspace in scope.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import (
    authentication,
    filters,
    permissions,
    serializers,
    status,
    throttling,
    viewsets,
)
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from csos.api.tokens import ApiTokenAuthentication
from csos.middleware import SESSION_WORKSPACE_KEY
from csos.models import ApiScope, ApiToken
from csos.selectors import membership_pick, memberships_of_user
from csos.tenancy import reset_scope, set_scope


class HasApiAccess(permissions.BasePermission):
    """A token holding the scope the endpoint needs, or a member whose role allows the method.

    The needed scope is the view's ``required_scope`` when it names one (bulk ingestion), else
    ``read`` for safe methods and ``write`` for the rest. Ingestion endpoints take tokens only.
    """

    message = "This token or member may not use this endpoint."

    def has_permission(self, request, view) -> bool:
        scope = view.required_scope or (
            ApiScope.READ if request.method in permissions.SAFE_METHODS else ApiScope.WRITE
        )
        if isinstance(request.auth, ApiToken):
            if scope not in request.auth.scopes:
                self.message = f"The token lacks the `{scope}` scope."
                return False
            return True
        membership = getattr(view, "membership", None)
        if membership is None or scope == ApiScope.INGEST:
            return False
        return scope == ApiScope.READ or membership.can_write


class ApiRateThrottle(throttling.SimpleRateThrottle):
    """Requests per minute for one token (or signed-in user), per scope; counted in the cache."""

    def __init__(self):
        # The scope, and so the rate, depends on the view and method: set in allow_request.
        pass

    def allow_request(self, request, view) -> bool:
        self.scope = view.required_scope or (
            ApiScope.READ if request.method in permissions.SAFE_METHODS else ApiScope.WRITE
        )
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class IdCursorPagination(CursorPagination):
    """Stable paging for integrations: a cursor over the primary key survives concurrent inserts.

    A view that offers ``?ordering=`` pages by a cursor over its first ordering field instead;
    its ``ordering_fields`` must be fields that are never null.
    """

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def paginate_queryset(self, queryset, request, view=None):
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request) -> int:
        """``?page_size=``, a whole number from 1 to ``max_page_size``; any other value
        answers 400 naming it, rather than the default page."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise ApiValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": self.max_page_size}
        return parameters

    def decode_cursor(self, request):
        """The cursor, or 400 naming ``cursor`` when it is not one this endpoint gave out."""
        try:
            cursor = self._decode_valid_cursor(request)
        except NotFound:
            raise ApiValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}
            ) from None
        return cursor

    def _decode_valid_cursor(self, request):
        # The base class checks the cursor's encoding, not its position: a position that is
        # no value of the ordering field would reach the database as one and fail there.
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
        if isinstance(field, models.IntegerField | models.AutoField):
            valid = cursor.position.isascii() and cursor.position.isdigit()
        else:
            try:
                field.to_python(cursor.position)
            except DjangoValidationError:
                valid = False
            else:
                valid = "\x00" not in cursor.position
        if not valid:
            raise NotFound(self.invalid_cursor_message)
        return cursor


class StableOrderingFilter(filters.OrderingFilter):
    """``?ordering=`` over the view's ``ordering_fields``, ties broken by id so pages never
    repeat or skip a row. A view naming no ``ordering_fields`` offers no ``?ordering=``."""

    def get_schema_operation_parameters(self, view):
        if getattr(view, "ordering_fields", None) is None:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "The field to order by, descending with a leading `-`.",
                "schema": {"type": "string", "enum": self._choices(view)},
            }
        ]

    def get_ordering(self, request, queryset, view):
        """The ordering asked for, else the view's default; a value that is not one of the
        view's choices answers 400 naming ``ordering``, rather than the default order."""
        if getattr(view, "ordering_fields", None) is None:
            return None
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        if raw not in self._choices(view):
            raise ApiValidationError(
                {self.ordering_param: [f"One of: {', '.join(self._choices(view))}."]}
            )
        if raw.lstrip("-") == "id":
            return [raw]
        return [raw, "-id" if raw.startswith("-") else "id"]

    @staticmethod
    def _choices(view) -> list[str]:
        return [choice for name in view.ordering_fields for choice in (name, f"-{name}")]


def refuse_blank_parameters(query_params, names) -> None:
    """400 naming each of ``names`` sent with a blank value. django-filter and serializers
    read a blank value as an HTML form's empty field, that is as no value at all; from an
    integration it is a mistake, answered as any other value the endpoint cannot read."""
    blank = {
        name: ["This parameter may not be blank."]
        for name in names
        if any(not value.strip() for value in query_params.getlist(name))
    }
    if blank:
        raise ApiValidationError(blank)


class QueryParametersSerializer(serializers.Serializer):
    """The query parameters of an endpoint that is not a list, read by a serializer: a
    parameter sent blank answers 400 naming it."""

    def to_internal_value(self, data):
        refuse_blank_parameters(data, self.fields)
        return super().to_internal_value(data)


class StrictFilterBackend(DjangoFilterBackend):
    """The view's ``filterset_class``; a filter sent blank answers 400 naming it."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            refuse_blank_parameters(request.query_params, filterset_class.base_filters)
        return super().filter_queryset(request, queryset, view)


class WorkspaceScopeMixin:
    """Sets the workspace scope for the request from the token or the session, and resets it
    however the request ends, an uncaught error included."""

    authentication_classes = [ApiTokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [HasApiAccess]
    throttle_classes = [ApiRateThrottle]
    required_scope: str | None = None

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        if isinstance(request.auth, ApiToken):
            self.membership = None
            self.workspace = request.auth.workspace
        else:
            self.membership = membership_pick(
                memberships=memberships_of_user(user=request.user),
                workspace_id=request.session.get(SESSION_WORKSPACE_KEY),
            )
            self.workspace = self.membership.workspace if self.membership else None
        self._scope_token = set_scope(self.workspace)
        super().initial(request, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            token = getattr(self, "_scope_token", None)
            if token is not None:
                reset_scope(token)
                self._scope_token = None


class ScopedAPIView(WorkspaceScopeMixin, APIView):
    """Base of endpoints that are not viewsets (bulk ingestion): scope, rights, throttles."""


class ScopedViewSetMixin(WorkspaceScopeMixin):
    """Rows of ``model`` in the workspace, filtered by ``filterset_class`` and ordered by
    ``?ordering=`` over ``ordering_fields`` when the view names them."""

    model = None
    pagination_class = IdCursorPagination
    filter_backends = [StrictFilterBackend, StableOrderingFilter]

    # Every way a generic view reaches its rows: overriding one could read past the scope.
    PROTECTED = ("queryset", "get_queryset", "filter_queryset", "get_object", "paginate_queryset")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        overridden = [name for name in cls.PROTECTED if name in cls.__dict__]
        if overridden:
            raise TypeError(
                f"{cls.__name__} overrides {', '.join(overridden)}; narrow rows in "
                "scope_queryset instead."
            )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation inspects the view outside any request or workspace.
            return self.model.dangerously_unscoped.none()
        return self.scope_queryset(self.model.objects.all())

    def scope_queryset(self, queryset):
        return queryset


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


@contextmanager
def service_errors() -> Iterator[None]:
    """A service's ValidationError raised within as the API's, keeping the names of the fields
    at fault."""
    try:
        yield
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            raise ApiValidationError(error.message_dict) from None
        raise ApiValidationError({"non_field_errors": error.messages}) from None


class ScopedEditViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Reads rows of the workspace; subclasses add writes with ``ServiceCreateMixin`` and
    ``ServiceUpdateMixin``, each calling one service.

    A token with the ``write`` scope writes for the whole workspace; a member writes what the
    pages let them (``member_may_write`` of the customer account written to), else 403.
    """

    @property
    def actor(self):
        """The user the history and audit name: none for a token, which acts for no one."""
        return self.request.user if self.membership is not None else None

    def member_may_write(self, account) -> bool:
        raise NotImplementedError

    def check_may_write(self, account) -> None:
        if self.membership is not None and not self.member_may_write(account):
            self.permission_denied(self.request, message="Your role may not change this.")

    def row_response(self, row, status_code: int = status.HTTP_200_OK) -> Response:
        """The row written, as the reads show it."""
        return Response(
            self.get_serializer(self.get_queryset().get(pk=row.pk)).data, status=status_code
        )


class ServiceCreateMixin:
    """POST to a ``ScopedEditViewSet``: the ``create_serializer_class`` input, which names the
    ``account``, written by ``create_row``; answers 201 with the new row."""

    create_serializer_class: type[serializers.Serializer]

    def create_row(self, fields: dict) -> models.Model:
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        data = self.create_serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        self.check_may_write(fields["account"])
        with service_errors():
            row = self.create_row(fields)
        return self.row_response(row, status.HTTP_201_CREATED)


class ServiceUpdateMixin:
    """PATCH to a ``ScopedEditViewSet``: the ``update_serializer_class`` input, written by
    ``update_row`` to a row of an account the caller may write to; answers with the row."""

    update_serializer_class: type[serializers.Serializer]

    def update_input(self, row) -> serializers.Serializer:
        return self.update_serializer_class(data=self.request.data)

    def update_row(self, row, fields: dict) -> None:
        raise NotImplementedError

    def partial_update(self, request, *args, **kwargs):
        row = self.get_object()
        self.check_may_write(row.account)
        data = self.update_input(row)
        data.is_valid(raise_exception=True)
        with service_errors():
            self.update_row(row, data.validated_data)
        return self.row_response(row)
