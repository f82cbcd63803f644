"""`POST /_mockbaas/webhooks/trigger`: send one webhook event now (see `mockbaas.trigger`)."""

from __future__ import annotations

from ..trigger import account_for, trigger
from ..web.calls import Call, Reply
from .responses import body_of


async def trigger_event(call: Call) -> Reply:
    """The body's shape (an http(s) `url`, non-empty strings) is control.json's; which
    events exist and whom they may reach, `trigger`'s."""
    mock = call.mock
    body = body_of(call)
    account = account_for(mock, body.get("api_key"))
    subject, made = await trigger(mock, body["event"], body.get("bot_id"), body.get("url"), account)
    return 200, {"subject": subject, "deliveries": [d.as_dict() for d in made]}
