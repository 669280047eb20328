"""A proven claim whose proof grew too old to count is announced as evidence.expired, once per
proof, as of the day it stopped counting."""

import datetime as dt

import pytest
from django.db import transaction

from csos.models import DomainEvent
from tests.factories import AccountFactory, EvidenceFactory
from value import services
from value.models import ValueSettings

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 7)


def expired_ids():
    return [
        event.body["evidence"]["id"]
        for event in DomainEvent.objects.filter(event_type="evidence.expired").order_by("pk")
    ]


def proven(workspace, confirmed_on):
    return EvidenceFactory(
        account=AccountFactory(workspace=workspace),
        status="proven",
        confirmed_on=confirmed_on,
        level=3,
    )


def announce(workspace, today=TODAY):
    return services.evidence_expiries_announce(workspace=workspace, today=today)


def test_it_announces_a_proof_the_day_it_stops_counting_and_once(in_alpha):
    ValueSettings.objects.create(workspace=in_alpha, evidence_stale_days=30)
    last_day = proven(in_alpha, TODAY - dt.timedelta(days=30))
    stale = proven(in_alpha, TODAY - dt.timedelta(days=31))
    assert announce(in_alpha) == 1
    assert announce(in_alpha) == 0
    assert expired_ids() == [stale.pk]
    assert announce(in_alpha, today=TODAY + dt.timedelta(days=1)) == 1
    assert expired_ids() == [stale.pk, last_day.pk]


def test_it_announces_a_claim_confirmed_again_when_its_new_proof_expires(in_alpha):
    ValueSettings.objects.create(workspace=in_alpha, evidence_stale_days=30)
    claim = proven(in_alpha, TODAY - dt.timedelta(days=31))
    announce(in_alpha)
    claim.confirmed_on = TODAY
    claim.save()
    assert announce(in_alpha, today=TODAY + dt.timedelta(days=30)) == 0
    assert announce(in_alpha, today=TODAY + dt.timedelta(days=31)) == 1
    assert expired_ids() == [claim.pk, claim.pk]


def test_it_leaves_expiries_older_than_the_catch_up_as_history(in_alpha):
    ValueSettings.objects.create(workspace=in_alpha, evidence_stale_days=30)
    proven(in_alpha, TODAY - dt.timedelta(days=31) - services.expiry.CATCH_UP)
    assert announce(in_alpha) == 0


def test_it_keeps_no_expiry_event_of_a_run_rolled_back(in_alpha):
    ValueSettings.objects.create(workspace=in_alpha, evidence_stale_days=30)
    proven(in_alpha, TODAY - dt.timedelta(days=31))
    with pytest.raises(RuntimeError), transaction.atomic():
        announce(in_alpha)
        raise RuntimeError("the worker died")
    assert expired_ids() == []
