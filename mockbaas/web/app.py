"""The HTTP surface: routes from the contracts, auth, validation, errors as JSON.

Every Meeting BaaS operation is registered from the contract by operationId and wrapped
(`calls.endpoint`) so that, before a handler runs, the caller is authenticated and the
parameters and body have passed the compiled schemas. Handlers stay thin: call the
engine, return data.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from ..accounts.urls import HANDLERS as account_handlers
from ..api_faults import Handler as Next
from ..api_faults import intercept
from ..bots.urls import HANDLERS as bot_handlers
from ..bots.urls import add_media_routes
from ..calendars.urls import HANDLERS as calendar_handlers
from ..contract import Contract, Operation, control_path
from ..control import PREFIX as CONTROL_PREFIX
from ..control.access import ControlGuard, ensure_control_token
from ..control.urls import HANDLERS as control_handlers
from ..core import MockBaaS
from ..errors import MockError
from ..v2.urls import HANDLERS as v2_handlers
from ..zoom.urls import HANDLERS as zoom_handlers
from .calls import IGNORED_PARAMS, MOCK, Handler, endpoint, error_response, json_response
from .documents import add_openapi_route

log = logging.getLogger("mockbaas.http")


def surface(guard: ControlGuard) -> Callable[..., Awaitable[web.StreamResponse]]:
    """The one middleware: the control API's guard, API fault rules, errors as JSON and
    the traffic log. One layer instead of three: each aiohttp middleware costs a
    coroutine and a partial per request, a fifth of a bare request's time."""

    @web.middleware
    async def middleware(request: web.Request, handler: Next) -> web.StreamResponse:
        path = request.path
        api = not path.startswith(CONTROL_PREFIX + "/") and path != "/openapi.json"
        response, error = await _answer(request, handler, guard, api)
        if api:
            mock = request.app[MOCK]
            mock.traffic.record(
                mock.clock.now(),
                request.method,
                path,
                request.query_string,
                getattr(request.match_info.handler, "operation_id", None),
                response.status,
                error.as_dict() if error is not None else None,
                request.get(IGNORED_PARAMS, ()),
                error is not None and error.behaviour,
            )
        return response

    return middleware


async def _answer(
    request: web.Request, handler: Next, guard: ControlGuard, api: bool
) -> tuple[web.StreamResponse, MockError | None]:
    """The response, and the error it reports (None on success)."""
    try:
        if not api:
            if request.path.startswith(CONTROL_PREFIX + "/"):
                guard.check(request)
            return await handler(request), None
        faulty = intercept(request.app[MOCK].api_faults, request, handler)
        return await (faulty if faulty is not None else handler(request)), None
    except MockError as exc:
        return error_response(exc, request.path), exc
    except web.HTTPInternalServerError:
        raise
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        error = MockError(
            "method_not_allowed",
            f"{request.method} is not allowed on {request.path} (allowed: {allowed})",
        )
        # RFC 9110: a 405 lists the methods the resource does support
        response = error_response(error, request.path)
        response.headers["Allow"] = allowed
        return response, error
    except web.HTTPException as exc:
        if exc.status == 404:
            error = MockError("not_found", f"no route for {request.method} {request.path}")
        elif exc.status == 413:
            error = MockError("payload_too_large", "request body is too large")
        elif exc.status >= 400:
            error = MockError("validation_error", exc.reason or "bad request")
            return json_response(exc.status, error.as_dict()), error
        else:
            raise
        return error_response(error, request.path), error
    except Exception:
        # a bug in the mock: say so in JSON (and the log) instead of a bare text 500
        log.exception("%s %s failed", request.method, request.path)
        body = {
            "error": "internal_error",
            "message": f"mockbaas failed on {request.method} "
            f"{request.path}; this is a bug in the mock (see its log)",
        }
        return json_response(500, body), None


def register(
    app: web.Application,
    mock: MockBaaS,
    handlers: Mapping[str, Handler],
    contract: Contract | None = None,
    refuse_others: bool = True,
) -> None:
    """Route every contract operation to its handler; a missing handler is a bug.
    `refuse_others`: any other method on a path is a 405 there (the API's paths overlap)."""
    contract = contract or mock.contract
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
            for op in by_path[path]:
                app.router.add_route(
                    op.method, variant, endpoint(op, handlers[op.operation_id], contract)
                )
            # Any other method ends here with 405 and this path's own methods in Allow;
            # without it, DELETE /bots/meeting_data would fall through to DELETE /bots/{uuid}.
            if refuse_others:
                allowed = sorted(o.method for o in by_path[path])
                app.router.add_route("*", variant, _refuse(allowed))


def route_order(path: str) -> tuple[tuple[bool, str], ...]:
    """Segment by segment, a static segment before a templated one: the first match wins,
    so /calendars/resync_all must come before /calendars/{uuid} and /bots/meeting_data
    before /bots/{uuid}, at any depth."""
    return tuple((segment.startswith("{"), segment) for segment in path.split("/"))


def _refuse(allowed: list[str]) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def refuse(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMethodNotAllowed(request.method, allowed)

    return refuse


def make_app(mock: MockBaaS) -> web.Application:
    ensure_control_token(mock.settings)
    app = web.Application(
        middlewares=[surface(ControlGuard(mock.settings))],
        client_max_size=mock.settings.max_body,
    )
    app[MOCK] = mock
    register(app, mock, control_handlers, Contract.load(control_path()), refuse_others=False)
    add_media_routes(app)
    add_openapi_route(app)
    handlers = {**bot_handlers, **calendar_handlers, **account_handlers, **zoom_handlers}
    register(app, mock, handlers)
    register(app, mock, v2_handlers, mock.contract_v2)

    async def on_startup(_app: web.Application) -> None:
        mock.start()

    async def on_cleanup(_app: web.Application) -> None:
        await mock.shutdown()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
