"""`GET /openapi.json`: the contract the mock serves, for clients and tools that read it
from the server (Swagger UI, code generators, schemathesis `--url`)."""

from __future__ import annotations

from aiohttp import web

from .calls import MOCK, Route, dumps

PATH = "/openapi.json"
_CACHE: web.AppKey[dict[str, bytes]] = web.AppKey("openapi_cache", dict)


async def serve_openapi(request: web.Request) -> web.Response:
    """openapi.json as is, but for `servers`: this mock's own base URL, so a tool that
    takes its base URL from the document calls the mock, not the real API."""
    mock = request.app[MOCK]
    base = mock.bots.public_url
    cache = request.app[_CACHE]
    if base not in cache:
        document = dict(mock.contract.document)
        document["servers"] = [{"url": base, "description": "this mockbaas server"}]
        cache.clear()
        cache[base] = dumps(document)
    return web.Response(body=cache[base], content_type="application/json")


def openapi_routes(app: web.Application) -> list[tuple[str, str, Route]]:
    """Its routes; the document cache they answer from is set on `app` here."""
    app[_CACHE] = {}
    return [("GET", PATH, serve_openapi), ("HEAD", PATH, serve_openapi)]
