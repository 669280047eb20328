"""The workspace scope: which tenant the current request or task works for.

The scope lives in a context variable. It is set in exactly two kinds of place: the request layer
(``WorkspaceMiddleware`` for pages, ``ScopedAPIView`` for the API) and the ``workspace_task``
decorator for Celery. Setting it also activates the workspace's time zone, so
``timezone.localdate()`` is the workspace's today wherever a workspace is in scope. Tenant models
read it through their default manager, which fails closed: with no scope set, a query raises
instead of returning every workspace's rows. The condition is resolved when a query runs, not when
it is built, so querysets may be declared at import time. Writes are walled too: a row goes only
into the workspace in scope and points only at rows of its own workspace, checked on save and bulk
writes, and on PostgreSQL by composite foreign keys (``TenantForeignKey``).
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.db.models.constants import OnConflict
from django.utils import timezone

if TYPE_CHECKING:
    from csos.models import Workspace

_current_workspace: contextvars.ContextVar[Workspace | None] = contextvars.ContextVar(
    "csos_workspace", default=None
)


class WorkspaceScopeMissing(RuntimeError):
    """A tenant query ran outside any workspace scope."""


def current_workspace() -> Workspace:
    workspace = _current_workspace.get()
    if workspace is None:
        raise WorkspaceScopeMissing(
            "No workspace in scope: wrap the code in workspace_scope(), or use the model's "
            "`dangerously_unscoped` manager where crossing tenants is intended (migrations, "
            "admin commands)."
        )
    return workspace


def current_workspace_or_none() -> Workspace | None:
    return _current_workspace.get()


@contextmanager
def workspace_scope(workspace: Workspace | None) -> Iterator[Workspace | None]:
    """Run the block with ``workspace`` in scope (``None`` clears it), restoring the outer scope."""
    token = set_scope(workspace)
    try:
        yield workspace
    finally:
        reset_scope(token)


@dataclass(frozen=True)
class ScopeToken:
    """What ``reset_scope`` needs to restore the outer scope and its time zone."""

    workspace: contextvars.Token
    zone: timezone.override


def set_scope(workspace: Workspace | None) -> ScopeToken:
    """Set the scope and activate the workspace's time zone (no workspace: the server's),
    without a block, for request hooks that open and close it separately."""
    zone = timezone.override(workspace.time_zone if workspace is not None else None)
    zone.__enter__()
    return ScopeToken(workspace=_current_workspace.set(workspace), zone=zone)


def reset_scope(token: ScopeToken) -> None:
    _current_workspace.reset(token.workspace)
    token.zone.__exit__(None, None, None)


class WorkspaceScopeViolation(PermissionError):
    """A write would put a row in a workspace other than the one in scope, or point across two."""


class CurrentWorkspaceId(models.Expression):
    """The id of the workspace in scope, read when the query is compiled, not when it is built.

    So a queryset may be declared at import time (a form's choices, a filter set) and still
    return only the rows of the workspace in scope of the request that runs it.
    """

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection):
        return "%s", [current_workspace().pk]

    def __eq__(self, other):
        return isinstance(other, CurrentWorkspaceId)

    def __hash__(self):
        return hash(CurrentWorkspaceId)


def is_tenant_model(model) -> bool:
    from csos.models import TenantModel

    return isinstance(model, type) and issubclass(model, TenantModel)


def _tenant_foreign_keys(model) -> list[models.ForeignKey]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
        and field.name != "workspace"
        and is_tenant_model(field.related_model)
    ]


def tenant_rows_check(objs) -> None:
    """Refuse rows outside the workspace in scope, and rows pointing at another workspace's rows.

    Related rows already loaded on the instance are compared directly; ids alone are looked up
    in one query per foreign key, whatever the number of rows.
    """
    objs = list(objs)
    if not objs:
        return
    scope = current_workspace_or_none()
    for obj in objs:
        if obj.workspace_id is None:
            raise WorkspaceScopeViolation(f"{type(obj).__name__} has no workspace.")
        if scope is not None and obj.workspace_id != scope.pk:
            raise WorkspaceScopeViolation(
                f"{type(obj).__name__} belongs to workspace {obj.workspace_id}, "
                f"but workspace {scope.pk} is in scope."
            )
    for field in _tenant_foreign_keys(type(objs[0])):
        unloaded: dict[object, set[int]] = {}
        for obj in objs:
            if field.is_cached(obj):
                related = field.get_cached_value(obj)
                if related is not None and related.workspace_id != obj.workspace_id:
                    raise _cross_reference(obj, field)
            elif (value := getattr(obj, field.attname)) is not None:
                unloaded.setdefault(value, set()).add(obj.workspace_id)
        if not unloaded:
            continue
        target = field.related_model
        owners = dict(
            target.dangerously_unscoped.filter(
                **{f"{field.target_field.attname}__in": list(unloaded)}
            ).values_list(field.target_field.attname, "workspace_id")
        )
        for value, workspaces in unloaded.items():
            if workspaces != {owners.get(value)}:
                raise _cross_reference(objs[0], field)


def _cross_reference(obj, field) -> WorkspaceScopeViolation:
    return WorkspaceScopeViolation(
        f"{type(obj).__name__}.{field.name} points at a {field.related_model.__name__} "
        "of another workspace."
    )


class TenantQuerySet(models.QuerySet):
    """Writes that stay inside one workspace: bulk writes are checked as ``save()`` is."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        tenant_rows_check(objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_create_new(self, objs) -> list[int]:
        """Insert ``objs`` with ON CONFLICT DO NOTHING and return the ids of the rows really
        written: ``bulk_create(ignore_conflicts=True)`` cannot tell a row a concurrent writer
        already held from one it wrote."""
        objs = list(objs)
        if not objs:
            return []
        tenant_rows_check(objs)
        opts = self.model._meta
        fields = [f for f in opts.concrete_fields if not f.generated and f is not opts.pk]
        rows = self._insert(
            objs, fields=fields, returning_fields=[opts.pk], on_conflict=OnConflict.IGNORE
        )
        return [pk for (pk,) in rows]

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        tenant_rows_check(objs)
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        if {"workspace", "workspace_id"} & kwargs.keys():
            raise WorkspaceScopeViolation("A row never moves to another workspace.")
        scope = current_workspace_or_none()
        for field in _tenant_foreign_keys(self.model):
            for key in (field.name, field.attname):
                if kwargs.get(key) is not None and scope is not None:
                    target = kwargs[key]
                    target_id = getattr(target, "pk", target)
                    if not field.related_model.objects.filter(pk=target_id).exists():
                        raise WorkspaceScopeViolation(
                            f"{self.model.__name__}.{field.name} cannot point at a "
                            f"{field.related_model.__name__} of another workspace."
                        )
        return super().update(**kwargs)


class WorkspaceScopedManager(models.Manager.from_queryset(TenantQuerySet)):
    """Default manager of every tenant model: only the rows of the workspace in scope.

    The condition names the scope lazily (``CurrentWorkspaceId``), so it fails closed when the
    query runs outside any scope, wherever the queryset was built.
    """

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(workspace_id=CurrentWorkspaceId())


class UnscopedTenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Every workspace's rows: for migrations, demo builders, admin commands and the tenancy
    sweep. Its name warns; ``tests/csos/test_tenancy.py`` lists the modules allowed to use it."""


class _SameWorkspaceKey:
    """What ``TenantForeignKey`` and ``TenantOneToOneField`` share: the composite constraint."""

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        if not cls._meta.abstract:
            add_model_constraint(
                cls,
                WorkspaceForeignKeyConstraint(
                    field=name, name=_constraint_name(cls._meta.db_table, name, "wsfk")
                ),
            )

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        plain = (
            models.OneToOneField if isinstance(self, models.OneToOneField) else models.ForeignKey
        )
        return name, f"django.db.models.{plain.__name__}", args, kwargs


class TenantForeignKey(_SameWorkspaceKey, models.ForeignKey):
    """A foreign key from a tenant model to another tenant model of the same workspace.

    On PostgreSQL it adds a composite constraint, ``(workspace_id, <field>_id)`` referencing the
    target's unique ``(workspace_id, id)``, so the database itself refuses a row that points into
    another workspace. Migrations record it as a plain ``ForeignKey`` plus that constraint.
    """


class TenantOneToOneField(_SameWorkspaceKey, models.OneToOneField):
    """``TenantForeignKey`` for a one-to-one link between two rows of one workspace."""


def _constraint_name(table: str, field: str, suffix: str) -> str:
    name = f"{table}_{field}_{suffix}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: 63 - len(suffix) - 10]}_{digest}_{suffix}"


class WorkspaceForeignKeyConstraint(models.BaseConstraint):
    """``FOREIGN KEY (workspace_id, <field>_id) REFERENCES <target> (workspace_id, id)``.

    Deferred to the end of the transaction like Django's own foreign keys. Other databases keep
    only the plain foreign key; the write checks in ``TenantQuerySet`` and ``TenantModel.save``
    hold the wall there.
    """

    def __init__(self, *, field: str, name: str, violation_error_message=None):
        self.field = field
        super().__init__(name=name, violation_error_message=violation_error_message)

    def _sql(self, model, schema_editor) -> str:
        field = model._meta.get_field(self.field)
        target = field.related_model._meta
        quote = schema_editor.quote_name
        return (
            f"CONSTRAINT {quote(self.name)} FOREIGN KEY ({quote('workspace_id')}, "
            f"{quote(field.column)}) REFERENCES {quote(target.db_table)} "
            f"({quote('workspace_id')}, {quote(field.target_field.column)}) "
            "DEFERRABLE INITIALLY DEFERRED"
        )

    def constraint_sql(self, model, schema_editor):
        # The target's (workspace_id, id) key may be created later in the same migration, so
        # the constraint is added once every table and key exists, as Django adds foreign keys.
        schema_editor.deferred_sql.append(
            f"ALTER TABLE {schema_editor.quote_name(model._meta.db_table)} "
            f"ADD {self._sql(model, schema_editor)}"
        )
        return None

    def create_sql(self, model, schema_editor):
        return self.constraint_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        return (
            f"ALTER TABLE {schema_editor.quote_name(model._meta.db_table)} "
            f"DROP CONSTRAINT {schema_editor.quote_name(self.name)}"
        )

    def validate(self, model, instance, exclude=None, using=None):
        # Checked on save by TenantModel, with a clearer error than a form could show.
        return None

    def __eq__(self, other):
        if isinstance(other, WorkspaceForeignKeyConstraint):
            return (self.name, self.field) == (other.name, other.field)
        return super().__eq__(other)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        return path, args, kwargs


def add_model_constraint(model, constraint: models.BaseConstraint) -> None:
    """Add a constraint to a model being defined, where migrations will see it too."""
    opts = model._meta
    opts.constraints = [*opts.constraints, constraint]
    # Migrations read a model's options from the attributes its Meta declared.
    opts.original_attrs["constraints"] = opts.constraints


def workspace_unique_key(model) -> models.UniqueConstraint:
    """The ``(workspace_id, id)`` key that composite foreign keys reference."""
    return models.UniqueConstraint(
        fields=["workspace", model._meta.pk.name],
        name=_constraint_name(model._meta.db_table, "workspace", "id_key"),
    )


def workspace_task(func):
    """Run a Celery task body inside the scope of the workspace named by its first argument."""

    @functools.wraps(func)
    def wrapper(workspace_id: int, *args, **kwargs):
        from csos.models import Workspace

        workspace = Workspace.objects.get(pk=workspace_id)
        with workspace_scope(workspace):
            return func(workspace_id, *args, **kwargs)

    return wrapper
