"""Account operations by operationId (paths come from openapi.json)."""

from __future__ import annotations

from . import responses as r

HANDLERS = {"get_webhook_url": r.get_webhook_url, "set_webhook_url": r.set_webhook_url}
