"""Malformed query parameters are the client's mistake: a 4xx or a sane default, never a 500."""

import base64

import pytest
from django.urls import reverse

JUNK = ["cD1hYmM=", "abc", "-1", "0", "99999999999999999999", "", "\x00", "1e9", "name,,-"]
API_PARAMETERS = ["cursor", "page_size", "ordering", "renewal_after", "updated_since", "status"]
PAGE_PARAMETERS = [
    ("portfolio", "page"),
    ("portfolio", "sort"),
    ("portfolio", "owner"),
    ("portfolio", "renewal"),
    ("portfolio", "q"),
    ("retention", "start"),
    ("retention", "end"),
    ("audit_log", "page"),
    ("member_list", "page"),
]


def _cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.fixture
def junk_client(client, alpha_objects):
    """A client that answers a server error with its 500 page, as production does."""
    client.raise_request_exception = False
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["alice", "lena", "bob", "vera"])
@pytest.mark.parametrize("raw", ["p=abc", "p=1.5", "p=-x&r=1", "o=1&p=%00"])
def test_it_answers_a_forged_cursor_position_with_400_naming_it_for_every_role(
    junk_client, request, role, raw
):
    junk_client.force_login(request.getfixturevalue(role))
    response = junk_client.get("/api/v1/accounts/", {"cursor": _cursor(raw)})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"index": None, "field": "cursor", "code": "invalid", "message": "Invalid cursor"}
    ]


@pytest.mark.django_db
def test_it_still_pages_with_a_cursor_it_issued(junk_client, alice, alpha_objects):
    junk_client.force_login(alice)
    response = junk_client.get("/api/v1/accounts/", {"cursor": _cursor("p=0")})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("value", JUNK)
@pytest.mark.parametrize("parameter", API_PARAMETERS)
def test_it_answers_a_malformed_api_parameter_with_a_4xx_or_a_default(
    junk_client, alice, parameter, value
):
    junk_client.force_login(alice)
    response = junk_client.get("/api/v1/accounts/", {parameter: value})
    assert response.status_code in {200, 400, 404}, response.content[:300]


@pytest.mark.django_db
@pytest.mark.parametrize("value", JUNK)
@pytest.mark.parametrize("url_name, parameter", PAGE_PARAMETERS)
def test_it_answers_a_malformed_page_parameter_with_a_4xx_or_a_default(
    junk_client, alice, url_name, parameter, value
):
    junk_client.force_login(alice)
    response = junk_client.get(reverse(url_name), {parameter: value})
    assert response.status_code in {200, 400, 404}, response.content[:300]
