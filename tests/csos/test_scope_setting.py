"""The workspace scope is set in few, named places; and the API base resets it, and guards every
way a view reaches its rows."""

import ast

import pytest
from django.test import RequestFactory
from rest_framework.response import Response

from accounts.models import Account
from csos.api.base import ScopedAPIView, ScopedReadOnlyViewSet
from csos.tenancy import current_workspace_or_none
from tests.test_layers import LAYER, ROOT

SETTERS = {"set_scope", "workspace_scope", "reset_scope"}

# Every module that sets the scope, and why it may.
SCOPE_SETTERS_ALLOWED = {
    "csos/tenancy.py": "defines the scope, and workspace_task sets it for Celery tasks",
    "csos/middleware.py": "pages reached with a session",
    "csos/api/base.py": "API requests, by token or session",
    "csos/links.py": "link_scope: pages reached by a signed link, without a session",
    "csos/views.py": "the invitation page, whose signed token names the workspace to join",
    "accounts/demo/pipeline.py": "the demo builder runs every step in the demo workspace",
    "health/management/commands/health_recompute.py": "a command naming its workspace",
    "playbooks/segments/tasks.py": "places new accounts in the workspace their signal names",
    "playbooks/digest_views.py": "one-click unsubscribe: its signed token names the workspace",
    "assistant/server.py": "MCP requests, by API token, scoped and reset as the API base does",
}


def _setters(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in SETTERS:
                return True
    return False


def test_it_sets_the_scope_only_in_the_listed_modules():
    setting = {
        path.relative_to(ROOT).as_posix()
        for app in LAYER
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and _setters(ast.parse(path.read_text()))
    }
    assert setting == set(SCOPE_SETTERS_ALLOWED)


@pytest.mark.parametrize("name", ScopedReadOnlyViewSet.PROTECTED)
def test_it_forbids_api_views_to_override_a_way_to_their_rows(name):
    with pytest.raises(TypeError, match="scope_queryset"):
        type("Leaky", (ScopedReadOnlyViewSet,), {"model": Account, name: None})


class Failing(ScopedAPIView):
    """Fails with an error its exception handler does not answer: DRF raises it again and
    finalizes no response."""

    permission_classes = []

    def get_exception_handler(self):
        return lambda exc, context: None

    def get(self, request):
        raise RuntimeError("uncaught")


class Answering(ScopedAPIView):
    permission_classes = []

    def get(self, request):
        return Response({"workspace": current_workspace_or_none().pk})


@pytest.mark.django_db
def test_it_resets_the_api_scope_after_an_uncaught_error(alice, alpha):
    request = RequestFactory().get("/api/v1/probe/")
    request.user = alice
    request.session = {}
    with pytest.raises(RuntimeError):
        Failing.as_view()(request)
    assert current_workspace_or_none() is None


@pytest.mark.django_db
def test_it_resets_the_api_scope_after_an_answer(alice, alpha):
    request = RequestFactory().get("/api/v1/probe/")
    request.user = alice
    request.session = {}
    response = Answering.as_view()(request)
    assert response.data == {"workspace": alpha.pk}
    assert current_workspace_or_none() is None
