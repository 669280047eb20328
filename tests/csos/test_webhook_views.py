"""The webhooks pages: admins only, a secret shown once, delivery log and redelivery, another
workspace's ids answer 404; every member's own alert channels; the events' JSON Schema."""

import socket

import pytest
from django.urls import reverse

from csos.events import publish
from csos.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from csos.tenancy import workspace_scope
from csos.webhooks.delivery import events_dispatch
from csos.webhooks.services import endpoint_create
from tests.csos.test_webhooks import BODY

pytestmark = pytest.mark.django_db
PUBLIC = "93.184.216.34"


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    """The example hosts resolve to a public address without asking DNS; others (Redis) as
    usual."""
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host.endswith(".example.com") or host.endswith(".example"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def add(client, **fields):
    data = {
        "kind": "webhook",
        "name": "CRM",
        "url": "https://crm.example.com/hooks",
        "event_types": ["account.created", "task.created"],
        **fields,
    }
    return client.post(reverse("webhook_list"), data)


def test_it_adds_an_endpoint_and_shows_its_secret_once(login, alice):
    client = login(alice)
    response = add(client)
    assert response.status_code == 200
    secret = WebhookEndpoint.dangerously_unscoped.get().secret
    assert secret.startswith("whsec_") and secret in response.content.decode()
    assert secret not in client.get(reverse("webhook_list")).content.decode()


def test_it_names_the_field_at_fault(login, alice):
    response = add(login(alice), url="http://10.0.0.5/hooks", event_types=["no.such"])
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"event_types"}
    response = add(login(alice), url="http://10.0.0.5/hooks")
    assert "url" in response.context["form"].errors
    assert not WebhookEndpoint.dangerously_unscoped.exists()


@pytest.mark.parametrize("member", ["lena", "bob", "vera"])
def test_it_lets_admins_only_manage_endpoints(request, login, alice, member):
    client = login(request.getfixturevalue(member))
    assert client.get(reverse("webhook_list")).status_code == 403
    assert add(client).status_code == 403


@pytest.fixture
def delivered(alpha, alice):
    with workspace_scope(alpha):
        endpoint, _ = endpoint_create(
            workspace=alpha, by=alice, kind="slack", name="#cs-alerts",
            url="https://hooks.slack.example/T1/B2/x", event_types=["account.created"],
        )  # fmt: skip
        event = publish(workspace=alpha, event_type="account.created", body=BODY)
        (delivery,) = events_dispatch(events=[event])
    WebhookDelivery.dangerously_unscoped.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, attempts=10, response_status=500
    )
    return endpoint, delivery


def test_it_shows_the_delivery_log_and_redelivers(login, alice, delivered, monkeypatch):
    endpoint, delivery = delivered
    client = login(alice)
    page = client.get(reverse("webhook_detail", args=[endpoint.pk]), {"status": "failed"})
    assert delivery.webhook_id in page.content.decode()
    empty = client.get(reverse("webhook_detail", args=[endpoint.pk]), {"status": "succeeded"})
    assert delivery.webhook_id not in empty.content.decode()
    sent = []
    monkeypatch.setattr("csos.outbox.outbox_relay", lambda *, message_ids: sent.extend(message_ids))
    client.post(reverse("webhook_redeliver", args=[delivery.pk]))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)


def test_it_answers_404_for_another_workspaces_ids(login, charlie, delivered):
    endpoint, delivery = delivered
    client = login(charlie)
    assert client.get(reverse("webhook_detail", args=[endpoint.pk])).status_code == 404
    assert client.post(reverse("webhook_rotate", args=[endpoint.pk])).status_code == 404
    assert client.post(reverse("webhook_delete", args=[endpoint.pk])).status_code == 404
    assert client.post(reverse("webhook_redeliver", args=[delivery.pk])).status_code == 404
    assert WebhookEndpoint.dangerously_unscoped.filter(pk=endpoint.pk).exists()


def test_it_lets_a_member_send_their_own_task_alerts_to_a_channel(login, bob, carol):
    client = login(bob)
    data = {
        "kind": "teams",
        "url": "https://contoso.webhook.example.com/x",
        "event_types": ["task.created"],
    }
    assert client.post(reverse("personal_channels"), data).status_code == 302
    channel = WebhookEndpoint.dangerously_unscoped.get()
    assert (channel.owner, channel.event_types) == (bob, ["task.created"])
    other = login(carol)
    assert other.post(reverse("personal_channel_delete", args=[channel.pk])).status_code == 404
    assert other.get(reverse("webhook_detail", args=[channel.pk])).status_code == 403


def test_it_serves_every_event_types_schema_linked_from_the_openapi_document(client, login, alice):
    schemas = client.get(reverse("event_schemas")).json()["event_types"]
    assert schemas["task.created"]["properties"]["type"] == {"const": "task.created"}
    openapi = login(alice).get(reverse("api_schema"), HTTP_ACCEPT="application/json").json()
    assert openapi["externalDocs"]["url"] == reverse("event_schemas")
