"""The API while Redis is down: reads answer (throttles count nothing), and a write that must
queue work answers a 503 problem with Retry-After, not a 500."""

import datetime as dt

from django.urls import reverse

from tests.factories import AccountFactory, UsageMetricFactory
from tests.worker import redis_down  # noqa: F401  (fixture)


def test_it_serves_api_reads_while_redis_is_down(api, alpha, redis_down):  # noqa: F811
    AccountFactory(workspace=alpha)
    response = api.get(reverse("api-account-list"))
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 1


def test_it_answers_a_503_problem_when_a_write_cannot_queue_its_work(
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
    assert response.status_code == 503, response.content
    assert response["Retry-After"]
    assert response["Content-Type"] == "application/problem+json"
    # The batch was written before its work was queued: the answer does not say otherwise.
    assert "could not reach Redis to queue" in response.json()["detail"]
