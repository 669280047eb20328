"""The admin page mapping product events to usage metrics, and what saving a mapping does."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AccountFactory, UsageMetricFactory
from value.models import EventMapping, ProductEvent, UsageRecord

pytestmark = pytest.mark.django_db


def store_events(alpha, account, *users, properties=()):
    """Sessions of ``users`` a day ago, the n-th with the n-th of ``properties`` (else none)."""
    moment = timezone.now() - dt.timedelta(days=1)
    sent = list(properties) + [{}] * (len(users) - len(properties))
    ProductEvent.dangerously_unscoped.bulk_create(
        ProductEvent(
            workspace=alpha,
            message_id=f"m-{n}",
            account=account,
            user_id=user,
            event="Session Started",
            timestamp=moment,
            properties=properties,
            received_at=moment,
        )
        for n, (user, properties) in enumerate(zip(users, sent, strict=True))
    )
    return timezone.localtime(moment).date()


def save_mapping(client, metric, *, mapping=None, property_filter=""):
    url = (
        reverse("value_event_mapping_edit", args=[mapping.pk])
        if mapping
        else reverse("value_event_mapping_create")
    )
    return client.post(
        url,
        {
            "event": "Session Started",
            "metric": metric.pk,
            "measure": "count",
            "property_filter": property_filter,
        },
    )


def test_it_lets_only_admins_map_events(login, alpha, alice, lena, bob):
    metric = UsageMetricFactory(workspace=alpha)
    mapping = EventMapping.dangerously_unscoped.create(workspace=alpha, event="A", metric=metric)
    for name, args in (
        ("value_event_mapping_create", []),
        ("value_event_mapping_edit", [mapping.pk]),
    ):
        assert login(alice).get(reverse(name, args=args)).status_code == 200
        for person in (lena, bob):
            assert login(person).get(reverse(name, args=args)).status_code == 403
    delete = reverse("value_event_mapping_delete", args=[mapping.pk])
    assert login(bob).post(delete).status_code == 403
    assert login(alice).post(delete).status_code == 302
    assert not EventMapping.dangerously_unscoped.exists()


def test_it_recomputes_the_metric_from_stored_events_when_a_mapping_is_saved(login, alpha, alice):
    account = AccountFactory(workspace=alpha)
    metric = UsageMetricFactory(workspace=alpha, name="Active users")
    day = store_events(alpha, account, "a", "b", "a")
    response = login(alice).post(
        reverse("value_event_mapping_create"),
        {"event": "Session Started", "metric": metric.pk, "measure": "distinct_users"},
    )
    assert response.status_code == 302
    record = UsageRecord.dangerously_unscoped.get()
    assert (record.account_id, record.metric_id, record.day, record.value) == (
        account.pk,
        metric.pk,
        day,
        2,
    )
    page = login(alice).get(reverse("value_framework")).content.decode()
    assert "Session Started" in page


def test_it_refuses_to_measure_one_metric_two_ways(login, alpha, alice):
    metric = UsageMetricFactory(workspace=alpha)
    EventMapping.dangerously_unscoped.create(
        workspace=alpha, event="Session Started", metric=metric, measure="distinct_users"
    )
    response = login(alice).post(
        reverse("value_event_mapping_create"),
        {"event": "Report Viewed", "metric": metric.pk, "measure": "count"},
    )
    assert response.status_code == 400
    assert "measured the same way" in response.content.decode()
    assert EventMapping.dangerously_unscoped.count() == 1


def test_it_offers_only_the_workspaces_own_metrics(login, alpha, beta, alice):
    UsageMetricFactory(workspace=beta, name="BETA-METRIC")
    page = login(alice).get(reverse("value_event_mapping_create")).content.decode()
    assert "BETA-METRIC" not in page


def test_it_recomputes_the_metric_with_the_mappings_property_filter(login, alpha, alice):
    account = AccountFactory(workspace=alpha)
    metric = UsageMetricFactory(workspace=alpha, name="Manual sessions")
    automated, manual = {"automated": True}, {"automated": False}
    day = store_events(alpha, account, "a", "b", "c", "d", properties=[automated, manual, manual])
    client = login(alice)
    assert save_mapping(client, metric).status_code == 302
    assert UsageRecord.dangerously_unscoped.get().value == 4

    mapping = EventMapping.dangerously_unscoped.get()
    response = save_mapping(client, metric, mapping=mapping, property_filter='{"automated": false}')
    assert response.status_code == 302
    mapping.refresh_from_db()
    assert mapping.property_filter == {"automated": False}
    record = UsageRecord.dangerously_unscoped.get()
    assert (record.day, record.value) == (day, 2)
    page = client.get(reverse("value_framework")).content.decode()
    assert "<code>automated = false</code>" in page


def test_it_drops_the_days_no_event_matches_once_the_filter_narrows(login, alpha, alice):
    account = AccountFactory(workspace=alpha)
    metric = UsageMetricFactory(workspace=alpha)
    store_events(alpha, account, "a", "b")
    client = login(alice)
    save_mapping(client, metric)
    mapping = EventMapping.dangerously_unscoped.get()
    save_mapping(client, metric, mapping=mapping, property_filter='{"plan": "trial"}')
    assert not UsageRecord.dangerously_unscoped.exists()


@pytest.mark.parametrize(
    "property_filter",
    [
        pytest.param("[1]", id="a-list"),
        pytest.param('"automated"', id="a-string"),
        pytest.param('{"automated": [true]}', id="a-list-value"),
        pytest.param('{"account": {"plan": "pro"}}', id="an-object-value"),
        pytest.param("{automated: true}", id="not-json"),
    ],
)
def test_it_names_the_property_filter_when_it_is_not_an_object_of_values(
    login, alpha, alice, property_filter
):
    metric = UsageMetricFactory(workspace=alpha)
    response = save_mapping(login(alice), metric, property_filter=property_filter)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["property_filter"]
    assert not EventMapping.dangerously_unscoped.exists()
