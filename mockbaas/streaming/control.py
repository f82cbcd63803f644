"""Control routes of the live streams: what was streamed, and faults on purpose."""

from __future__ import annotations

from aiohttp import web

from ..control import PREFIX
from ..control.responses import MAX_ADVANCE_S, _body, _number
from ..errors import conflict, invalid, not_found
from ..web.calls import MOCK, json_response
from .session import BotStream


def _stream(request: web.Request) -> BotStream:
    mock = request.app[MOCK]
    uuid = request.match_info["uuid"]
    bot = mock.bots.find(uuid)  # 404 for an unknown bot
    stream = mock.streams.find(bot.uuid)
    if stream is None:
        raise not_found("stream of bot", uuid)
    return stream


async def get_stream(request: web.Request) -> web.Response:
    await request.app[MOCK].clock.run_due()
    return json_response(200, _stream(request).view())


async def stream_faults(request: web.Request) -> web.Response:
    """`{"drop": true}` breaks the input connection now (it is dialed again after the
    backoff); `{"stall_seconds": N}` sends nothing for N virtual seconds, then catches up."""
    mock = request.app[MOCK]
    body = await _body(request)
    unknown = set(body) - {"drop", "stall_seconds"}
    if unknown:
        raise invalid("body", sorted(unknown)[0], "unknown fault; expected drop or stall_seconds")
    if not body:
        raise invalid("body", "", "name a fault: drop or stall_seconds")
    drop = body.get("drop", False)
    if not isinstance(drop, bool):
        raise invalid("body", "drop", "must be true or false")
    stall = None
    if "stall_seconds" in body:
        stall = _number(body, "stall_seconds")
        if not 0 < stall <= MAX_ADVANCE_S:
            raise invalid("body", "stall_seconds", "must be above 0 and at most one year")
    await mock.clock.run_due()
    stream = _stream(request)
    link = stream.input
    if link is None:
        raise conflict(f"bot {stream.bot.uuid} streams no input: nothing to drop or stall")
    if drop and not link.open:
        raise conflict(f"the input stream of bot {stream.bot.uuid} is {link.state}, not open")
    async with mock.clock.lock:
        if stall is not None:
            stream.stall(stall)
        if drop:
            stream.note(link.name, "drop", "fault: connection broken on purpose")
            link.dropped("fault: connection broken on purpose")
    return json_response(200, stream.view())


def add_stream_routes(app: web.Application) -> None:
    app.router.add_route("GET", f"{PREFIX}/bots/{{uuid}}/stream", get_stream)
    app.router.add_route("POST", f"{PREFIX}/bots/{{uuid}}/stream/faults", stream_faults)
