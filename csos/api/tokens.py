"""API tokens: issuing, checking and the DRF authentication that reads them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from csos.models import ApiToken

TOKEN_PREFIX = "csos"
# last_used_at is written at most this often per token, so a busy integration does not
# turn every request into a row update.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_generate() -> tuple[str, str]:
    """A new (prefix, raw token). The secret carries 256 bits, so a plain SHA-256 suffices."""
    prefix = secrets.token_hex(6)
    return prefix, f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


def token_authenticate(raw: str) -> ApiToken:
    """The live token ``raw`` names, or AuthenticationFailed with the reason."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise exceptions.AuthenticationFailed("The token is malformed.")
    token = (
        ApiToken.dangerously_unscoped.select_related("workspace").filter(prefix=parts[1]).first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, token_hash(raw)):
        raise exceptions.AuthenticationFailed("The token is not valid.")
    now = timezone.now()
    if token.revoked_at is not None:
        raise exceptions.AuthenticationFailed("The token has been revoked.")
    if token.expires_at is not None and token.expires_at <= now:
        raise exceptions.AuthenticationFailed("The token has expired.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.dangerously_unscoped.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer csos_...``: the request acts for the token's workspace, no user."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        keyword, _, raw = header.partition(" ")
        if keyword.lower() != self.keyword.lower() or not raw.strip():
            raise exceptions.AuthenticationFailed(
                "Send the token as `Authorization: Bearer <token>`."
            )
        return AnonymousUser(), token_authenticate(raw.strip())

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Declares the bearer token in the OpenAPI schema."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A workspace API token (`csos_...`), created by an admin under "
            "Settings > API tokens, with the scopes `ingest`, `read` and/or `write`.",
        }
