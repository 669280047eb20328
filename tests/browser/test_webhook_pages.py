"""The webhook pages an admin wires CSOS to other tools with, at a desktop and a phone width."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from csos.events import publish
from csos.models import DeliveryStatus, Role, WebhookDelivery, WebhookEndpoint
from csos.tenancy import workspace_scope
from tests.browser.test_accessibility import WIDTHS, _shown_problems
from tests.csos.test_webhooks import BODY
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def failed_delivery(transactional_db):
    workspace = WorkspaceFactory(name="Alpha Analytics", slug="alpha")
    admin = UserFactory(first_name="Alice", email="alice@alpha.example")
    MembershipFactory(workspace=workspace, user=admin, role=Role.ADMIN)
    endpoint = WebhookEndpoint.dangerously_unscoped.create(
        workspace=workspace,
        kind="webhook",
        name="CRM sync for the customer success operations team",
        url="https://hooks.crm.example/csos/events/a-rather-long-path-that-must-wrap",
        event_types=["account.created", "task.created"],
        secret="whsec_" + "A" * 32,
    )
    with workspace_scope(workspace):
        # Committed at once here, so the eager outbox dispatches it and makes the first attempt.
        publish(workspace=workspace, event_type="account.created", body=BODY)
    WebhookDelivery.dangerously_unscoped.update(
        status=DeliveryStatus.FAILED,
        attempts=10,
        response_status=500,
        response_excerpt="boom",
        error="",
    )
    return admin, endpoint


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_it_shows_the_endpoints_and_a_delivery_log_accessibly(
    browser, live_server, failed_delivery, width
):
    admin, endpoint = failed_delivery
    session = Client()
    session.force_login(admin)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    context.add_cookies(
        [{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": live_server.url}]
    )
    tab = context.new_page()
    tab.goto("/settings/webhooks/")
    expect(tab.get_by_role("link", name=endpoint.name)).to_be_visible()
    assert _shown_problems(tab, "the webhooks page", width) == []

    tab.goto(f"/settings/webhooks/{endpoint.pk}/")
    expect(tab.get_by_text("boom")).to_be_visible()
    assert _shown_problems(tab, "an endpoint's delivery log", width) == []

    tab.goto("/settings/my-alerts/")
    assert _shown_problems(tab, "my alerts", width) == []
    context.close()
