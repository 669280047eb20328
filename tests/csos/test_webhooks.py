"""Signed webhooks: delivery to a loopback receiver verified by standardwebhooks' own verifier,
retries with backoff on the same webhook-id, disabling, redelivery, rotation, and SSRF refusals."""

import datetime as dt
import random
import socket

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from csos.events import publish
from csos.models import AuditEvent, DeliveryStatus, WebhookDelivery
from csos.webhooks import delivery as deliveries
from csos.webhooks import transport
from csos.webhooks.services import endpoint_create, endpoint_secret_rotate
from tests.csos.receiver import loopback_receiver
from tests.worker import free_port

BODY = {
    "account": {
        "id": 1,
        "name": "Acme",
        "external_id": "CRM-1",
        "segment": "scale",
        "owner_id": None,
        "owner_email": None,
        "band": None,
        "url": "https://csos.example.com/accounts/1/",
    }
}


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with loopback_receiver() as receiver:
        yield receiver


@pytest.fixture
def hook(in_alpha, alpha, alice, receiver):
    endpoint, secret = endpoint_create(
        workspace=alpha, by=alice, kind="webhook", name="CRM", url=receiver.url,
        event_types=["account.created"],
    )  # fmt: skip
    return endpoint, secret


def send_event(alpha, **body) -> WebhookDelivery:
    event = publish(workspace=alpha, event_type="account.created", body={**BODY, **body})
    (delivery,) = deliveries.events_dispatch(events=[event])
    return delivery


def attempt(delivery, *, later=dt.timedelta(0)) -> WebhookDelivery:
    deliveries.endpoint_deliver(
        endpoint_id=delivery.endpoint_id,
        now=timezone.now() + later,
        delivery_ids=[delivery.pk],
    )
    delivery.refresh_from_db()
    return delivery


def test_it_signs_deliveries_that_the_standard_webhooks_verifier_accepts(alpha, hook, receiver):
    _endpoint, secret = hook
    delivery = attempt(send_event(alpha))
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.SUCCEEDED, 200)
    ((headers, body),) = receiver.received
    envelope = Webhook(secret).verify(body, headers)
    assert envelope["type"] == "account.created"
    assert envelope["data"] == BODY
    assert headers["webhook-id"] == delivery.webhook_id


def test_it_delivers_a_published_event_through_the_outbox_once_committed(
    alpha, hook, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish(workspace=alpha, event_type="account.created", body=BODY)
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


@pytest.mark.parametrize(("status", "answer"), [(200, b"ok"), (204, b"")])
def test_it_delivers_an_endpoints_batch_over_a_few_kept_alive_connections(
    alpha, hook, receiver, status, answer
):
    endpoint, _ = hook
    receiver.status, receiver.answer = status, answer
    sent = [send_event(alpha, account={**BODY["account"], "id": n}) for n in range(12)]
    attempted = deliveries.endpoint_deliver(endpoint_id=endpoint.pk)
    assert [delivery.pk for delivery in attempted] == [delivery.pk for delivery in sent]
    assert set(WebhookDelivery.objects.values_list("status", "attempts", "response_status")) == {
        (DeliveryStatus.SUCCEEDED, 1, status)
    }
    assert sorted(headers["webhook-id"] for headers, _ in receiver.received) == sorted(
        delivery.webhook_id for delivery in sent
    )
    assert len(receiver.clients) <= deliveries.POST_CONNECTIONS


def test_it_overlaps_a_slow_receivers_posts_on_a_bounded_number_of_connections(
    alpha, hook, receiver
):
    endpoint, _ = hook
    receiver.delay = 0.1
    sent = [send_event(alpha, account={**BODY["account"], "id": n}) for n in range(12)]
    assert len(deliveries.endpoint_deliver(endpoint_id=endpoint.pk)) == len(sent)
    assert 1 < len(receiver.clients) <= deliveries.POST_CONNECTIONS
    assert len(receiver.received) == len(sent)
    assert not WebhookDelivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).exists()


def test_it_defers_the_rest_of_a_batch_when_the_receiver_cannot_be_reached(alpha, hook, receiver):
    endpoint, _ = hook
    endpoint.url = f"http://127.0.0.1:{free_port()}/hook"
    endpoint.save()
    first, *rest = [send_event(alpha, account={**BODY["account"], "id": n}) for n in (1, 2, 3)]
    (attempted,) = deliveries.endpoint_deliver(endpoint_id=endpoint.pk)
    first.refresh_from_db()
    assert (attempted.pk, first.attempts, first.status) == (first.pk, 1, DeliveryStatus.PENDING)
    assert "Connection" in first.error
    for delivery in rest:
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.next_attempt_at) == (0, first.next_attempt_at)


def test_it_queues_the_next_batch_when_a_batch_is_full(
    alpha, hook, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    endpoint, _ = hook
    monkeypatch.setattr(deliveries, "BATCH_SIZE", 2)
    for n in (1, 2, 3):
        send_event(alpha, account={**BODY["account"], "id": n})
    with django_capture_on_commit_callbacks(execute=True):
        assert len(deliveries.endpoint_deliver(endpoint_id=endpoint.pk)) == 2
    assert len(receiver.received) == 3
    assert not WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists()


def test_it_retries_a_500_later_with_the_same_webhook_id(alpha, hook, receiver):
    receiver.status = 500
    delivery = attempt(send_event(alpha))
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    assert attempt(delivery).attempts == 1  # not due yet: nothing sent
    receiver.status = 200
    delivery = attempt(delivery, later=dt.timedelta(minutes=1))
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    ids = {headers["webhook-id"] for headers, _ in receiver.received}
    assert ids == {delivery.webhook_id}


def test_it_spreads_the_retries_over_about_a_day_with_jitter():
    class Middle(random.Random):
        def uniform(self, low, high):
            return (low + high) / 2

    waits = [deliveries.retry_delay(n, rng=Middle()) for n in range(1, deliveries.ATTEMPTS)]
    assert waits == sorted(waits)
    assert dt.timedelta(hours=20) < sum(waits, dt.timedelta()) < dt.timedelta(hours=30)
    jittered = {deliveries.retry_delay(3) for _ in range(20)}
    assert len(jittered) > 1
    assert all(abs(w / waits[2] - 1) <= deliveries.JITTER + 1e-9 for w in jittered)


def test_it_disables_the_endpoint_after_its_last_attempt_fails_and_tells_the_admins(
    alpha, hook, receiver
):
    endpoint, _ = hook
    receiver.status = 503
    delivery = send_event(alpha)
    for day in range(1, deliveries.ATTEMPTS + 1):
        delivery = attempt(delivery, later=dt.timedelta(days=day))
    endpoint.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, deliveries.ATTEMPTS)
    assert not endpoint.enabled and "attempts" in endpoint.disabled_reason
    assert AuditEvent.objects.filter(action="webhook_endpoint.disabled").count() == 1
    assert len(receiver.received) == deliveries.ATTEMPTS


def test_it_disables_an_endpoint_that_answers_410_gone(
    alpha, hook, receiver, django_capture_on_commit_callbacks
):
    endpoint, _ = hook
    receiver.status = 410
    with django_capture_on_commit_callbacks(execute=True):
        delivery = attempt(send_event(alpha))
    endpoint.refresh_from_db()
    assert (delivery.status, endpoint.enabled) == (DeliveryStatus.FAILED, False)
    assert "410" in endpoint.disabled_reason
    assert mail.outbox[0].to == ["alice@alpha.example"]


def test_it_gives_up_on_a_slow_receiver_and_retries_later(alpha, hook, receiver, monkeypatch):
    monkeypatch.setattr(transport, "TOTAL_TIMEOUT", 0.3)
    receiver.delay = 1
    delivery = attempt(send_event(alpha))
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, None)
    assert "timed out" in delivery.error.lower() or "Timeout" in delivery.error


def test_it_reads_at_most_the_bounded_size_of_a_response(alpha, hook, receiver):
    receiver.answer = b"x" * (transport.MAX_RESPONSE_BYTES * 2)
    delivery = attempt(send_event(alpha))
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert len(delivery.response_excerpt) == 500


def test_it_redelivers_on_request_with_the_same_webhook_id(alpha, alice, hook, receiver):
    delivery = attempt(send_event(alpha))
    deliveries.delivery_redeliver(delivery=delivery, by=alice)
    delivery = attempt(delivery)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    first, second = (headers["webhook-id"] for headers, _ in receiver.received)
    assert first == second == delivery.webhook_id


def test_it_signs_with_both_secrets_while_a_rotation_overlaps(alpha, alice, hook, receiver):
    endpoint, old = hook
    new = endpoint_secret_rotate(endpoint=endpoint, by=alice, overlap=dt.timedelta(hours=1))
    attempt(send_event(alpha))
    headers, body = receiver.received[-1]
    assert Webhook(old).verify(body, headers) == Webhook(new).verify(body, headers)
    endpoint.previous_secret_until = timezone.now() - dt.timedelta(seconds=1)
    endpoint.save()
    attempt(send_event(alpha, account={**BODY["account"], "id": 2}))
    headers, body = receiver.received[-1]
    assert Webhook(new).verify(body, headers)["data"]["account"]["id"] == 2
    with pytest.raises(Exception, match="signature"):
        Webhook(old).verify(body, headers)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://192.168.0.10/hook",
    ],
)
def test_it_refuses_endpoints_on_internal_addresses(in_alpha, alpha, alice, url):
    with pytest.raises(ValidationError) as refused:
        endpoint_create(
            workspace=alpha, by=alice, kind="webhook", name="Inside", url=url,
            event_types=["account.created"],
        )  # fmt: skip
    assert "url" in refused.value.message_dict


def test_it_refuses_a_delivery_when_dns_rebinds_to_loopback_after_the_check(
    in_alpha, alpha, alice, settings, monkeypatch
):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with loopback_receiver() as receiver:
        port = int(receiver.url.split(":")[2].split("/")[0])
        answers = iter(["93.184.216.34", "127.0.0.1"])

        real = socket.getaddrinfo

        def rebinding(host, port, *args, **kwargs):
            if host != "hooks.example.com":
                return real(host, port, *args, **kwargs)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

        monkeypatch.setattr(transport.socket, "getaddrinfo", rebinding)
        endpoint, _ = endpoint_create(
            workspace=alpha, by=alice, kind="webhook", name="Rebinding",
            url=f"http://hooks.example.com:{port}/hook", event_types=["account.created"],
        )  # fmt: skip
        delivery = attempt(send_event(alpha))
        endpoint.refresh_from_db()
        assert receiver.received == []
    assert delivery.status == DeliveryStatus.FAILED
    assert "127.0.0.1" in delivery.error and not endpoint.enabled


def test_it_checks_the_address_actually_connected_to(settings, monkeypatch):
    """Even if resolution were bypassed, the peer of the open socket is checked."""
    with loopback_receiver() as receiver:
        monkeypatch.setattr(transport, "address_refused", lambda a: a == "127.0.0.1")
        monkeypatch.setattr(transport, "resolve_checked", lambda *a, **k: ["127.0.0.1"])
        with pytest.raises(transport.UnsafeDestination, match=r"connected to 127\.0\.0\.1"):
            transport.post(receiver.url, body=b"{}", headers={}, allow_private=False)
        assert receiver.received == []
