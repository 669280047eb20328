from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render


def member_required(view=None, *, roles: set[str] | None = None):
    """A signed-in member of the active workspace, optionally holding one of ``roles``."""

    def decorator(view_func):
        @wraps(view_func)
        @login_required
        def wrapped(request, *args, **kwargs):
            if request.membership is None:
                return render(request, "csos/no_workspace.html", status=403)
            if roles is not None and request.membership.role not in roles:
                raise PermissionDenied
            return view_func(request, *args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator


def admin_required(view):
    return member_required(view, roles={"admin"})
