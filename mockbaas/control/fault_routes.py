"""Control routes for faults on the API (see `mockbaas.api_faults`)."""

from __future__ import annotations

from aiohttp import web

from ..web.calls import MOCK, json_response
from .responses import _body


async def list_faults(request: web.Request) -> web.Response:
    faults = request.app[MOCK].api_faults
    return json_response(200, {"faults": [r.as_dict() for r in faults.rules]})


async def add_fault(request: web.Request) -> web.Response:
    mock = request.app[MOCK]
    body = await _body(request)
    rule = mock.api_faults.add(body, set(mock.contract.operations))
    return json_response(201, rule.as_dict())


async def clear_faults(request: web.Request) -> web.Response:
    request.app[MOCK].api_faults.clear()
    return json_response(200, {"faults": []})


async def remove_fault(request: web.Request) -> web.Response:
    faults = request.app[MOCK].api_faults
    faults.remove(request.match_info["id"])
    return json_response(200, {"faults": [r.as_dict() for r in faults.rules]})
