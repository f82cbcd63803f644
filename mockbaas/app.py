"""The HTTP surface: routes from `openapi.json`, auth, validation, errors as JSON.

Every Meeting BaaS operation is registered from the contract by operationId and wrapped
so that, before a handler runs, the caller is authenticated and the parameters and
body have passed the compiled schemas. Handlers stay thin: call the engine, return data.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .accounts.models import API_KEY_HEADER, Account
from .contract import Contract, Operation
from .control import PREFIX as CONTROL_PREFIX
from .core import MockBaaS
from .errors import Detail, MockError, invalid
from .jsonio import dumps
from .v2 import PREFIX as V2_PREFIX
from .v2 import errors as v2_errors

log = logging.getLogger("mockbaas.http")

MOCK: web.AppKey[MockBaaS] = web.AppKey("mock", MockBaaS)

STATUS = {
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "validation_error": 422,
    "invalid_json": 400,
    "rate_limited": 429,
}


@dataclass
class Call:
    """What a handler gets: the world, the caller, and input that already passed the
    contract."""

    mock: MockBaaS
    account: Account
    params: dict[str, Any]
    body: Any
    request: web.Request


Reply = tuple[int, Any] | web.StreamResponse
Handler = Callable[[Call], Reply | Awaitable[Reply]]


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    if payload is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status, body=dumps(payload), content_type="application/json", headers=headers
    )


def error_response(error: MockError, path: str = "") -> web.Response:
    if path.startswith(V2_PREFIX):
        return json_response(*v2_errors.render(error))
    status = STATUS.get(error.code, 400)
    if error.code == "validation_error" and error.details:
        if error.details[0].location in ("query", "path", "header"):
            status = 400
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    return json_response(status, error.as_dict(), headers)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 would come back as null (or Infinity)
        raise ValueError(f"{text} is out of the range of a double")
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


#: An absent body, as opposed to a JSON `null` (which is validated like any other value).
NO_BODY: Any = object()
#: Deeper bodies are refused: no real payload needs them, and re-encoding one later (a
#: response, a webhook) could exhaust the stack long after the request was accepted.
MAX_JSON_DEPTH = 64


def _lone_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return True
    return False


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


async def read_body(request: web.Request, op: Operation, limit: int) -> Any:
    if request.content_length is not None and request.content_length > limit:
        raise MockError("payload_too_large", f"request body exceeds {limit} bytes")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise MockError("payload_too_large", f"request body exceeds {limit} bytes") from None
    if not raw.strip():
        if op.body_required:
            raise MockError(
                "validation_error",
                "a JSON request body is required",
                [Detail("body", "", "a JSON request body is required")],
            )
        return NO_BODY
    media = request.content_type
    if media != "application/json" and not media.endswith("+json"):
        got = request.headers.get("Content-Type") or "no Content-Type"
        raise MockError("unsupported_media_type", f"send the body as application/json (got {got})")
    return decode_json(raw)


def decode_json(raw: bytes) -> Any:
    """A request body as JSON, or a 400 naming what is wrong (never a crash: not on
    deep nesting, huge numbers, NaN or lone surrogates)."""
    try:
        body = json.loads(
            raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise MockError("invalid_json", f"request body is not valid JSON: {exc}") from None
    except RecursionError:
        body = raw  # nested far too deeply even to parse
    # counting brackets is cheap and spares the walk for every ordinary body
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and (
        body is raw or _deeper_than(body, MAX_JSON_DEPTH)
    ):
        raise MockError(
            "invalid_json", f"request body is nested deeper than {MAX_JSON_DEPTH} levels"
        )
    if (b"\\ud" in raw or b"\\uD" in raw) and _lone_surrogate(body):
        # legal JSON syntax, but not text: it could never be stored, answered or sent on
        raise MockError(
            "invalid_json",
            "request body is not valid JSON: it has an unpaired UTF-16 surrogate (\\ud800-\\udfff)",
        )
    return body


def endpoint(
    op: Operation, handler: Handler, contract: Contract | None = None
) -> Callable[[web.Request], Awaitable[Any]]:
    is_async = inspect.iscoroutinefunction(handler)

    async def run(request: web.Request) -> web.StreamResponse:
        mock = request.app[MOCK]
        account = None
        if op.secured:
            headers = request.headers
            account = mock.accounts.authenticate(
                headers.get(API_KEY_HEADER), headers.get("Authorization")
            )
        params = op.coerce_params({"query": request.query, "path": request.match_info})
        body = None
        if op.body_media is not None:
            body = await read_body(request, op, mock.settings.max_body)
            if body is NO_BODY:
                body = None
            else:
                op.validate_body(body)
                check_webhook_target(mock, body)
        call = Call(mock, account, params, body, request)  # type: ignore[arg-type]
        result = await handler(call) if is_async else handler(call)  # type: ignore[misc]
        response = result if isinstance(result, web.StreamResponse) else json_response(*result)
        if mock.settings.strict:
            check_response(contract or mock.contract, op, response)
        return response

    run.__name__ = op.operation_id
    run.operation_id = op.operation_id  # type: ignore[attr-defined]  # for the traffic log
    return run


def check_webhook_target(mock: MockBaaS, body: Any) -> None:
    """A `webhook_url` the target policy refuses is a 422 here, before anything changes
    (every body that names a webhook target names it `webhook_url`)."""
    url = body.get("webhook_url") if isinstance(body, dict) else None
    if isinstance(url, str) and url:
        refusal = mock.targets.refusal(url)
        if refusal is not None:
            raise invalid("body", "webhook_url", refusal)


def check_response(contract: Contract, op: Operation, response: web.StreamResponse) -> None:
    body = response.body if isinstance(response, web.Response) else b""
    problems = contract.response_errors(op.operation_id, response.status, body or b"")
    if problems:
        log.error("%s answered outside the contract: %s", op.operation_id, problems)
        raise web.HTTPInternalServerError(
            text=json.dumps(
                {
                    "error": "contract_breach",
                    "message": f"{op.operation_id} answered {response.status} outside "
                    f"openapi.json: {'; '.join(problems[:5])}",
                }
            ),
            content_type="application/json",
        )


@web.middleware
async def errors_as_json(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response, error = await _answer(request, handler)
    if not request.path.startswith(CONTROL_PREFIX + "/") and request.path != "/openapi.json":
        mock = request.app[MOCK]
        mock.traffic.record(
            mock.clock.now(),
            request.method,
            request.path,
            request.query_string,
            getattr(request.match_info.handler, "operation_id", None),
            response.status,
            error.as_dict() if error is not None else None,
        )
    return response


async def _answer(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> tuple[web.StreamResponse, MockError | None]:
    """The response, and the error it reports (None on success)."""
    try:
        return await handler(request), None
    except MockError as error:
        return error_response(error, request.path), error
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
    handlers: dict[str, Handler],
    contract: Contract | None = None,
) -> None:
    """Route every contract operation to its handler; a missing handler is a bug."""
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
            app.router.add_route("*", variant, _refuse(sorted(o.method for o in by_path[path])))


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
    from .accounts.urls import HANDLERS as account_handlers
    from .api_faults import middleware as api_faults
    from .bots.urls import HANDLERS as bot_handlers
    from .bots.urls import add_media_routes
    from .calendars.urls import HANDLERS as calendar_handlers
    from .control.access import ControlGuard, ensure_control_token
    from .control.urls import add_control_routes
    from .openapi_route import add_openapi_route
    from .v2.urls import HANDLERS as v2_handlers
    from .v2.urls import add_v2_control_routes
    from .zoom.urls import HANDLERS as zoom_handlers

    ensure_control_token(mock.settings)
    guard = ControlGuard(mock.settings)
    faults = api_faults(lambda request: request.app[MOCK].api_faults)
    app = web.Application(
        middlewares=[errors_as_json, guard.middleware, faults],
        client_max_size=mock.settings.max_body,
    )
    app[MOCK] = mock
    add_control_routes(app)
    add_media_routes(app)
    add_openapi_route(app)
    handlers = {**bot_handlers, **calendar_handlers, **account_handlers, **zoom_handlers}
    register(app, mock, handlers)
    add_v2_control_routes(app)
    register(app, mock, v2_handlers, mock.contract_v2)

    async def on_startup(_app: web.Application) -> None:
        mock.start()

    async def on_cleanup(_app: web.Application) -> None:
        await mock.shutdown()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
