"""The parser of every API JSON body, bounded in size and in nesting.

DRF's own JSON parser reads the whole body whatever its size and recurses once per level of
nesting, so a 12 MB body or a 10,000-deep array answered 500. This one answers 413 to a body
over DATA_UPLOAD_MAX_MEMORY_SIZE bytes and 400 to arrays and objects nested deeper than
API_JSON_MAX_DEPTH; the bulk endpoints load their batches with the same ``load_json``.

DRF imports the parsers while it builds its views, so this module imports no view or problem
module: it raises DRF exceptions, which the problem handler answers as problems.
"""

from typing import Any

import orjson
from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too-large"

    def __init__(self):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(f"A request body is at most {limit:,} bytes; send less in one request.")


def _deeper_than(document: Any, limit: int) -> bool:
    """Whether ``document`` nests arrays and objects more than ``limit`` levels deep."""
    level = [document]
    for _ in range(limit):
        level = [
            child
            for container in level
            if isinstance(container, dict | list)
            for child in (container.values() if isinstance(container, dict) else container)
        ]
        if not level:
            return False
    return any(isinstance(value, dict | list) for value in level)


def load_json(body: bytes) -> Any:
    """The body's JSON document; malformed JSON, or arrays and objects nested deeper than
    API_JSON_MAX_DEPTH, answer 400."""
    depth = settings.API_JSON_MAX_DEPTH
    too_deep = exceptions.ParseError(
        f"The JSON body nests arrays and objects deeper than {depth} levels, the most CSOS reads."
    )
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if "depth" in str(error):  # orjson's own nesting limit, far above ours
            raise too_deep from None
        raise exceptions.ParseError(
            f"The body is not valid JSON ({error}). NaN and Infinity are not JSON numbers."
        ) from None
    if _deeper_than(document, depth):
        raise too_deep
    return document


class BoundedJSONParser(JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE bytes and API_JSON_MAX_DEPTH levels."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise BodyTooLarge
        return load_json(body)
