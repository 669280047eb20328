"""``Idempotency-Key``: the first response to a key is replayed for 24 hours.

A key is claimed by inserting its row before the request runs, in its own committed
transaction, so of many concurrent requests with one key exactly one inserts and runs; the
others find the row and answer 409 while it runs, or replay its response once finished. The
same key with a different body (or endpoint) answers 422. A request that fails on the server
releases its claim, so the client's retry runs again; a claim left by a process that died is
taken over once it is older than ``STALE_CLAIM``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import status

from csos.api.problems import ProblemException
from csos.models import ApiToken, IdempotencyKey

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Longer than any request may run (gunicorn's timeout), so only a dead process's claim is stale.
STALE_CLAIM = timedelta(minutes=10)
# When to ask again for the answer to a request still running: a batch takes seconds.
IN_USE_RETRY_AFTER_SECONDS = 2


@dataclass(frozen=True)
class Claim:
    id: int


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


def _conflict(
    code: str, status_code: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> ProblemException:
    return ProblemException(
        status_code=status_code, code=code, title=title, detail=detail, headers=headers
    )


def _expired_before() -> datetime:
    return timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_KEY_HOURS)


def idempotency_key_purge() -> int:
    """Delete the workspace's keys older than their replay window; returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=_expired_before()).delete()
    return deleted


def key_claim(*, token: ApiToken, key: str, fingerprint: str) -> Claim | HttpResponse:
    """Claim ``key`` for this request, or the answer a request with a used key gets."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise _conflict(
            "invalid-idempotency-key",
            status.HTTP_400_BAD_REQUEST,
            "Invalid Idempotency-Key",
            f"An {HEADER} is 1 to {MAX_KEY_LENGTH} printable characters.",
        )
    now = timezone.now()
    keys = IdempotencyKey.objects
    with transaction.atomic():
        # The periodic purge may not have reached an expired key yet; its owner may reuse it.
        keys.filter(token=token, key=key, created_at__lt=_expired_before()).delete()
        keys.filter(
            token=token, key=key, finished_at__isnull=True, created_at__lt=now - STALE_CLAIM
        ).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {IdempotencyKey._meta.db_table} "
                "(workspace_id, token_id, key, request_hash, created_at, response_content_type) "
                "VALUES (%s, %s, %s, %s, %s, '') "
                "ON CONFLICT (workspace_id, token_id, key) DO NOTHING RETURNING id",
                [token.workspace_id, token.pk, key, fingerprint, now],
            )
            inserted = cursor.fetchone()
    if inserted is not None:
        return Claim(id=inserted[0])
    existing = keys.filter(token=token, key=key).first()
    if existing is None:
        # Released by a failed first request between our insert and this read: try again.
        return key_claim(token=token, key=key, fingerprint=fingerprint)
    if existing.request_hash != fingerprint:
        raise _conflict(
            "idempotency-key-reused",
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "Idempotency-Key reused with a different request",
            f"This {HEADER} was first sent with another body or endpoint; use a new key "
            "for a new request.",
        )
    if existing.finished_at is None:
        raise _conflict(
            "idempotency-key-in-use",
            status.HTTP_409_CONFLICT,
            "A request with this Idempotency-Key is still running",
            "Wait for the first request to finish, then send this one again to get its response.",
            headers={"Retry-After": str(IN_USE_RETRY_AFTER_SECONDS)},
        )
    replay = HttpResponse(
        bytes(existing.response_body),
        status=existing.response_status,
        content_type=existing.response_content_type,
    )
    replay[REPLAYED_HEADER] = "true"
    return replay


def key_finish(*, claim: Claim, status_code: int, data, content_type: str) -> None:
    """Store the response a replay will repeat; a server failure releases the key instead."""
    keys = IdempotencyKey.objects.filter(pk=claim.id)
    try:
        if status_code >= 500:
            keys.delete()
            return
        keys.update(
            finished_at=timezone.now(),
            response_status=status_code,
            response_body=orjson.dumps(data),
            response_content_type=content_type,
        )
    except DatabaseError:
        # The database is gone for now: the claim turns stale and a later retry takes it over.
        logger.warning("Could not record the outcome of idempotency claim %s", claim.id)
