"""The HTTP surface: routes from the contracts, auth, validation, errors as JSON.

Every Meeting BaaS operation is registered from the contract by operationId and wrapped
(`calls.endpoint`) so that, before a handler runs, the caller is authenticated and the
parameters and body have passed the compiled schemas; `Surface` wraps every route once
more, for what its path needs (the control guard, fault rules, the traffic log), and
answers whatever fails as JSON. Handlers stay thin: call the engine, return data.
The API's wrapped routes are also entered in the fast lane (lane.py), which runs them for
plain HTTP/1.1 calls without aiohttp's request machinery.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

from aiohttp import web

from ..accounts.urls import HANDLERS as account_handlers
from ..api_faults import DROPPED, intercept
from ..bots.urls import HANDLERS as bot_handlers
from ..bots.urls import media_routes
from ..calendars.urls import HANDLERS as calendar_handlers
from ..contract import Contract, Operation, control_path
from ..control import PREFIX as CONTROL_PREFIX
from ..control.access import ControlGuard, ensure_control_token
from ..control.urls import HANDLERS as control_handlers
from ..core import MockBaaS
from ..errors import MockError
from ..v2 import errors as v2_errors
from ..v2 import is_v2
from ..v2.urls import HANDLERS as v2_handlers
from ..zoom.urls import HANDLERS as zoom_handlers
from .calls import (
    IGNORED_PARAMS,
    MOCK,
    ApiRoute,
    Handler,
    Incoming,
    Route,
    endpoint,
    error_response,
    json_response,
)
from .documents import PATH as OPENAPI_PATH
from .documents import openapi_routes
from .lane import LANE, Lane

log = logging.getLogger("mockbaas.http")
#: The control API's 401 challenge (the API's own 401s follow Meeting BaaS, which sends none).
CONTROL_CHALLENGE = 'Bearer realm="mockbaas control API"'


class Surface:
    """What every route goes through: the control API's guard, API fault rules, errors as
    JSON and the traffic log. Each handler is wrapped once, when its route is added, with
    what its path needs (decided then, not per request). No aiohttp middleware: its chain
    costs coroutines and a partial per request (server CPU per GET /bots/meeting_data:
    63-76 µs with one, 55-57 µs without, bare aiohttp 31-36 µs)."""

    def __init__(self, mock: MockBaaS, guard: ControlGuard, lane: Lane | None = None) -> None:
        self.mock = mock
        self.guard = guard
        self.lane = lane

    def add(
        self,
        app: web.Application,
        method: str,
        path: str,
        handler: Route | ApiRoute,
        operation_id: str | None = None,
    ) -> None:
        wrapped = self.wrap(path, handler, operation_id)
        app.router.add_route(method, path, wrapped)
        # the API's operations take the fast lane too (HEAD and refusals stay aiohttp's)
        if self.lane is not None and operation_id is not None and not _is_control(path):
            if method not in ("HEAD", "*"):
                self.lane.routes.add(method, path, wrapped)

    def wrap(self, path: str, handler: Route | ApiRoute, operation_id: str | None) -> Route:
        if _is_control(path):
            return self._control(handler)
        if path == OPENAPI_PATH:
            return self._plain(handler)
        # what reaches here reads only what `Incoming` offers: `endpoint`'s routes, the
        # refusals and the fallback (the last two never run on the lane)
        return self._api(cast(ApiRoute, handler), operation_id)

    def _api(self, handler: ApiRoute, operation_id: str | None) -> ApiRoute:
        mock = self.mock

        async def api_call(request: Incoming) -> web.StreamResponse:
            try:
                faulty = None
                if mock.api_faults.rules:  # the usual case, none, costs no call
                    faulty = intercept(mock.api_faults, operation_id, request, handler)
                response = await (faulty if faulty is not None else handler(request))
                error = None
            except Exception as exc:  # every failure is answered as JSON
                response, error = _failure(request, exc)
            mock.traffic.record(
                mock.clock.now(),
                request.method,
                request.path,
                request.query_string,
                operation_id,
                # a dropped connection answered nothing: no status to log
                None if error is not None and error.code == DROPPED else response.status,
                None if error is None else _logged(error, request.path),
                request.get(IGNORED_PARAMS, ()),
                error is not None and error.behaviour,
            )
            return response

        return api_call

    def _control(self, handler: Route) -> Route:
        guard = self.guard

        async def control_call(request: web.Request) -> web.StreamResponse:
            try:
                guard.check(request)
                return await handler(request)
            except Exception as exc:  # every failure is answered as JSON
                response = _failure(request, exc)[0]
                if response.status == 401:  # RFC 9110: a 401 names the scheme it wants
                    response.headers["WWW-Authenticate"] = CONTROL_CHALLENGE
                return response

        return control_call

    def _plain(self, handler: Route) -> Route:
        async def plain_call(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except Exception as exc:  # every failure is answered as JSON
                return _failure(request, exc)[0]

        return plain_call

    def add_fallback(self, app: web.Application) -> None:
        """Last, for any method and path no other route takes: a JSON 404, or a 405 with
        `Allow` when the path exists for other methods (the router would have said so in
        plain text, had this route not matched)."""

        async def unrouted(request: web.Request) -> web.StreamResponse:
            allowed: set[str] = set()
            for resource in request.app.router.resources():
                if resource is not fallback:
                    match, methods = await resource.resolve(request)
                    if match is None:
                        allowed |= methods
            if allowed:
                raise web.HTTPMethodNotAllowed(request.method, allowed)
            raise web.HTTPNotFound()

        api = self._api(cast(ApiRoute, unrouted), None)  # never on the lane: aiohttp's request
        control = self._control(unrouted)
        plain = self._plain(unrouted)

        async def fallback_call(request: web.Request) -> web.StreamResponse:
            path = request.path
            if _is_control(path):
                return await control(request)  # the guard first, as on the real routes
            if path == OPENAPI_PATH:
                return await plain(request)
            return await api(request)

        fallback = app.router.add_resource("/{tail:.*}")
        fallback.add_route("*", fallback_call)


def _failure(request: Incoming, exc: Exception) -> tuple[web.StreamResponse, MockError | None]:
    """The JSON answer to what a handler raised, and the error it reports."""
    if isinstance(exc, MockError):
        return error_response(exc, request.path), exc
    if isinstance(exc, web.HTTPInternalServerError):
        raise exc  # a contract breach (strict mode): already a JSON body
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        error = MockError(
            "method_not_allowed",
            f"{request.method} is not allowed on {request.path} (allowed: {allowed})",
        )
        # RFC 9110: a 405 lists the methods the resource does support
        response = error_response(error, request.path)
        response.headers["Allow"] = allowed
        return response, error
    if isinstance(exc, web.HTTPException):
        if exc.status == 404:
            error = MockError("not_found", f"no route for {request.method} {request.path}")
        elif exc.status == 413:
            error = MockError("payload_too_large", "request body is too large")
        elif exc.status >= 400:
            error = MockError("validation_error", exc.reason or "bad request")
            return json_response(exc.status, error.as_dict()), error
        else:
            raise exc
        return error_response(error, request.path), error
    # a bug in the mock: say so in JSON (and the log) instead of a bare text 500
    log.error("%s %s failed", request.method, request.path, exc_info=exc)
    body = {
        "error": "internal_error",
        "message": f"mockbaas failed on {request.method} "
        f"{request.path}; this is a bug in the mock (see its log)",
    }
    return json_response(500, body), None


def register(
    app: web.Application,
    surface: Surface,
    handlers: Mapping[str, Handler],
    contract: Contract | None = None,
    refuse_others: bool = True,
) -> None:
    """Route every contract operation to its handler; a missing handler is a bug.
    `refuse_others`: any other method on a path is a 405 there (the API's paths overlap)."""
    contract = contract or surface.mock.contract
    missing = sorted(set(contract.operations) - set(handlers))
    if missing:
        raise RuntimeError(f"operations without a handler: {', '.join(missing)}")
    by_path: dict[str, list[Operation]] = {}
    for op in contract.operations.values():
        by_path.setdefault(op.path, []).append(op)
    for path in sorted(by_path, key=route_order):
        variants = [path]
        if path.endswith("/") and len(path) > 1:
            variants.append(path.rstrip("/"))
        for variant in variants:
            allowed: set[str] = set()
            for op in by_path[path]:
                run = endpoint(op, handlers[op.operation_id], contract)
                # RFC 9110: a GET resource answers HEAD too (aiohttp sends no body for it)
                for method in (op.method, "HEAD") if op.method == "GET" else (op.method,):
                    surface.add(app, method, variant, run, op.operation_id)
                    allowed.add(method)
            # Any other method ends here with 405 and this path's own methods in Allow;
            # without it, DELETE /bots/meeting_data would fall through to DELETE /bots/{uuid}.
            if refuse_others:
                surface.add(app, "*", variant, _refuse(sorted(allowed)))


def route_order(path: str) -> tuple[tuple[bool, str], ...]:
    """Segment by segment, a static segment before a templated one: the first match wins,
    so /calendars/resync_all must come before /calendars/{uuid} and /bots/meeting_data
    before /bots/{uuid}, at any depth."""
    return tuple((segment.startswith("{"), segment) for segment in path.split("/"))


def _logged(error: MockError, path: str) -> dict[str, Any]:
    """An error as the traffic log keeps it: the body the client read (v2's envelope on a
    v2 route), so a test asserting on the log sees what its client saw."""
    if is_v2(path) and error.code != DROPPED:
        return v2_errors.render(error)[1]
    return error.as_dict()


def _is_control(path: str) -> bool:
    # the bare prefix too: `/_mockbaas` is no API path, and no guard-free door either
    return path.startswith(CONTROL_PREFIX) and path[
        len(CONTROL_PREFIX) : len(CONTROL_PREFIX) + 1
    ] in ("", "/")


def _refuse(allowed: list[str]) -> ApiRoute:
    async def refuse(request: Incoming) -> web.StreamResponse:
        raise web.HTTPMethodNotAllowed(request.method, allowed)

    return refuse


def make_app(mock: MockBaaS) -> web.Application:
    ensure_control_token(mock.settings)
    app = web.Application(client_max_size=mock.settings.max_body)
    app[MOCK] = mock
    lane = None
    if mock.settings.fast_lane:
        # read at each call: a reset builds a new world, fault rules included
        lane = app[LANE] = Lane(app, lambda: not mock.api_faults.rules, mock.settings.max_body)
    surface = Surface(mock, ControlGuard(mock.settings), lane)
    register(app, surface, control_handlers, Contract.load(control_path()))
    for method, path, handler in (*media_routes(), *openapi_routes(app)):
        surface.add(app, method, path, handler)
    handlers = {**bot_handlers, **calendar_handlers, **account_handlers, **zoom_handlers}
    register(app, surface, handlers)
    register(app, surface, v2_handlers, mock.contract_v2)
    surface.add_fallback(app)

    async def on_startup(_app: web.Application) -> None:
        mock.start()

    async def on_cleanup(_app: web.Application) -> None:
        await mock.shutdown()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
