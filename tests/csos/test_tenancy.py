import pytest
from django.apps import apps
from django.utils import timezone

from accounts.models import Account
from csos.models import TenantModel, Workspace
from csos.tenancy import (
    WorkspaceScopeMissing,
    current_workspace_or_none,
    workspace_scope,
    workspace_task,
)
from tests.factories import AccountFactory

# Models that carry no tenant data of their own, or belong to the framework.
UNSCOPED_ALLOWLIST = {
    "csos.Workspace",  # the tenant itself
    "auth.User",  # a person may belong to several workspaces; reached through Membership
    "auth.Group",
    "auth.Permission",
    "contenttypes.ContentType",
    "sessions.Session",
    "admin.LogEntry",  # operator history; the admin is superuser-only
    "axes.AccessAttempt",  # login throttling, keyed by username and address
    "axes.AccessLog",
    "axes.AccessAttemptExpiration",
    "axes.AccessFailureLog",
}


def test_it_scopes_or_allowlists_every_concrete_model():
    dangerously_unscoped = []
    for model in apps.get_models():
        label = f"{model._meta.app_label}.{model.__name__}"
        if label in UNSCOPED_ALLOWLIST:
            continue
        if not issubclass(model, TenantModel):
            dangerously_unscoped.append(label)
    assert dangerously_unscoped == [], f"models with no workspace scope: {dangerously_unscoped}"


def test_it_includes_the_workspace_in_every_tenant_unique_constraint():
    for model in apps.get_models():
        if not issubclass(model, TenantModel):
            continue
        for constraint in model._meta.constraints:
            fields = getattr(constraint, "fields", ())
            if fields:
                assert "workspace" in fields, f"{model.__name__}.{constraint.name}"


@pytest.mark.django_db
def test_it_refuses_a_tenant_query_without_a_scope():
    with pytest.raises(WorkspaceScopeMissing):
        list(Account.objects.all())


@pytest.mark.django_db
def test_it_returns_only_the_rows_of_the_workspace_in_scope(alpha, beta):
    mine = AccountFactory(workspace=alpha)
    AccountFactory(workspace=beta)
    with workspace_scope(alpha):
        assert list(Account.objects.all()) == [mine]
        assert not Account.objects.filter(workspace=beta).exists()


@pytest.mark.django_db
def test_it_restores_the_outer_scope_after_a_nested_one(alpha, beta):
    with workspace_scope(alpha):
        with workspace_scope(beta):
            assert current_workspace_or_none() == beta
        assert current_workspace_or_none() == alpha
    assert current_workspace_or_none() is None


@pytest.mark.django_db
def test_it_keeps_the_time_zone_of_the_workspace_in_scope(alpha, beta, settings):
    alpha.time_zone, beta.time_zone = "America/New_York", "Asia/Tokyo"
    with workspace_scope(alpha):
        with workspace_scope(beta):
            assert timezone.get_current_timezone_name() == "Asia/Tokyo"
        assert timezone.get_current_timezone_name() == "America/New_York"
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


@pytest.mark.django_db
def test_it_runs_a_task_body_in_the_named_workspace(alpha):
    seen = []

    @workspace_task
    def probe(workspace_id):
        seen.append(current_workspace_or_none())

    probe(alpha.pk)
    assert seen == [alpha]
    assert current_workspace_or_none() is None


@pytest.mark.django_db
def test_it_fails_a_task_for_a_workspace_that_does_not_exist():
    @workspace_task
    def probe(workspace_id):
        raise AssertionError("must not run")

    with pytest.raises(Workspace.DoesNotExist):
        probe(987654)


@pytest.mark.django_db
def test_it_switches_only_to_a_workspace_the_user_belongs_to(login, alice, beta, charlie):
    client = login(alice)
    assert client.post("/workspace/switch/", {"workspace": beta.pk}).status_code == 404
    assert client.post("/workspace/switch/", {"workspace": "nope"}).status_code == 404


@pytest.mark.django_db
def test_it_switches_between_a_users_workspaces(login, alice, alpha, beta):
    from csos.models import Membership, Role

    Membership.dangerously_unscoped.create(workspace=beta, user=alice, role=Role.VIEWER)
    client = login(alice)
    assert "Alpha Analytics" in client.get("/portfolio/").content.decode()
    response = client.post("/workspace/switch/", {"workspace": beta.pk}, follow=True)
    assert response.context["workspace"] == beta
    assert response.context["membership"].role == Role.VIEWER


@pytest.mark.django_db
def test_it_tells_a_user_without_a_workspace_to_ask_for_one(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get("/portfolio/")
    assert response.status_code == 403
    assert b"No workspace yet" in response.content
