"""Who may call which endpoint: generated from the URL patterns, as the tenancy sweep is.

Every API endpoint is called with a token of workspace Beta holding every scope and Alpha's
ids: it reads nothing of Alpha and changes nothing of Alpha. Every endpoint refuses a token
lacking the scope it needs. Sessions may read, never ingest.
"""

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse

from accounts.models import Account, ArrMovement
from csos.api.base import ApiRateThrottle
from csos.models import ApiScope
from playbooks.models import Task
from stakeholders.models import Objective, SuccessPlan
from tests.api.conftest import ApiClient
from tests.sweep import MARKERS, build_sweep, iter_url_patterns
from value.models import Evidence

API_PREFIX = "/api/v1/"
# The OpenAPI document, its viewer and the event catalogue are public, like the docs they are.
PUBLIC = {reverse("api_schema"), reverse("api_docs"), reverse("event_schemas")}

# A batch for each ingestion endpoint that names Alpha's objects by their external ids.
FOREIGN_BATCHES = {
    "api-account-bulk": {"records": [{"external_id": "ALPHA-EXT-777", "name": "Hijacked"}]},
    "api-usage-record-bulk": {
        "records": [
            {
                "account_external_id": "ALPHA-EXT-777",
                "metric": "ALPHA-METRIC",
                "day": dt.date.today().isoformat(),
                "value": 1,
            }
        ],
        "create_missing_metrics": True,
    },
    "api-stakeholder-bulk": {
        "records": [
            {
                "account_external_id": "ALPHA-EXT-777",
                "email": "alpha@example.com",
                "name": "Hijacked",
                "role": "owner",
            }
        ]
    },
    "api-support-ticket-bulk": {
        "records": [
            {
                "external_id": "ALPHA-TICKET-1",
                "account_external_id": "ALPHA-EXT-777",
                "priority": "p1",
                "status": "open",
                "opened_on": dt.date.today().isoformat(),
            }
        ]
    },
    "api-survey-response-bulk": {
        "records": [
            {
                "external_id": "ALPHA-SURVEY-1",
                "account_external_id": "ALPHA-EXT-777",
                "kind": "nps",
                "score": 0,
                "answered_on": dt.date.today().isoformat(),
            }
        ]
    },
    "api-product-events": {
        "batch": [
            {
                "messageId": "ALPHA-SECRET-MESSAGE",
                "userId": "alpha-user",
                "event": "ALPHA-SECRET-EVENT",
                "timestamp": "2026-01-01T00:00:00Z",
                "context": {"groupId": "ALPHA-EXT-777"},
            }
        ]
    },
    "api-arr-movement-bulk": {
        "records": [
            {
                "external_id": "ALPHA-MOVE-1",
                "account_external_id": "ALPHA-EXT-777",
                "kind": "expansion",
                "date": dt.date.today().isoformat(),
                "amount": "1.00",
            }
        ]
    },
}


def api_endpoints(objects):
    """(url, url name, view class, {method: needed scope}) of every API endpoint."""
    named = [pattern for _ns, pattern in iter_url_patterns() if pattern.name]
    for pattern, (url, _is_admin, _names_object) in zip(named, build_sweep(objects), strict=True):
        if not url.startswith(API_PREFIX) or url in PUBLIC:
            continue
        view = pattern.callback.cls
        actions = getattr(pattern.callback, "actions", None)
        methods = [m.upper() for m in actions] if actions else view().allowed_methods
        scopes = {
            method: view.required_scope
            or (ApiScope.READ if method in {"GET", "HEAD"} else ApiScope.WRITE)
            for method in methods
            if method not in {"OPTIONS", "HEAD"}
        }
        yield url, pattern.name, scopes


def alpha_state(objects):
    account = Account.dangerously_unscoped.get(pk=objects[Account].pk)
    evidence = Evidence.dangerously_unscoped.get(pk=objects[Evidence].pk)
    plan = SuccessPlan.dangerously_unscoped.get(pk=objects[SuccessPlan].pk)
    task = Task.dangerously_unscoped.get(pk=objects[Task].pk)
    return (
        account.name,
        account.arr,
        account.updated_at,
        ArrMovement.dangerously_unscoped.filter(workspace=account.workspace).count(),
        evidence.updated_at,
        plan.title,
        Objective.dangerously_unscoped.filter(plan=plan).count(),
        (task.status, task.assignee_id),
    )


@pytest.mark.django_db
def test_it_declares_a_foreign_batch_for_every_ingestion_endpoint(alpha_objects):
    ingest = {n for _u, n, s in api_endpoints(alpha_objects) if ApiScope.INGEST in s.values()}
    assert ingest == set(FOREIGN_BATCHES)


@pytest.mark.django_db
def test_it_lets_a_token_of_another_workspace_neither_read_nor_write(
    alpha_objects, make_token, beta, charlie
):
    outsider = ApiClient(make_token(workspace=beta, by=charlie))
    before = alpha_state(alpha_objects)
    endpoints = list(api_endpoints(alpha_objects))
    assert len(endpoints) >= 4
    # Reads first: the writes below may create Beta's own rows carrying Alpha's external ids.
    calls = sorted(
        ((method, url, name) for url, name, scopes in endpoints for method in scopes),
        key=lambda call: call[0] != "GET",
    )
    for method, url, name in calls:
        response = outsider.send(method, url, FOREIGN_BATCHES.get(name, {}))
        body = response.content.decode()
        assert response.status_code < 500, url
        for marker in MARKERS:
            assert marker not in body, f"{method} {url} shows {marker}"
        if url.rstrip("/").split("/")[-1].isdigit():
            assert response.status_code == 404, url
    assert alpha_state(alpha_objects) == before


@pytest.mark.django_db
def test_it_refuses_a_token_without_the_scope_each_endpoint_needs(alpha_objects, make_token):
    for url, name, scopes in api_endpoints(alpha_objects):
        for method, needed in scopes.items():
            for held in ApiScope.values:
                if held == needed:
                    continue
                client = ApiClient(make_token(scopes=[held]))
                response = client.send(method, url, FOREIGN_BATCHES.get(name, {}))
                assert response.status_code == 403, f"{method} {url} with {held}"
                assert f"`{needed}`" in response.json()["detail"]


@pytest.mark.django_db
def test_it_lets_members_read_with_their_session_but_never_ingest(login, alpha_objects, vera):
    client = login(vera)
    assert client.get(reverse("api-account-list")).status_code == 200
    response = client.post(
        reverse("api-account-bulk"),
        FOREIGN_BATCHES["api-account-bulk"],
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_it_throttles_a_token_with_429_and_retry_after(make_token, alpha, settings):
    cache.clear()
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "read": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = ApiClient(make_token())
    other = ApiClient(make_token())
    url = reverse("api-account-list")
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    throttled = client.get(url)
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert throttled.json()["type"] == "urn:csos:problem:rate-limited"
    assert other.get(url).status_code == 200, "each token has its own budget"
    cache.clear()


@pytest.mark.django_db
def test_it_answers_503_with_retry_after_when_redis_is_down(make_token, alpha, monkeypatch):
    client = ApiClient(make_token())
    monkeypatch.setattr(ApiRateThrottle, "cache", RedisCache("redis://127.0.0.1:1/0", {}))
    response = client.post(
        reverse("api-account-bulk"), {"records": [{"external_id": "A", "name": "A"}]}
    )
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response["Content-Type"] == "application/problem+json"
    assert "Redis" in response.json()["detail"]
    assert Account.dangerously_unscoped.count() == 0


@pytest.mark.django_db
def test_it_answers_a_filter_value_postgresql_cannot_compare_with_400(api):
    response = api.get(reverse("api-account-list"), updated_since="0325-09-30T13:44:35.9+19:32")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/accounts/1.5/", "/api/v1/evidence/a%2Fb/", "/api/v1/x/"])
def test_it_answers_an_api_path_no_endpoint_takes_with_a_problem(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:csos:problem:not-found"


@pytest.mark.django_db
def test_it_answers_a_page_path_nothing_takes_with_the_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
