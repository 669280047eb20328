"""The base of every bulk-ingestion endpoint: body limits, the batch, Idempotency-Key."""

from __future__ import annotations

from django.http import HttpResponse
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from csos.api.base import ScopedAPIView
from csos.api.bulk import Batch, parse_batch, read_body
from csos.api.fields import Parser
from csos.api.idempotency import HEADER, key_claim, key_finish, request_fingerprint
from csos.models import ApiScope


class BulkIngestView(ScopedAPIView):
    """POST a batch of records; subclasses implement ``ingest`` (validate all, then write all).

    The body is read here, not by DRF's parsers (which are named only so the schema shows
    JSON): gzip, the size limit and orjson parsing happen once, before any record is looked at.
    """

    required_scope = ApiScope.INGEST
    parser_classes = [JSONParser]
    batch_options: dict[str, Parser] = {}

    def ingest(self, batch: Batch) -> Response:
        raise NotImplementedError

    def parse(self, body: bytes) -> Batch:
        """The batch a body holds; ``{"records": [...]}`` unless an endpoint takes another shape."""
        return parse_batch(body, options=self.batch_options)

    def post(self, request, *args, **kwargs):
        body = read_body(request)
        key = request.headers.get(HEADER)
        if key is None:
            return self.ingest(self.parse(body))
        claim = key_claim(
            token=request.auth,
            key=key,
            fingerprint=request_fingerprint(method="POST", path=request.path, body=body),
        )
        if isinstance(claim, HttpResponse):
            return claim
        try:
            response = self.ingest(self.parse(body))
        except Exception as exc:
            # Answered as a problem, as DRF would, so the outcome can be recorded for the key.
            response = self.handle_exception(exc)
        key_finish(
            claim=claim,
            status_code=response.status_code,
            data=response.data,
            content_type=response.content_type or "application/json",
        )
        return response
