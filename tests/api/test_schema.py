"""The OpenAPI schema: generated, valid, every operation with examples; and a contract test
that sends schemathesis-generated requests to every operation and finds no server error."""

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from csos.models import ApiScope
from csos.services import api_token_create

EXAMPLES_PER_OPERATION = 20


def generated_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_it_generates_a_schema_that_validates(tmp_path, db):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/accounts/bulk/" in target.read_text()


def test_it_documents_every_operation_with_examples(db):
    schema = generated_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            examples = [
                example
                for response in operation["responses"].values()
                for media in response.get("content", {}).values()
                for example in media.get("examples", {})
            ]
            assert examples, f"{method.upper()} {path} has no example"
            assert operation.get("summary") or operation.get("description"), path


def test_it_declares_the_token_and_the_rate_limits(db):
    schema = generated_schema()
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    assert "429" in schema["info"]["description"]


@pytest.fixture
def contract_token(alpha, alice, settings):
    unlimited = dict.fromkeys(ApiScope.values, "100000/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": unlimited}
    _token, raw = api_token_create(
        workspace=alpha, by=alice, name="contract", scopes=list(ApiScope.values)
    )
    return raw


@pytest.fixture
def keep_test_connection():
    """Requests through the WSGI app keep the test's connection (and transaction), as
    Django's test client arranges for its own requests."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def test_it_answers_generated_requests_without_a_server_error(
    transactional_db, contract_token, keep_test_connection
):
    # Committed rows and no wrapping transaction, as in production: a value PostgreSQL refuses
    # (answered 400) must not leave later requests in an aborted transaction.
    schema = schemathesis.openapi.from_dict(generated_schema())
    schema.app = get_wsgi_application()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4
    headers = {"Authorization": f"Bearer {contract_token}"}

    # A bounded number of generated requests per operation, the same ones on every run.
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def send(data):
        for operation in operations:
            case = data.draw(operation.as_strategy())
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

    send()
