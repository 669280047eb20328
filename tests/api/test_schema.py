"""The OpenAPI schema: generated, valid, every operation with examples; and a contract test
that sends schemathesis-generated requests, valid and invalid, to every operation and checks
each answer against the schema: its status documented, its content type declared, its body
of the documented shape, and invalid input refused."""

import collections

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from csos.models import ApiScope
from csos.services import api_token_create
from tests.stakeholders.factories import StakeholderFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Generated requests per operation: valid ones, valid ones naming a row of the workspace (for
# operations on one row), and invalid ones. About a minute for the whole API on two cores.
EXAMPLES = {"valid": 8, "existing row": 6, "invalid": 8}


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


def test_it_documents_the_page_size_and_ordering_it_accepts(db):
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in generated_schema()["paths"]["/api/v1/accounts/"]["get"]["parameters"]
    }
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert parameters["ordering"]["enum"] == [
        "id",
        "-id",
        "name",
        "-name",
        "arr",
        "-arr",
        "updated_at",
        "-updated_at",
    ]


def test_it_declares_every_error_an_operation_may_answer_as_a_problem(db):
    for path, operations in generated_schema()["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"400", "401", "403", "429", "503"} | ({"404"} if "{id}" in path else set())
            assert expected <= set(responses), f"{method.upper()} {path}"
            for code, response in responses.items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], code


def test_it_declares_optional_formatted_fields_nullable(db):
    schemas = generated_schema()["components"]["schemas"]
    assert schemas["EvidenceOutput"]["properties"]["document_url"]["nullable"]
    assert schemas["StakeholderOutput"]["properties"]["email"]["nullable"]
    assert schemas["TaskOutput"]["properties"]["assignee_email"]["nullable"]
    assert schemas["AccountOutput"]["properties"]["owner_email"]["nullable"]


@pytest.fixture
def contract_token(alpha, alice, settings):
    """A token with every scope, and rates no generated run reaches."""
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


@pytest.fixture
def contract_rows(alpha_objects):
    """A row of every kind the API reads, with blank optional fields (a stakeholder without an
    email, evidence without a document), so the bodies checked are full ones."""
    account = next(row for model, row in alpha_objects.items() if model.__name__ == "Account")
    StakeholderFactory(account=account, email="")
    return alpha_objects


def existing_row_id(path: str, rows: dict) -> int | None:
    """The id of the workspace's row an operation on one row names, by the path's view."""
    if "{id}" not in path:
        return None
    view = resolve(path.replace("{id}", "1")).func.cls
    return rows[view.model].pk


def send_generated(strategy, examples: int, *, headers: dict, answers: dict) -> None:
    """Send ``examples`` requests drawn from ``strategy``, the same ones on every run, count
    their answers per operation, and check each against the schema."""

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def send(case):
        response = case.call(headers=headers)
        answers[case.operation.label][response.status_code] += 1
        assert response.status_code != 429, f"{case.operation.label} was throttled"
        case.validate_response(response, checks=CHECKS)

    send()


def test_it_answers_every_operation_as_its_schema_says(
    transactional_db, contract_token, keep_test_connection, contract_rows
):
    # Committed rows and no wrapping transaction, as in production: a value PostgreSQL refuses
    # (answered 400) must not leave later requests in an aborted transaction.
    schema = schemathesis.openapi.from_dict(generated_schema())
    schema.app = get_wsgi_application()
    operations = [result.ok() for result in schema.get_all_operations()]
    headers = {"Authorization": f"Bearer {contract_token}"}
    answers = collections.defaultdict(collections.Counter)

    for operation in operations:
        row_id = existing_row_id(operation.path, contract_rows)
        strategies = {
            "valid": operation.as_strategy(),
            "invalid": operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        }
        if row_id is not None:
            strategies["existing row"] = operation.as_strategy(path_parameters={"id": row_id})
        for kind, strategy in strategies.items():
            send_generated(strategy, EXAMPLES[kind], headers=headers, answers=answers)

    documented = {
        f"{method.upper()} {path}"
        for path, methods in schema.raw_schema["paths"].items()
        for method in methods
    }
    assert set(answers) == documented
    unanswered_reads = [
        label
        for label, statuses in answers.items()
        if label.startswith("GET") and not any(200 <= status < 300 for status in statuses)
    ]
    assert not unanswered_reads, f"no generated request got a row back from {unanswered_reads}"
