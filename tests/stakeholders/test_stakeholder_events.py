"""Stakeholders announce a person's departure and role change, from a form or a bulk upsert,
in the write's transaction."""

import datetime as dt

import pytest
from django.db import transaction

from csos.models import DomainEvent
from stakeholders import services
from stakeholders.ingest import stakeholder_bulk_upsert
from tests.factories import AccountFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(in_alpha):
    account = AccountFactory(workspace=in_alpha, external_id="CRM-1")
    return StakeholderFactory(account=account, name="Dana", email="dana@acme.example", role="owner")


def bodies(event_type):
    return [event.body for event in DomainEvent.objects.filter(event_type=event_type)]


def test_it_publishes_a_departure_once(dana):
    left = {"status": "left", "left_on": dt.date(2026, 11, 2)}
    services.stakeholder_update(stakeholder=dana, by=None, data=left)
    services.stakeholder_update(stakeholder=dana, by=None, data=left)
    (body,) = bodies("stakeholder.departed")
    assert body["stakeholder"] == {"id": dana.pk, "name": "Dana", "role": "owner", "status": "left"}
    assert body["account"]["external_id"] == "CRM-1"
    assert bodies("stakeholder.role_changed") == []


def test_it_publishes_a_role_change_with_the_role_before(dana):
    services.stakeholder_update(stakeholder=dana, by=None, data={"name": "Dana R."})
    assert bodies("stakeholder.role_changed") == []
    services.stakeholder_update(stakeholder=dana, by=None, data={"role": "champion"})
    (body,) = bodies("stakeholder.role_changed")
    assert (body["previous_role"], body["stakeholder"]["role"]) == ("owner", "champion")


def test_it_publishes_the_departures_and_role_changes_of_a_bulk_upsert(in_alpha, dana):
    stakeholder_bulk_upsert(
        workspace=in_alpha,
        records=[
            {
                "account_external_id": "CRM-1",
                "email": "dana@acme.example",
                "role": "producer",
                "status": "left",
                "left_on": "2026-11-02",
            },
            {
                "account_external_id": "CRM-1",
                "email": "new@acme.example",
                "name": "N",
                "role": "enabler",
            },
        ],
    )
    (departed,) = bodies("stakeholder.departed")
    (moved,) = bodies("stakeholder.role_changed")
    assert departed["stakeholder"]["id"] == moved["stakeholder"]["id"] == dana.pk
    assert moved["previous_role"] == "owner"


def test_it_keeps_no_stakeholder_event_of_a_change_rolled_back(dana):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.stakeholder_update(stakeholder=dana, by=None, data={"role": "champion"})
        raise RuntimeError("the request failed")
    assert DomainEvent.objects.count() == 0
