"""Meeting BaaS v2, served beside v1 by the same engine: its own contract
(`openapi-v2.json`), envelopes, error shape, status names and signed webhooks."""

from __future__ import annotations

PREFIX = "/v2/"


def is_v2(path: str) -> bool:
    """Whether a v2 client sent this: its answers and errors take v2's envelope."""
    return path.startswith(PREFIX) or path == PREFIX[:-1]
