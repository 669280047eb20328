"""OpenAPI pieces shared by the bulk endpoints: the problem body, the counts, the headers."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from csos.api.idempotency import HEADER


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

INVALID_BATCH_EXAMPLE = OpenApiExample(
    "Invalid batch",
    status_codes=["400"],
    response_only=True,
    value={
        "type": "urn:csos:problem:invalid-input",
        "title": "The request has invalid input",
        "status": 400,
        "detail": "1 record(s) are invalid; nothing was written. Fix the records listed in "
        "`errors` and send the batch again.",
        "errors": [
            {
                "index": 3,
                "field": "licensed_seats",
                "code": "negative",
                "message": "Must be at least 0.",
            }
        ],
    },
)


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
