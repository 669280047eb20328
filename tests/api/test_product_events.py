"""Product events in Segment's shape: stored once per messageId, rolled up into daily usage."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AccountFactory,
    AccountUseCaseFactory,
    UsageMetricFactory,
    UseCaseFactory,
)
from value.models import EventMapping, EventMeasure, ProductEvent, Threshold, UsageRecord

URL = reverse("api-product-events")
NOW = timezone.now().replace(microsecond=0)
YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


def at(day: dt.date, hour: int = 12) -> str:
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())
    return moment.isoformat()


def track(message_id, *, user="u-1", event="Report Viewed", day=YESTERDAY, **fields):
    return {
        "type": "track",
        "messageId": message_id,
        "userId": user,
        "event": event,
        "timestamp": at(day),
        "context": {"groupId": "CRM-1"},
        **fields,
    }


def usage(metric) -> dict:
    return dict(UsageRecord.dangerously_unscoped.filter(metric=metric).values_list("day", "value"))


@pytest.fixture
def account(alpha):
    return AccountFactory(workspace=alpha, external_id="CRM-1")


@pytest.fixture
def views(alpha):
    metric = UsageMetricFactory(workspace=alpha, key="reports_viewed")
    EventMapping.dangerously_unscoped.create(
        workspace=alpha, event="Report Viewed", metric=metric, measure=EventMeasure.COUNT
    )
    return metric


@pytest.fixture
def users(alpha):
    metric = UsageMetricFactory(workspace=alpha, key="active_users")
    for event in ("Report Viewed", "Session Started"):
        EventMapping.dangerously_unscoped.create(
            workspace=alpha, event=event, metric=metric, measure=EventMeasure.DISTINCT_USERS
        )
    return metric


@pytest.mark.django_db
def test_it_stores_a_single_track_event_and_counts_it_into_its_day(api, account, views):
    response = api.post(URL, track("m-1", properties={"format": "pdf"}))
    assert response.status_code == 200
    assert response.json() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "usage_records": {"created": 1, "updated": 0, "unchanged": 0},
    }
    event = ProductEvent.dangerously_unscoped.get()
    assert (event.account_id, event.user_id, event.properties) == (
        account.pk,
        "u-1",
        {"format": "pdf"},
    )
    assert usage(views) == {YESTERDAY: 1}


@pytest.mark.django_db
def test_it_stores_an_event_sent_twice_once(api, account, views):
    api.post(URL, {"batch": [track("m-1"), track("m-2")]})
    response = api.post(URL, {"batch": [track("m-2"), track("m-3")]})
    assert response.json()["created"] == 1
    assert response.json()["unchanged"] == 1
    assert ProductEvent.dangerously_unscoped.count() == 3
    assert usage(views) == {YESTERDAY: 3}


@pytest.mark.django_db
def test_it_stores_an_event_repeated_within_a_batch_once_and_the_others_too(api, account, views):
    response = api.post(URL, {"batch": [track("m-1"), track("m-2"), track("m-1"), track("m-3")]})
    assert response.status_code == 200
    assert response.json() == {
        "created": 3,
        "updated": 0,
        "unchanged": 1,
        "usage_records": {"created": 1, "updated": 0, "unchanged": 0},
    }
    assert sorted(ProductEvent.dangerously_unscoped.values_list("message_id", flat=True)) == [
        "m-1",
        "m-2",
        "m-3",
    ]
    assert usage(views) == {YESTERDAY: 3}


@pytest.mark.django_db
def test_it_still_refuses_a_bad_copy_of_a_repeated_event(api, account, views):
    response = api.post(URL, {"batch": [track("m-1"), track("m-1", timestamp="yesterday")]})
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(1, "timestamp")]
    assert ProductEvent.dangerously_unscoped.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "hour", "shift"),
    [
        pytest.param("America/New_York", 3, -1, id="new-york-evening-before"),
        pytest.param("Asia/Tokyo", 23, 1, id="tokyo-morning-after"),
        pytest.param("UTC", 23, 0, id="utc"),
    ],
)
def test_it_puts_an_event_in_the_day_of_the_workspaces_time_zone(
    api, alpha, account, views, zone, hour, shift
):
    alpha.time_zone = zone
    alpha.save()
    day = timezone.now().date() - dt.timedelta(days=3)
    moment = dt.datetime.combine(day, dt.time(hour, 30), tzinfo=dt.UTC)
    api.post(URL, track("m-1", timestamp=moment.isoformat()))
    assert usage(views) == {day + dt.timedelta(days=shift): 1}


@pytest.mark.django_db
def test_it_counts_only_the_events_matching_a_mappings_property_filter(api, alpha, account):
    metric = UsageMetricFactory(workspace=alpha, key="automated_exports")
    EventMapping.dangerously_unscoped.create(
        workspace=alpha, event="Report Exported", metric=metric, property_filter={"automated": True}
    )
    sent = [
        {"automated": True, "format": "pdf"},
        {"automated": True},
        {"automated": "true"},
        {"automated": False},
        {},
        {"nested": {"automated": True}},
    ]
    response = api.post(
        URL,
        {
            "batch": [
                track(f"m-{n}", event="Report Exported", properties=properties)
                for n, properties in enumerate(sent)
            ]
        },
    )
    assert response.json()["created"] == len(sent)
    assert usage(metric) == {YESTERDAY: 2}


@pytest.mark.django_db
def test_it_counts_events_or_distinct_users_across_batches(api, account, views, users):
    api.post(URL, {"batch": [track("m-1", user="a"), track("m-2", user="a")]})
    api.post(
        URL,
        {"batch": [track("m-3", user="b"), track("m-4", user="a", event="Session Started")]},
    )
    assert usage(views) == {YESTERDAY: 3}
    assert usage(users) == {YESTERDAY: 2}


@pytest.mark.django_db
def test_it_puts_a_backfilled_event_in_its_own_day(api, account, views):
    long_ago = YESTERDAY - dt.timedelta(days=40)
    api.post(URL, {"batch": [track("m-1"), track("m-2", day=long_ago)]})
    assert usage(views) == {YESTERDAY: 1, long_ago: 1}


@pytest.mark.django_db
def test_it_reads_the_account_from_the_properties_or_the_batch_context(api, account, views):
    by_property = track("m-1", context={}, properties={"account_id": "CRM-1"})
    from_batch = {k: v for k, v in track("m-2").items() if k != "context"}
    response = api.post(URL, {"batch": [by_property, from_batch], "context": {"groupId": "CRM-1"}})
    assert response.json()["created"] == 2
    assert set(ProductEvent.dangerously_unscoped.values_list("account_id", flat=True)) == {
        account.pk
    }


@pytest.mark.django_db
def test_it_leaves_everything_unchanged_when_a_batch_is_sent_again(api, account, views, users):
    batch = {"batch": [track(f"m-{n}", user=f"u-{n % 3}") for n in range(30)]}
    api.post_gzip(URL, batch)
    events = sorted(ProductEvent.dangerously_unscoped.values_list("message_id", "received_at"))
    records = sorted(UsageRecord.dangerously_unscoped.values_list("metric_id", "day", "value"))
    for _ in range(3):
        assert api.post(URL, batch).json() == {
            "created": 0,
            "updated": 0,
            "unchanged": 30,
            "usage_records": {"created": 0, "updated": 0, "unchanged": 2},
        }
    assert (
        sorted(ProductEvent.dangerously_unscoped.values_list("message_id", "received_at")) == events
    )
    assert sorted(UsageRecord.dangerously_unscoped.values_list("metric_id", "day", "value")) == (
        records
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("event", "field", "code"),
    [
        pytest.param(
            track("x", context={"groupId": "NOPE"}),
            "context.groupId",
            "unknown-account",
            id="unknown-account",
        ),
        pytest.param(
            track("x", context={}, properties={"account_id": "NOPE"}),
            "properties.account_id",
            "unknown-account",
            id="unknown-account-property",
        ),
        pytest.param(track("x", context={}), "context.groupId", "required", id="no-account"),
        pytest.param(track("x", userId=None), "userId", "required", id="no-user"),
        pytest.param(
            track("x", timestamp=(NOW + dt.timedelta(hours=1)).isoformat()),
            "timestamp",
            "in-future",
            id="future",
        ),
        pytest.param(
            track("x", timestamp="2026-11-24 09:00"),
            "timestamp",
            "invalid-timestamp",
            id="no-offset",
        ),
        pytest.param(track("x", type="identify"), "type", "invalid-choice", id="identify"),
        pytest.param(track("x", properties=[1]), "properties", "wrong-type", id="list-props"),
        pytest.param(track("x", colour="red"), "colour", "unknown-field", id="unknown-field"),
        pytest.param(
            track("x", properties={"a": "b\x00"}), "properties", "invalid", id="nul-in-props"
        ),
    ],
)
def test_it_rejects_a_bad_event_naming_its_index_and_field(api, account, views, event, field, code):
    response = api.post(URL, {"batch": [track("m-0"), event]})
    assert response.status_code == 400
    assert {"index": 1, "field": field, "code": code} in [
        {k: e[k] for k in ("index", "field", "code")} for e in response.json()["errors"]
    ]
    assert ProductEvent.dangerously_unscoped.count() == 0
    assert UsageRecord.dangerously_unscoped.count() == 0


@pytest.mark.django_db
def test_it_rejects_a_body_that_is_neither_an_event_nor_a_batch(api, account):
    assert api.post(URL, {"batch": "m-1"}).status_code == 400
    assert api.post(URL, [track("m-1")]).status_code == 400
    assert ProductEvent.dangerously_unscoped.count() == 0


@pytest.mark.django_db
def test_it_re_derives_the_ladder_of_the_accounts_its_events_touch(
    api, alpha, account, views, django_capture_on_commit_callbacks
):
    use_case = UseCaseFactory(workspace=alpha, name="Reporting")
    # Two views in the 28-day window are half a view a week.
    Threshold.dangerously_unscoped.create(
        workspace=alpha, use_case=use_case, level=1, metric=views, minimum=Decimal("0.5")
    )
    pursuit = AccountUseCaseFactory(account=account, use_case=use_case, level=0)

    with django_capture_on_commit_callbacks(execute=True):
        api.post(URL, {"batch": [track("m-1"), track("m-2", user="u-2")]})

    pursuit.refresh_from_db()
    assert pursuit.level == 1
