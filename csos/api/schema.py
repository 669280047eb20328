"""OpenAPI pieces shared by the endpoints: the problem body and its examples, the counts, the
headers, and the schemas of reads, writes and bulk endpoints, built from what differs per
endpoint."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers

from csos.api.idempotency import HEADER
from csos.api.problems import PROBLEM_CONTENT_TYPE


class FieldErrorSchema(serializers.Serializer):
    index = serializers.IntegerField(
        allow_null=True, help_text="The record's position in the batch."
    )
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class ProblemSchema(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = FieldErrorSchema(many=True, required=False)


class UpsertCountsSchema(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Any unique string (a UUID). The first response to a key is replayed for 24 hours; "
        "the same key with another body answers 422, and 409 while the first is running."
    ),
)


def _invalid_input_example(
    name: str, *, detail: str, index: int | None, field: str, code: str, message: str
) -> OpenApiExample:
    """A 400 problem naming one field at fault."""
    return OpenApiExample(
        name,
        status_codes=["400"],
        response_only=True,
        media_type=PROBLEM_CONTENT_TYPE,
        value={
            "type": "urn:csos:problem:invalid-input",
            "title": "The request has invalid input",
            "status": 400,
            "detail": detail,
            "errors": [{"index": index, "field": field, "code": code, "message": message}],
        },
    )


def invalid_fields_example(name: str, *, field: str, code: str, message: str) -> OpenApiExample:
    """A 400 problem of a single-object write naming one field at fault."""
    return _invalid_input_example(
        name,
        detail="Fix the fields listed in `errors` and send the request again.",
        index=None,
        field=field,
        code=code,
        message=message,
    )


INVALID_BATCH_EXAMPLE = _invalid_input_example(
    "Invalid batch",
    detail="1 record(s) are invalid; nothing was written. Fix the records listed in "
    "`errors` and send the batch again.",
    index=3,
    field="licensed_seats",
    code="negative",
    message="Must be at least 0.",
)

UPSERT_COUNTS_EXAMPLE = ("Written", {"created": 1, "updated": 1, "unchanged": 0})


def _examples(
    request: tuple[str, dict], answer: tuple[str, dict], status_code: int, problem: OpenApiExample
) -> list[OpenApiExample]:
    """A named example of the input, of the answer it gets, and of a 400 problem."""
    request_name, request_value = request
    answer_name, answer_value = answer
    return [
        OpenApiExample(request_name, request_only=True, value=request_value),
        OpenApiExample(
            answer_name, response_only=True, status_codes=[str(status_code)], value=answer_value
        ),
        problem,
    ]


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(ProblemSchema, description=description)


BULK_RESPONSES = {
    200: OpenApiResponse(UpsertCountsSchema, description="The batch was written."),
    400: _problem("Malformed JSON or invalid records; nothing was written."),
    401: _problem("No token, or an invalid, expired or revoked one."),
    403: _problem("The token lacks the `ingest` scope."),
    409: _problem("A request with the same Idempotency-Key is still running."),
    413: _problem("Over 10,000 records or 5 MB."),
    415: _problem("Not application/json, or an encoding other than gzip."),
    422: _problem("The Idempotency-Key was used with a different body."),
    429: _problem("Over the token's rate limit; retry after Retry-After seconds."),
    503: _problem("PostgreSQL or Redis is unreachable; retry after Retry-After seconds."),
}


class ProblemAutoSchema(AutoSchema):
    """Every operation documents the errors any request may get, and every error is declared
    as ``application/problem+json``, the type ``problem_response`` sends.

    An operation's own answers (a bulk endpoint's 409, 413, 422) come first; these fill in the
    rest: 400 for input (a body, a query parameter or a path id) it cannot read, 401 and 403
    for who may call it, 404 for an id not in the workspace, 415 for a body not in JSON, 422
    for a write a rule refuses, 429
    over the rate limit and 503 when PostgreSQL or Redis is unreachable.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in self._problem_descriptions().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    _problem(description), code, direction=direction
                )
        return responses

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        if int(status_code) >= 400:
            media_types = [PROBLEM_CONTENT_TYPE]
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def _problem_descriptions(self) -> dict[str, str]:
        writes = self.method in {"POST", "PUT", "PATCH"}
        descriptions = {
            "400": "Invalid input: the problem's `errors` name each field or query parameter "
            "at fault."
            if writes
            else "A query parameter or path value that cannot be read; the problem's `errors` "
            "name it.",
            "401": "No token, or an invalid, expired or revoked one.",
            "403": "The token lacks the scope, or the member's role the right, to do this.",
            "429": "Over the token's rate limit; retry after Retry-After seconds.",
            "503": "PostgreSQL or Redis is unreachable; retry after Retry-After seconds.",
        }
        if "{" in self.path:
            descriptions["404"] = "No such row in the workspace."
        if writes:
            descriptions["415"] = "Not application/json."
            descriptions["422"] = (
                "Readable input that a rule refuses (only the customer's Owner proves ROI, "
                "an Idempotency-Key reused with another body); the problem's `errors` name "
                "the field."
            )
        return descriptions


def read_schemas(
    *, list_summary: str, page: str, retrieve_summary: str, item: str, example: dict
) -> dict:
    """The ``list`` and ``retrieve`` schemas of a viewset, for ``extend_schema_view``: a page
    of one example row, and the row alone."""
    return {
        "list": extend_schema(
            summary=list_summary,
            examples=[OpenApiExample(page, response_only=True, value=[example])],
        ),
        "retrieve": extend_schema(
            summary=retrieve_summary,
            examples=[OpenApiExample(item, response_only=True, value=example)],
        ),
    }


def write_schema(
    *,
    summary: str,
    description: str,
    request: type[serializers.Serializer],
    response: type[serializers.Serializer],
    example: tuple[str, dict],
    written: tuple[str, dict],
    invalid: OpenApiExample,
    status_code: int = 200,
):
    """The schema of a create (``status_code`` 201) or a partial update of a viewset, for
    ``extend_schema_view``: the input, the row written and a problem, each with an example."""
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        responses={status_code: response},
        examples=_examples(example, written, status_code, invalid),
    )


def batch_schema(
    record: type[serializers.Serializer], help_text: str
) -> type[serializers.Serializer]:
    """The body of a bulk endpoint, ``{"records": [...]}``; ``<Name>RecordSchema`` records make
    a ``<Name>BatchSchema``."""
    return type(
        record.__name__.replace("RecordSchema", "BatchSchema"),
        (serializers.Serializer,),
        {"__module__": record.__module__, "records": record(many=True, help_text=help_text)},
    )


def bulk_schema(
    *,
    operation_id: str,
    summary: str,
    description: str,
    request: type[serializers.Serializer],
    example: tuple[str, dict],
    written: tuple[str, dict] = UPSERT_COUNTS_EXAMPLE,
    responses: dict | None = None,
):
    """The schema of a bulk endpoint's POST, as a class decorator: the batch with a named
    example, the Idempotency-Key, every answer a batch may get and examples of two of them."""
    return extend_schema_view(
        post=extend_schema(
            operation_id=operation_id,
            summary=summary,
            description=description,
            request=request,
            parameters=[IDEMPOTENCY_KEY_PARAMETER],
            responses=BULK_RESPONSES | (responses or {}),
            examples=_examples(example, written, 200, INVALID_BATCH_EXAMPLE),
            tags=["ingest"],
        )
    )
