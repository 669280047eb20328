"""The admin page mapping product events to usage metrics, and what saving a mapping does."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AccountFactory, UsageMetricFactory
from value.models import EventMapping, ProductEvent, UsageRecord

pytestmark = pytest.mark.django_db


def store_events(alpha, account, *users):
    moment = timezone.now() - dt.timedelta(days=1)
    ProductEvent.dangerously_unscoped.bulk_create(
        ProductEvent(
            workspace=alpha,
            message_id=f"m-{n}",
            account=account,
            user_id=user,
            event="Session Started",
            timestamp=moment,
            received_at=moment,
        )
        for n, user in enumerate(users)
    )
    return timezone.localtime(moment).date()


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
