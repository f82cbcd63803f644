"""v2 webhook signatures, the Standard Webhooks scheme Svix uses.

The signed content is `{id}.{timestamp}.{body}`; the key is the base64 part of the
account's `whsec_` secret; `svix-signature` is `v1,` + base64(HMAC-SHA256). The secret
is derived from the server seed and the API key, so a receiver's configured secret stays
valid across restarts and resets with the same seed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SECRET_PREFIX = "whsec_"
CALLBACK_SECRET_HEADER = "x-mb-secret"


def account_secret(seed: int, api_key: str) -> str:
    raw = hmac.new(f"mockbaas-v2:{seed}".encode(), api_key.encode(), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(raw[:24]).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def svix_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Svix's branded headers and the Standard Webhooks ones, as Svix can send: the `svix`
    package reads the first, `standardwebhooks` the second; same id, time and signature."""
    signature = sign(secret, msg_id, timestamp, body)
    stamp = str(timestamp)
    return {
        "svix-id": msg_id,
        "svix-timestamp": stamp,
        "svix-signature": signature,
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": signature,
    }
