"""Meeting BaaS v2, served beside v1 by the same engine: its own contract
(`openapi-v2.json`), envelopes, error shape, status names and signed webhooks."""

from __future__ import annotations

PREFIX = "/v2/"
