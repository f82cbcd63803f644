"""Control routes that move time by goal instead of by seconds: to a moment, until a
bot reaches a status, until nothing is pending."""

from __future__ import annotations

import asyncio
from typing import Any

from .. import stepping
from ..clock import parse_iso
from ..core import MockBaaS
from ..errors import invalid, not_found
from ..web.calls import Call, Reply
from .responses import MAX_ADVANCE_S, body_of

DEFAULT_MAX_S = 24 * 3600


def _max_ms(body: dict[str, Any]) -> int:
    seconds = body.get("max_seconds")
    return DEFAULT_MAX_S * 1000 if seconds is None else int(round(seconds * 1000))


def _settle(mock: MockBaaS) -> stepping.Settle:
    """Wait for the webhook posts and stream frames each step made due, as `advance` does."""

    async def settle() -> object:
        bound = mock.settings.advance_wait
        return await asyncio.gather(mock.webhooks.settle(bound), mock.streams.settle(bound))

    return settle


async def advance_to(call: Call) -> Reply:
    mock = call.mock
    text = body_of(call)["time"]
    try:
        target = parse_iso(text)
    except ValueError:
        raise invalid("body", "time", "must be an ISO-8601 date-time") from None
    if not mock.clock.now() <= target <= mock.clock.now() + MAX_ADVANCE_S * 1000:
        raise invalid("body", "time", "must be between now and one year ahead")
    fired = await stepping.advance_to(mock.clock, target, _settle(mock))
    return 200, {"fired": fired, **mock.clock.snapshot()}


def _reached(mock: MockBaaS, status: str, bot_id: str | None) -> bool:
    bots = [mock.bots.find(bot_id)] if bot_id else list(mock.bots.bots.values())
    return any(
        bot.outcome == status or any(e["code"] == status for e in bot.history) for bot in bots
    )


async def advance_until(call: Call) -> Reply:
    mock = call.mock
    body = body_of(call)
    status: str = body["status"]  # a status code, complete or failed (control.json)
    bot_id: str | None = body.get("bot_id")
    if bot_id is not None and bot_id not in mock.bots.bots:
        raise not_found("bot", bot_id)
    max_ms = _max_ms(body)
    reached, fired = await stepping.advance_until(
        mock.clock,
        lambda: _reached(mock, status, bot_id),
        max_ms,
        _settle(mock),
    )
    return 200, {"reached": reached, "fired": fired, **mock.clock.snapshot()}


async def run_until_idle(call: Call) -> Reply:
    mock = call.mock
    idle, fired = await stepping.run_until_idle(mock.clock, _max_ms(body_of(call)), _settle(mock))
    return 200, {"idle": idle, "fired": fired, **mock.clock.snapshot()}
