"""The workspace scope: which tenant the current request or task works for.

The scope lives in a context variable. It is set in exactly two kinds of place: the request
layer (``WorkspaceMiddleware`` for pages, ``ScopedAPIView`` for the API) and the
``workspace_task`` decorator for Celery. Tenant models read it through their default manager,
which fails closed: with no scope set, a query raises instead of returning every workspace's rows.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.db import models

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
    token = _current_workspace.set(workspace)
    try:
        yield workspace
    finally:
        _current_workspace.reset(token)


def set_scope(workspace: Workspace | None) -> contextvars.Token:
    """Set the scope without a block, for request hooks that open and close it separately."""
    return _current_workspace.set(workspace)


def reset_scope(token: contextvars.Token) -> None:
    _current_workspace.reset(token)


class WorkspaceScopedManager(models.Manager):
    """Default manager of every tenant model: only the rows of the workspace in scope."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(workspace=current_workspace())

    def none(self) -> models.QuerySet:
        # An empty queryset reveals no rows, so tools that inspect models (schema generation)
        # may ask for one outside any scope.
        return super().get_queryset().none()


def workspace_task(func):
    """Run a Celery task body inside the scope of the workspace named by its first argument."""

    @functools.wraps(func)
    def wrapper(workspace_id: int, *args, **kwargs):
        from csos.models import Workspace

        workspace = Workspace.objects.get(pk=workspace_id)
        with workspace_scope(workspace):
            return func(workspace_id, *args, **kwargs)

    return wrapper
