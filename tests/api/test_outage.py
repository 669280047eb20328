"""The API while Redis is down: reads answer (throttles count nothing), and a write whose work
must follow it answers that it was stored, its work kept in the outbox for the broker's return."""

import datetime as dt

from django.urls import reverse

from csos.models import OutboxMessage
from tests.factories import AccountFactory, UsageMetricFactory
from tests.worker import redis_down  # noqa: F401  (fixture)


def test_it_serves_api_reads_while_redis_is_down(api, alpha, redis_down):  # noqa: F811
    AccountFactory(workspace=alpha)
    response = api.get(reverse("api-account-list"))
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 1


def test_it_stores_a_batch_and_keeps_its_work_pending_while_the_broker_is_down(
    transactional_db,  # the work is queued once the batch commits
    api,
    alpha,
    redis_down,  # noqa: F811
):
    AccountFactory(workspace=alpha, external_id="CRM-1")
    UsageMetricFactory(workspace=alpha, key="logins")
    record = {
        "account_external_id": "CRM-1",
        "metric": "logins",
        "day": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
        "value": 3,
    }
    response = api.post(reverse("api-usage-record-bulk"), {"records": [record]})
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    assert OutboxMessage.dangerously_unscoped.filter(sent_at__isnull=True).count() == 1
