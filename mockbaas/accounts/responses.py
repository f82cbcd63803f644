"""Thin handlers for the account operations."""

from __future__ import annotations

from ..web.calls import Call, Reply


def get_webhook_url(call: Call) -> Reply:
    return 200, {"webhook_url": call.account.webhook_url}


def set_webhook_url(call: Call) -> Reply:
    call.account.webhook_url = call.body["webhook_url"] or None
    return 200, {"webhook_url": call.account.webhook_url}
