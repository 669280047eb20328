"""The seams higher apps plug into: account-page panels and navigation entries."""

import copy
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ArrMovement
from csos.models import Role
from csos.panels import (
    NavEntry,
    Panel,
    register_nav_entry,
    register_panel,
    unregister_nav_entry,
    unregister_panel,
)
from tests.factories import AccountFactory, ArrMovementFactory


def movement_count_panel(*, request, account):
    return {"movement_count": ArrMovement.objects.filter(account=account).count()}


TEST_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@pytest.fixture
def registered_panels(settings):
    engine = copy.deepcopy(settings.TEMPLATES[0])
    engine["DIRS"] = [*engine["DIRS"], TEST_TEMPLATES]
    settings.TEMPLATES = [engine]
    panels = [
        Panel(
            page="account",
            key="test-second",
            title="Second panel",
            template="tests/panel.html",
            context=movement_count_panel,
            order=20,
            query_budget=1,
        ),
        Panel(
            page="account",
            key="test-first",
            title="First panel",
            template="tests/panel.html",
            context=movement_count_panel,
            order=10,
            query_budget=1,
        ),
        Panel(
            page="account",
            key="test-leaders-only",
            title="Leaders only",
            template="tests/panel.html",
            context=movement_count_panel,
            visible=lambda membership: membership.role == Role.LEADER,
        ),
    ]
    for panel in panels:
        register_panel(panel)
    yield panels
    for panel in panels:
        unregister_panel(page=panel.page, key=panel.key)


@pytest.mark.django_db
def test_it_renders_registered_panels_in_their_declared_order(login, alpha, bob, registered_panels):
    account = AccountFactory(workspace=alpha, owner=bob)
    ArrMovementFactory(account=account)
    body = login(bob).get(reverse("account_detail", args=[account.pk])).content.decode()
    assert body.index("First panel") < body.index("Second panel")
    assert 'data-movement-count="1"' in body
    assert "Leaders only" not in body


@pytest.mark.django_db
def test_it_shows_a_panel_only_to_the_members_it_is_visible_to(
    login, alpha, lena, registered_panels
):
    account = AccountFactory(workspace=alpha)
    body = login(lena).get(reverse("account_detail", args=[account.pk])).content.decode()
    assert "Leaders only" in body


@pytest.mark.django_db
def test_it_renders_the_account_page_with_panels_in_constant_queries(
    login, alpha, bob, registered_panels
):
    account = AccountFactory(workspace=alpha, owner=bob, arr=0)
    client = login(bob)
    url = reverse("account_detail", args=[account.pk])
    ArrMovementFactory(account=account, amount=1)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    ArrMovementFactory.create_batch(25, account=account, kind="expansion", amount=1)
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).content.decode()
    assert 'data-movement-count="26"' in body
    assert len(few) == len(many)


@pytest.mark.django_db
def test_it_keeps_each_panel_within_its_query_budget(rf, alpha, lena, bob, registered_panels):
    from csos.models import Membership
    from csos.panels import panels_for
    from csos.tenancy import workspace_scope

    account = AccountFactory(workspace=alpha, owner=bob)
    request = rf.get("/")
    request.user, request.workspace = lena, alpha
    request.membership = Membership.dangerously_unscoped.get(workspace=alpha, user=lena)
    with workspace_scope(alpha):
        for panel in [*panels_for("account"), *panels_for("prep")]:
            with CaptureQueriesContext(connection) as queries:
                panel.context(request=request, account=account)
            assert len(queries) <= panel.query_budget, panel.key


@pytest.fixture
def registered_nav_entry():
    entry = NavEntry(
        section="Leaders",
        label="Test dashboard",
        url_name="healthz",  # a page no real entry links to
        order=99,
        visible=lambda membership: membership.sees_all_portfolios,
    )
    register_nav_entry(entry)
    yield entry
    unregister_nav_entry(entry.url_name)


@pytest.mark.django_db
def test_it_adds_registered_navigation_entries_for_the_members_they_suit(
    login, lena, bob, registered_nav_entry
):
    assert "Test dashboard" in login(lena).get(reverse("portfolio")).content.decode()
    assert "Test dashboard" not in login(bob).get(reverse("portfolio")).content.decode()
