"""The outbox: work written with the data it follows, sent after the commit, swept when the
broker refused it, never sent for a transaction that rolled back."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from csos.models import OutboxMessage
from csos.outbox import outbox_enqueue, outbox_sweep
from csos.tenancy import workspace_scope
from tests.worker import redis_down  # noqa: F401  (fixture)

HEARTBEAT = "csos.tasks.worker_heartbeat_task"


@pytest.mark.django_db
def test_it_sends_the_row_once_its_transaction_commits(alpha, django_capture_on_commit_callbacks):
    with workspace_scope(alpha), django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue(workspace_id=alpha.pk, task=HEARTBEAT, args=[])
    message = OutboxMessage.dangerously_unscoped.get()
    assert (message.sent_at is not None, message.attempts) == (True, 1)


@pytest.mark.django_db(transaction=True)
def test_it_writes_and_sends_nothing_for_a_transaction_rolled_back(alpha):
    with pytest.raises(RuntimeError), workspace_scope(alpha), transaction.atomic():
        outbox_enqueue(workspace_id=alpha.pk, task=HEARTBEAT, args=[])
        raise RuntimeError("the write failed")
    assert not OutboxMessage.dangerously_unscoped.exists()


def test_it_keeps_the_row_pending_while_the_broker_is_down_and_sweeps_it_later(
    transactional_db,
    alpha,
    redis_down,  # noqa: F811
    settings,
):
    with workspace_scope(alpha), transaction.atomic():
        outbox_enqueue(workspace_id=alpha.pk, task=HEARTBEAT, args=[])
    message = OutboxMessage.dangerously_unscoped.get()
    assert (message.sent_at, message.attempts) == (None, 1)
    assert "127.0.0.1" in message.last_error or "refused" in message.last_error.lower()
    # Rows younger than the sweep's minimum age are the relay's; the sweep leaves them.
    assert outbox_sweep(now=timezone.now()) == 0


@pytest.mark.django_db
def test_it_sweeps_pending_rows_and_forgets_rows_sent_long_ago(alpha):
    old = timezone.now() - dt.timedelta(days=8)
    pending = OutboxMessage.dangerously_unscoped.create(
        workspace=alpha, task=HEARTBEAT, args=[], created_at=old
    )
    sent = OutboxMessage.dangerously_unscoped.create(
        workspace=alpha, task=HEARTBEAT, args=[], created_at=old, sent_at=old
    )
    with workspace_scope(alpha):
        assert outbox_sweep() == 1
    pending.refresh_from_db()
    assert pending.sent_at is not None
    assert not OutboxMessage.dangerously_unscoped.filter(pk=sent.pk).exists()
