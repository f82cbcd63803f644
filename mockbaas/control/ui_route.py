"""The dashboard under `/_mockbaas/ui`: three static files (package data, no build step,
nothing fetched from elsewhere) and one data route, the snapshot the page renders.

The files hold no data, so with a control token they are served without it (a browser
cannot send a header when it opens a page); the snapshot is a control route like any
other. The page reads the token from its URL fragment (`#token=...`), never sent to
the server nor logged, and passes it on each call."""

from __future__ import annotations

from importlib.resources import files

from aiohttp import web

from ..errors import invalid
from ..web.calls import MOCK, json_response
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
MAX_LIMIT = 1000

_cache: dict[str, bytes] = {}


async def ui_file(request: web.Request) -> web.Response:
    name, content_type = UI_FILES[request.path]
    body = _cache.get(name)
    if body is None:
        body = _cache[name] = files("mockbaas").joinpath("ui", name).read_bytes()
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=HEADERS)


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    # ASCII digits only ("²".isdigit() is true), and few: int() of 5,000 digits raises
    digits = raw.lstrip("0")
    if not (raw.isascii() and raw.isdigit() and 0 < len(digits) <= 4) or int(digits) > MAX_LIMIT:
        raise invalid("query", "limit", f"must be an integer from 1 to {MAX_LIMIT}")
    return int(digits)


async def state(request: web.Request) -> web.Response:
    """Clock, bots, deliveries and traffic read at one virtual instant (four separate
    calls could straddle an advance); the latest `limit` of each, oldest first."""
    limit = _limit(request)
    mock = request.app[MOCK]
    await mock.clock.run_due()
    bots = list(mock.bots.bots.values())
    deliveries = list(mock.webhooks.journal)
    return json_response(
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
