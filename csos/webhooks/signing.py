"""Standard Webhooks signatures (https://www.standardwebhooks.com), made by its own library.

During a secret's rotation both the new and the previous secret sign, so a receiver still on
the old secret verifies until the overlap ends."""

import base64
import datetime as dt
import secrets

from standardwebhooks.webhooks import Webhook

SECRET_BYTES = 24


def secret_new() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(
    *, webhook_id: str, timestamp: dt.datetime, body: bytes, secrets_in_use: list[str]
) -> dict[str, str]:
    """The three Standard Webhooks headers, with one signature per secret in use."""
    signatures = " ".join(
        Webhook(secret).sign(msg_id=webhook_id, timestamp=timestamp, data=body)
        for secret in secrets_in_use
    )
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }
