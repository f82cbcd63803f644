"""Control routes of the live streams: what was streamed, and faults on purpose."""

from __future__ import annotations

from ..control.responses import body_of
from ..errors import conflict, not_found
from ..web.calls import Call, Handler, Reply
from .session import BotStream


def _stream(call: Call) -> BotStream:
    mock = call.mock
    uuid = call.params["uuid"]
    bot = mock.bots.find(uuid)  # 404 for an unknown bot
    stream = mock.streams.find(bot.uuid)
    if stream is None:
        raise not_found("stream of bot", uuid)
    return stream


async def get_stream(call: Call) -> Reply:
    await call.mock.clock.run_due()
    return 200, _stream(call).view()


async def stream_faults(call: Call) -> Reply:
    """`{"drop": true}` breaks the input connection now (it is dialed again after the
    backoff); `{"stall_seconds": N}` sends nothing for N virtual seconds, then catches up.
    control.json names the faults and bounds the stall."""
    mock = call.mock
    body = body_of(call)
    drop = body.get("drop", False)
    stall = body.get("stall_seconds")
    await mock.clock.run_due()
    stream = _stream(call)
    link = stream.input
    if link is None:
        raise conflict(f"bot {stream.bot.uuid} streams no input: nothing to drop or stall")
    if drop and not link.open:
        raise conflict(f"the input stream of bot {stream.bot.uuid} is {link.state}, not open")
    async with mock.clock.lock:
        if stall is not None:
            stream.stall(float(stall))
        if drop:
            stream.note(link.name, "drop", "fault: connection broken on purpose")
            link.dropped("fault: connection broken on purpose")
    return 200, stream.view()


#: the routes of control.json this module answers, by operationId
HANDLERS: dict[str, Handler] = {"getStream": get_stream, "streamFaults": stream_faults}
