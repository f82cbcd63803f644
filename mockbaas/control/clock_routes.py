"""Control routes that move time by goal instead of by seconds: to a moment, until a
bot reaches a status, until nothing is pending."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .. import stepping
from ..bots import lifecycle as lc
from ..clock import parse_iso
from ..core import MockBaaS
from ..errors import invalid, not_found
from ..web.calls import MOCK, json_response
from .responses import MAX_ADVANCE_S, _body, _number, _text

DEFAULT_MAX_S = 24 * 3600


def _max_ms(body: dict[str, Any]) -> int:
    if body.get("max_seconds") is None:
        return DEFAULT_MAX_S * 1000
    seconds = _number(body, "max_seconds")
    if not 0 <= seconds <= MAX_ADVANCE_S:
        raise invalid("body", "max_seconds", f"must be between 0 and {MAX_ADVANCE_S}")
    return int(round(seconds * 1000))


def _settle(mock: MockBaaS) -> stepping.Settle:
    """Wait for the webhook posts and stream frames each step made due, as `advance` does."""

    async def settle() -> object:
        bound = mock.settings.advance_wait
        return await asyncio.gather(mock.webhooks.settle(bound), mock.streams.settle(bound))

    return settle


def _only(body: dict[str, Any], *names: str) -> None:
    unknown = sorted(set(body) - set(names))
    if unknown:
        raise invalid("body", unknown[0], f"unknown field; expected {', '.join(names)}")


async def advance_to(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    body = await _body(request)
    _only(body, "time")
    text = _text(body, "time", required=True)
    try:
        target = parse_iso(text)
    except ValueError:
        raise invalid("body", "time", "must be an ISO-8601 date-time") from None
    if not mock.clock.now() <= target <= mock.clock.now() + MAX_ADVANCE_S * 1000:
        raise invalid("body", "time", "must be between now and one year ahead")
    fired = await stepping.advance_to(mock.clock, target, _settle(mock))
    return json_response(200, {"fired": fired, **mock.clock.snapshot()})


def _reached(mock: MockBaaS, status: str, bot_id: str | None) -> bool:
    bots = [mock.bots.find(bot_id)] if bot_id else list(mock.bots.bots.values())
    return any(
        bot.outcome == status or any(e["code"] == status for e in bot.history) for bot in bots
    )


async def advance_until(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    body = await _body(request)
    _only(body, "status", "bot_id", "max_seconds")
    status = _text(body, "status", required=True)
    bot_id = _text(body, "bot_id")
    if bot_id is not None and bot_id not in mock.bots.bots:
        raise not_found("bot", bot_id)
    known = set(lc.STATUS_CODES) | {"complete", "failed"}
    if status not in known:
        raise invalid("body", "status", f"one of {', '.join(sorted(known))}")
    max_ms = _max_ms(body)
    reached, fired = await stepping.advance_until(
        mock.clock,
        lambda: _reached(mock, status, bot_id),
        max_ms,
        _settle(mock),
    )
    return json_response(200, {"reached": reached, "fired": fired, **mock.clock.snapshot()})


async def run_until_idle(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    body = await _body(request)
    _only(body, "max_seconds")
    idle, fired = await stepping.run_until_idle(mock.clock, _max_ms(body), _settle(mock))
    return json_response(200, {"idle": idle, "fired": fired, **mock.clock.snapshot()})
