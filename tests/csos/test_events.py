"""Domain events published at the apps' write points: written with the change, checked against
the catalogue, and none for a change rolled back."""

import jsonschema
import pytest
from django.db import transaction

from accounts.services import account_create, account_update
from csos.events import publish
from csos.models import DomainEvent, Membership
from playbooks.models import TaskStatus
from playbooks.services import task_close
from tests.factories import AccountFactory
from tests.playbooks.factories import TaskFactory

pytestmark = pytest.mark.django_db


def events(event_type):
    return list(DomainEvent.objects.filter(event_type=event_type))


def test_it_publishes_account_created_with_the_account_and_a_link_back(in_alpha, alice, bob):
    account = account_create(
        workspace=in_alpha, by=alice, arr=0, data={"name": "Acme", "owner": bob}
    )
    (event,) = events("account.created")
    assert event.account_id == account.pk and event.schema_version == 1
    assert event.body["account"]["owner_email"] == bob.email
    assert event.body["account"]["url"].endswith(f"/accounts/{account.pk}/")


def test_it_publishes_owner_changed_only_when_the_owner_changes(in_alpha, alice, bob, carol):
    account = AccountFactory(workspace=in_alpha, owner=bob)
    admin = Membership.objects.get(user=alice)
    account_update(account=account, membership=admin, data={"name": "Renamed"})
    assert events("account.owner_changed") == []
    account_update(account=account, membership=admin, data={"owner": carol})
    (event,) = events("account.owner_changed")
    assert (event.body["previous_owner_id"], event.body["account"]["owner_id"]) == (
        bob.pk,
        carol.pk,
    )


def test_it_publishes_task_completed_when_a_task_is_done(in_alpha, bob):
    task = TaskFactory(account=AccountFactory(workspace=in_alpha, owner=bob), assignee=bob)
    task_close(workspace=in_alpha, task=task, by=bob, status=TaskStatus.DISMISSED)
    assert events("task.completed") == []
    task_close(workspace=in_alpha, task=task, by=bob, status=TaskStatus.DONE)
    (event,) = events("task.completed")
    assert event.body["task"]["assignee_id"] == bob.pk


def test_it_keeps_no_event_of_a_change_rolled_back(in_alpha, alice):
    with pytest.raises(RuntimeError), transaction.atomic():
        account_create(workspace=in_alpha, by=alice, arr=0, data={"name": "Gone"})
        raise RuntimeError("the request failed")
    assert events("account.created") == []


def test_it_refuses_a_body_that_does_not_match_its_schema(in_alpha):
    with pytest.raises(jsonschema.ValidationError):
        publish(workspace=in_alpha, event_type="account.created", body={"account": {"id": 1}})
