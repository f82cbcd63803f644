"""The dashboard under `/_mockbaas/ui`: three static files (package data, no build step,
nothing fetched from elsewhere) and one data route, the snapshot the page renders.

The files hold no data, so with a control token they are served without it (a browser
cannot send a header when it opens a page); the snapshot is a control route like any
other. The page reads the token from its URL fragment (`#token=...`), never sent to
the server nor logged, and passes it on each call."""

from __future__ import annotations

from importlib.resources import files

from aiohttp import web

from ..web.calls import Call, Reply
from . import UI_FILES

#: Only this mock's own files and API: no CDN, no inline script, no framing (the
#: advance buttons must not be clickjacked).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
DEFAULT_LIMIT = 200

_cache: dict[str, bytes] = {}


def ui_file(call: Call) -> Reply:
    name, content_type = UI_FILES[call.request.path]
    body = _cache.get(name)
    if body is None:
        body = _cache[name] = files("mockbaas").joinpath("ui", name).read_bytes()
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=HEADERS)


def _limit(call: Call) -> int:
    """1 to 1000 in ASCII digits, leading zeros allowed (control.json's pattern): at
    most four digits once they are gone, so int() is cheap."""
    raw = call.params.get("limit")
    return DEFAULT_LIMIT if raw is None else int(raw.lstrip("0"))


async def state(call: Call) -> Reply:
    """Clock, bots, deliveries and traffic read at one virtual instant (four separate
    calls could straddle an advance); the latest `limit` of each, oldest first."""
    limit = _limit(call)
    mock = call.mock
    await mock.clock.run_due()
    bots = list(mock.bots.bots.values())
    deliveries = list(mock.webhooks.journal)
    return (
        200,
        {
            "clock": mock.clock.snapshot(),
            "bots": {
                "total": len(bots),
                "items": [mock.bots.describe(b) for b in bots[-limit:]],
            },
            "deliveries": {
                "total": len(deliveries),
                "items": [d.as_dict() for d in deliveries[-limit:]],
            },
            "journal": mock.webhooks.journal.stats(),
            "requests": {
                "total": len(mock.traffic),
                "items": [e.as_dict() for e in mock.traffic.latest(limit)],
            },
        },
    )
