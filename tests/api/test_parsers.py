"""Every API JSON body is bounded: nesting deeper than API_JSON_MAX_DEPTH answers 400 and a
body over DATA_UPLOAD_MAX_MEMORY_SIZE answers 413, as problems, never a 500."""

import orjson
import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.exceptions import ParseError

from csos.api.parsers import load_json
from tests.factories import AccountFactory
from tests.stakeholders.factories import SuccessPlanFactory
from value.models import Evidence

DEEP = 10_000


def nested(depth: int, kind: str) -> bytes:
    """``depth`` levels of arrays or objects, innermost empty."""
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


@pytest.mark.parametrize("kind", ["array", "object"])
def test_it_reads_nesting_up_to_the_limit_and_refuses_one_level_more(kind):
    limit = settings.API_JSON_MAX_DEPTH
    assert load_json(nested(limit, kind)) == orjson.loads(nested(limit, kind))
    with pytest.raises(ParseError, match=f"deeper than {limit} levels"):
        load_json(nested(limit + 1, kind))


def _assert_problem(response, status_code: int, code: str) -> dict:
    assert response.status_code == status_code, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == f"urn:csos:problem:{code}"
    return problem


@pytest.fixture
def plan(alpha):
    return SuccessPlanFactory(account=AccountFactory(workspace=alpha))


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize("endpoint", ["evidence", "success-plan", "bulk-accounts"])
def test_it_answers_400_naming_the_nesting_to_a_deep_body(api, plan, endpoint, kind):
    body = nested(DEEP, kind)
    if endpoint == "evidence":
        response = api.post(reverse("api-evidence-list"), body=body)
    elif endpoint == "success-plan":
        url = reverse("api-success-plan-detail", args=[plan.pk])
        response = api.client.patch(url, body, content_type="application/json", headers=api.headers)
    else:
        response = api.post(reverse("api-account-bulk"), body=body)
    problem = _assert_problem(response, 400, "malformed-request")
    assert f"deeper than {settings.API_JSON_MAX_DEPTH} levels" in problem["detail"]


def test_it_answers_413_to_a_body_over_the_upload_limit(api, alpha):
    filler = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 2 * 1024 * 1024)
    response = api.post(reverse("api-evidence-list"), {"claim": filler})
    problem = _assert_problem(response, 413, "too-large")
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes" in problem["detail"]
    assert not Evidence.dangerously_unscoped.exists()


def test_it_answers_413_to_a_form_field_over_the_upload_limit(api, alpha):
    """Django's own cap on form data, raised while DRF parses a multipart body, answers 413."""
    filler = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = api.client.post(reverse("api-evidence-list"), {"claim": filler}, headers=api.headers)
    _assert_problem(response, 413, "too-large")
    assert not Evidence.dangerously_unscoped.exists()
