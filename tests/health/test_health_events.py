"""Health announces a band changed from the week before and a theatre flag raised, for the
running week only, once however often the week is scored."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from csos.models import DomainEvent
from health import services
from health.models import HealthSnapshot
from tests.factories import AccountFactory, SupportTicketFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


def bodies(event_type):
    return [event.body for event in DomainEvent.objects.filter(event_type=event_type)]


@pytest.fixture
def falling(in_alpha):
    """Green last week; an open P1, no Owner or Champion and no proof score red this week."""
    account = AccountFactory(workspace=in_alpha)
    today = timezone.localdate()
    SupportTicketFactory(account=account, priority="p1", opened_on=today)
    HealthSnapshot.objects.create(
        workspace=in_alpha,
        account=account,
        week=services.iso_week(today) - dt.timedelta(weeks=1),
        total=80,
        band="green",
        model_name="Default",
        model_version=1,
    )
    return account


def test_it_publishes_a_band_change_from_last_week_once(in_alpha, falling):
    today = timezone.localdate()
    services.health_recompute(workspace=in_alpha, week=today)
    services.health_recompute(workspace=in_alpha, week=today)
    (body,) = bodies("health.band_changed")
    assert body == {
        "account": body["account"],
        "week": services.iso_week(today).isoformat(),
        "band": "red",
        "previous_band": "green",
        "score": 0,
    }
    assert (body["account"]["id"], body["account"]["band"]) == (falling.pk, "red")


def test_it_announces_nothing_for_a_past_week_scored_again(in_alpha, falling):
    services.health_recompute(workspace=in_alpha, week=timezone.localdate() - dt.timedelta(weeks=2))
    assert DomainEvent.objects.filter(event_type__startswith="health.").count() == 0


def test_it_publishes_a_theatre_flag_once(in_alpha):
    today = timezone.localdate()
    account = AccountFactory(workspace=in_alpha)
    SupportTicketFactory(account=account, priority="p1", opened_on=today - dt.timedelta(days=60))
    services.health_recompute(workspace=in_alpha, week=today - dt.timedelta(weeks=4))
    SurveyResponseFactory(account=account, score=10, answered_on=today)
    services.health_recompute(workspace=in_alpha, week=today)
    services.health_recompute(workspace=in_alpha, week=today)
    (body,) = bodies("health.theatre_flagged")
    assert (body["account"]["id"], body["reason"]) == (account.pk, "sentiment no data → 10")


def test_it_keeps_no_health_event_of_a_recompute_rolled_back(in_alpha, falling):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.health_recompute(workspace=in_alpha, week=timezone.localdate())
        raise RuntimeError("the worker died")
    assert DomainEvent.objects.count() == 0
