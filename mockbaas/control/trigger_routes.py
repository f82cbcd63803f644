"""`POST /_mockbaas/webhooks/trigger`: send one webhook event now (see `mockbaas.trigger`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from ..errors import invalid
from ..trigger import account_for, trigger
from ..web.calls import MOCK, json_response
from .responses import _body, _text


async def trigger_event(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    body = await _body(request)
    unknown = sorted(set(body) - {"event", "bot_id", "url", "api_key"})
    if unknown:
        raise invalid("body", unknown[0], "unknown field; expected event, bot_id, url, api_key")
    event = _text(body, "event", required=True)
    url = _text(body, "url")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise invalid("body", "url", "must be an http(s) URL")
    account = account_for(mock, _text(body, "api_key"))
    subject, made = await trigger(mock, event, _text(body, "bot_id"), url, account)
    return json_response(200, {"subject": subject, "deliveries": [d.as_dict() for d in made]})
