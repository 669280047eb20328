"""Tokens and a client that sends them, for the API tests."""

import gzip

import orjson
import pytest
from django.test import Client

from csos.models import ApiScope
from csos.services import api_token_create

ALL_SCOPES = list(ApiScope.values)


@pytest.fixture
def make_token(alpha, alice):
    def make(*, workspace=None, by=None, scopes=ALL_SCOPES, **options) -> str:
        _token, raw = api_token_create(
            workspace=workspace or alpha, by=by or alice, name="CRM sync", scopes=scopes, **options
        )
        return raw

    return make


class ApiClient:
    """Django's test client speaking JSON with a bearer token."""

    def __init__(self, raw_token: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw_token}"} if raw_token else {}

    def get(self, url, **params):
        return self.client.get(url, params, headers=self.headers)

    def post(self, url, document=None, *, body=None, content_type="application/json", **headers):
        if body is None:
            body = orjson.dumps(document)
        return self.client.post(
            url, body, content_type=content_type, headers={**self.headers, **headers}
        )

    def patch(self, url, document=None, **headers):
        return self.client.patch(
            url,
            orjson.dumps(document),
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def send(self, method: str, url: str, document=None):
        """``method`` as the endpoint's method table names it, with a JSON body for writes."""
        if method == "GET":
            return self.get(url)
        return getattr(self, method.lower())(url, document)

    def post_gzip(self, url, document, **headers):
        return self.post(
            url,
            body=gzip.compress(orjson.dumps(document)),
            **{"Content-Encoding": "gzip"},
            **headers,
        )


@pytest.fixture
def api(make_token) -> ApiClient:
    """Alpha's integration, holding every scope."""
    return ApiClient(make_token())


@pytest.fixture
def api_as():
    return ApiClient
