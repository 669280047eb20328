"""Every API error as an RFC 9457 problem: ``application/problem+json`` with type, title,
status and detail, and for invalid input an ``errors`` list of ``{index, field, code, message}``
that names exactly which record and field to fix.

A request that fails because PostgreSQL or Redis is unreachable answers 503 with
``Retry-After``; its transaction has rolled back, so nothing of it was written.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import kombu.exceptions
import redis.exceptions
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DataError, InterfaceError, OperationalError, connection
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from csos.api.parsers import BodyTooLarge

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
UNAVAILABLE_RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True, kw_only=True)
class FieldError:
    """One thing wrong with the input: the record (batch index), the field, why."""

    index: int | None = None
    field: str | None
    code: str
    message: str


API_PATH_PREFIX = "/api/"


def problem_type(code: str) -> str:
    return f"urn:csos:problem:{code}"


def problem_response(
    *,
    status_code: int,
    code: str,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"type": problem_type(code), "title": title, "status": status_code, "detail": detail}
    if errors is not None:
        body["errors"] = [asdict(error) for error in errors]
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


class ProblemException(exceptions.APIException):
    """An API error that knows its problem code, for invalid input its field errors, and any
    headers the answer needs (Retry-After)."""

    def __init__(
        self,
        *,
        status_code: int,
        code: str,
        title: str,
        detail: str,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail=detail, code=code)
        self.status_code = status_code
        self.problem_code = code
        self.title = title
        self.errors = errors
        self.headers = headers


def invalid_input(errors: list[FieldError], *, detail: str | None = None) -> ProblemException:
    count = len({error.index for error in errors})
    return ProblemException(
        status_code=status.HTTP_400_BAD_REQUEST,
        code="invalid-input",
        title="The request has invalid input",
        detail=detail
        or (
            f"{count} record(s) are invalid; nothing was written. Fix the records listed in "
            "`errors` and send the batch again."
        ),
        errors=errors,
    )


# DRF exception class -> (problem code, title).
_TITLES: dict[type[exceptions.APIException], tuple[str, str]] = {
    exceptions.ParseError: ("malformed-request", "The request body could not be parsed"),
    exceptions.AuthenticationFailed: ("not-authenticated", "Authentication failed"),
    exceptions.NotAuthenticated: ("not-authenticated", "Authentication required"),
    exceptions.PermissionDenied: ("forbidden", "Not allowed"),
    exceptions.NotFound: ("not-found", "Not found"),
    exceptions.MethodNotAllowed: ("method-not-allowed", "Method not allowed"),
    exceptions.NotAcceptable: ("not-acceptable", "Not acceptable"),
    exceptions.UnsupportedMediaType: ("unsupported-media-type", "Unsupported media type"),
    exceptions.Throttled: ("rate-limited", "Too many requests"),
    BodyTooLarge: ("too-large", "The request body is too large"),
}


def _validation_errors(detail, field: str | None = None) -> list[FieldError]:
    """Flatten DRF's nested ValidationError detail into field errors."""
    if isinstance(detail, dict):
        return [
            error
            for key, value in detail.items()
            for error in _validation_errors(
                value, None if key == "non_field_errors" else f"{field}.{key}" if field else key
            )
        ]
    if isinstance(detail, list):
        return [error for item in detail for error in _validation_errors(item, field)]
    return [FieldError(field=field, code=getattr(detail, "code", "invalid"), message=str(detail))]


def problem_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: turn any exception of an API view into a problem response."""
    if isinstance(exc, ProblemException):
        return problem_response(
            status_code=exc.status_code,
            code=exc.problem_code,
            title=exc.title,
            detail=str(exc.detail),
            errors=exc.errors,
            headers=exc.headers,
        )
    if isinstance(
        exc,
        OperationalError
        | InterfaceError
        | redis.exceptions.ConnectionError
        | redis.exceptions.TimeoutError
        # Queueing a task on an unreachable broker.
        | kombu.exceptions.OperationalError,
    ):
        return _unavailable(exc)
    if isinstance(exc, DataError):
        # PostgreSQL refused a value the filters let through (a date beyond its range).
        return problem_response(
            status_code=status.HTTP_400_BAD_REQUEST,
            code="invalid-input",
            title="The request has invalid input",
            detail="A value in the request is out of the range CSOS can store or compare.",
        )
    if isinstance(exc, RequestDataTooBig):
        # Django's own cap on a body read whole (a form, or ``request.body``).
        exc = BodyTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        return problem_response(
            status_code=status.HTTP_400_BAD_REQUEST,
            code="invalid-input",
            title="The request has invalid input",
            detail="Fix the fields listed in `errors` and send the request again.",
            errors=_validation_errors(exc.detail),
        )
    if isinstance(exc, exceptions.APIException):
        return _api_exception_problem(exc, context)
    logger.exception("Unhandled API error", exc_info=exc)
    return problem_response(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        code="server-error",
        title="Internal server error",
        detail="The request failed on the server; nothing of it was written.",
    )


def _api_exception_problem(exc: exceptions.APIException, context):
    """DRF's own answer to one of its exceptions (status and headers), as a problem."""
    response = drf_exception_handler(exc, context)
    code, title = next(
        (pair for cls, pair in _TITLES.items() if isinstance(exc, cls)),
        ("error", "Request failed"),
    )
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return problem_response(
        status_code=response.status_code,
        code=code,
        title=title,
        detail=detail,
        headers={
            name: value
            for name, value in response.headers.items()
            if name in {"Retry-After", "WWW-Authenticate", "Allow"}
        },
    )


def _drop_broken_connection() -> None:
    """A connection lost mid-request is closed, so the next request opens a fresh one."""
    if connection.connection is not None and not connection.is_usable():
        connection.close()


def _unavailable(exc: Exception) -> Response:
    logger.warning("API request failed on an unavailable backend: %s", exc)
    _drop_broken_connection()
    if isinstance(exc, kombu.exceptions.OperationalError):
        # The task is queued once the request's writes committed, so they may have been made.
        detail = (
            "CSOS could not reach Redis to queue the work that follows this request. "
            "Read the resource back before sending the request again, after the Retry-After delay."
        )
    else:
        backend = "Redis" if isinstance(exc, redis.exceptions.RedisError) else "the database"
        detail = (
            f"CSOS could not reach {backend}; nothing of this request was written. "
            "Send it again after the Retry-After delay."
        )
    return problem_response(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        code="unavailable",
        title="Service temporarily unavailable",
        detail=detail,
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
    )


def not_found(request, exception):
    """Django's 404 handler: a path under the API that names no endpoint (an id no route
    accepts) answers a problem, as the endpoints do; any other path, the page."""
    if not request.path.startswith(API_PATH_PREFIX):
        return defaults.page_not_found(request, exception)
    status_code = status.HTTP_404_NOT_FOUND
    return JsonResponse(
        {
            "type": problem_type("not-found"),
            "title": "Not found",
            "status": status_code,
            "detail": "No endpoint or row at this path.",
        },
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )
