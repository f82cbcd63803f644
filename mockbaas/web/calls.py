"""What a handler deals in: the call it gets, the replies it gives, JSON in and out.

Handlers (`*/responses.py`) import this module only; `web/app.py` assembles the routes.
So arrows run one way: app -> urls -> responses -> calls.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from aiohttp import web

from ..accounts.models import API_KEY_HEADER, Account
from ..contract import Contract, Operation, control_path
from ..contract.jsonio import dumps, has_long_number
from ..core import MockBaaS
from ..errors import Detail, MockError, did_you_mean, invalid
from ..streaming.session import target_problem
from ..v2 import errors as v2_errors
from ..v2 import is_v2

__all__ = ["MOCK", "Call", "Reply", "Handler", "Route", "dumps", "decode_json", "json_response"]

log = logging.getLogger("mockbaas.http")

MOCK: web.AppKey[MockBaaS] = web.AppKey("mock", MockBaaS)
#: query parameters a call sent that its operation does not declare
IGNORED_PARAMS: web.RequestKey[tuple[str, ...]] = web.RequestKey("ignored_params", tuple)

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


class Incoming(Protocol):
    """What the API's routes read of a request. aiohttp's `web.Request` has all of it, and
    so has the fast lane's lighter `lane.LaneRequest`: a route needing more (the transport,
    streaming the body) is no route of the lane."""

    @property
    def app(self) -> web.Application: ...
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def query_string(self) -> str: ...
    @property
    def query(self) -> Mapping[str, str]: ...
    @property
    def match_info(self) -> Mapping[str, str]: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def content_length(self) -> int | None: ...
    @property
    def content_type(self) -> str: ...
    async def read(self) -> bytes: ...
    def __setitem__(self, key: web.RequestKey[Any], value: Any, /) -> None: ...
    def get(self, key: web.RequestKey[Any], default: Any, /) -> Any: ...


@dataclass
class Call:
    """What a handler gets: the world, the caller, and input that already passed the
    contract."""

    mock: MockBaaS
    caller: Account | None  # None only on the operations the contract leaves open
    params: dict[str, Any]
    body: Any
    request: Incoming

    @property
    def account(self) -> Account:
        """The authenticated caller: every handler that asks serves a secured operation."""
        if self.caller is None:
            raise RuntimeError("an open operation has no account")
        return self.caller


Reply = tuple[int, Any] | web.StreamResponse
Handler = Callable[[Call], Reply | Awaitable[Reply]]
#: what aiohttp routes to: a request in, a response out (media, the contract document)
Route = Callable[[web.Request], Coroutine[Any, Any, web.StreamResponse]]
#: an API route: what it reads of a request, the fast lane's request has too
ApiRoute = Callable[[Incoming], Coroutine[Any, Any, web.StreamResponse]]


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    if payload is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status, body=dumps(payload), content_type="application/json", headers=headers
    )


def error_response(error: MockError, path: str = "") -> web.Response:
    if is_v2(path):
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


async def read_body(request: Incoming, op: Operation, limit: int) -> Any:
    length = request.content_length
    if length is not None and length > limit:
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


_SLOW: Any = object()


def _fast(raw: bytes) -> Any:
    """orjson's reading of an ordinary body, or `_SLOW` when the careful path below must
    decide (anything orjson refuses, so errors keep their exact wording; long integers;
    bodies deep or escaped enough to need the checks)."""
    if has_long_number(raw) or b"\\u" in raw:
        return _SLOW
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
        return _SLOW
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _SLOW


def _too_deep() -> MockError:
    return MockError("invalid_json", f"request body is nested deeper than {MAX_JSON_DEPTH} levels")


def decode_json(raw: bytes) -> Any:
    """A request body as JSON, or a 400 naming what is wrong (never a crash: not on
    deep nesting, huge numbers, NaN or lone surrogates)."""
    body = _fast(raw)
    if body is not _SLOW:
        return body
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
        # orjson descends without Python frames and stops at 1,024 levels: the deep cases
        # never reach the standard parser, whose recursion near the interpreter's limit
        # leaves no stack for anything the collector finalizes meanwhile
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            if str(exc).startswith("depth limit exceeded"):
                raise _too_deep() from None
        else:
            if _deeper_than(parsed, MAX_JSON_DEPTH):
                raise _too_deep()
    try:
        body = json.loads(
            raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float
        )
    except (ValueError, UnicodeDecodeError) as exc:
        if "integer string conversion" in str(exc):  # Python's guard on huge integers
            limit = sys.get_int_max_str_digits()
            raise MockError(
                "invalid_json", f"request body has an integer of more than {limit} digits"
            ) from None
        raise MockError("invalid_json", f"request body is not valid JSON: {exc}") from None
    except RecursionError:
        body = raw  # nested far too deeply even to parse
    # counting brackets is cheap and spares the walk for every ordinary body
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and (
        body is raw or _deeper_than(body, MAX_JSON_DEPTH)
    ):
        raise _too_deep()
    if (b"\\ud" in raw or b"\\uD" in raw) and _lone_surrogate(body):
        # legal JSON syntax, but not text: it could never be stored, answered or sent on
        raise MockError(
            "invalid_json",
            "request body is not valid JSON: it has an unpaired UTF-16 surrogate (\\ud800-\\udfff)",
        )
    return body


CONTROL_SOURCE = control_path().name  # how a compiled contract names the control API's


def endpoint(op: Operation, handler: Handler, contract: Contract | None = None) -> ApiRoute:
    # Our own control API refuses a filter it does not know: `?violation=true` for
    # `violations` would otherwise answer everything, looking like a filter that matched.
    # (The Meeting BaaS API ignores unknown names, so the mock does too, and logs them.)
    declared = sorted(p.name for p in op.params if p.location == "query")
    refuse_unknown = contract is not None and contract.source == CONTROL_SOURCE and declared

    async def run(request: Incoming) -> web.StreamResponse:
        mock = request.app[MOCK]
        account = None
        if op.secured:
            headers = request.headers
            account = mock.accounts.authenticate(
                headers.get(API_KEY_HEADER), headers.get("Authorization")
            )
        query = request.query
        if refuse_unknown and query and (unknown := op.unknown_query(query)):
            hint = did_you_mean(unknown[0], declared)
            expected = ", ".join(declared)
            raise invalid("query", unknown[0], f"unknown parameter; expected {expected}{hint}")
        params = op.coerce_params({"query": query, "path": request.match_info}) if op.params else {}
        # undeclared query names are answered as the real API does and flagged in the
        # traffic log; set even when empty (a missing key costs the log an exception)
        request[IGNORED_PARAMS] = op.unknown_query(query) if query else ()
        body = None
        if op.body_media is not None:
            body = await read_body(request, op, mock.settings.max_body)
            if body is NO_BODY:
                body = None
            else:
                op.validate_body(body)
                check_webhook_target(mock, body)
                if fields := op.ignored_fields(body):  # flagged beside the query's
                    request[IGNORED_PARAMS] = (*request.get(IGNORED_PARAMS, ()), *fields)
        call = Call(mock, account, params, body, request)
        outcome = handler(call)
        response: web.StreamResponse
        if isinstance(outcome, tuple):  # the usual reply, tested first: StreamResponse is an
            response = json_response(*outcome)  # ABC, slow to check against
        else:
            result = outcome if isinstance(outcome, web.StreamResponse) else await outcome
            response = json_response(*result) if isinstance(result, tuple) else result
        if mock.settings.strict:
            check_response(contract or mock.contract, op, response)
        return response

    run.__name__ = op.operation_id
    return run


def check_webhook_target(mock: MockBaaS, body: Any) -> None:
    """A `webhook_url` or a `streaming` endpoint the target policy refuses is a 422 here,
    before anything changes (every v1 body that names a webhook target names it
    `webhook_url`; streaming endpoints are checked again before every dial)."""
    if not isinstance(body, dict):
        return
    refusal, where = None, ""
    url = body.get("webhook_url")
    if isinstance(url, str) and url:
        refusal, where = mock.targets.refusal(url), "webhook_url"
    streaming = body.get("streaming")
    if refusal is None and isinstance(streaming, dict):
        for name in ("input", "output"):
            endpoint = streaming.get(name)
            if isinstance(endpoint, str) and endpoint:
                problem = target_problem(endpoint, mock.targets.refusal)
                if problem is not None and problem.startswith("stream target refused"):
                    refusal, where = problem, f"streaming.{name}"
                    break
    if refusal is not None:
        error = invalid("body", where, refusal)
        error.behaviour = True  # the mock's policy, not the contract
        raise error


def check_response(contract: Contract, op: Operation, response: web.StreamResponse) -> None:
    raw = response.body if isinstance(response, web.Response) else None
    body = raw if isinstance(raw, (bytes, bytearray)) else b""  # no handler streams a Payload
    problems = contract.response_errors(op.operation_id, response.status, body)
    if problems:
        log.error("%s answered outside the contract: %s", op.operation_id, problems)
        raise web.HTTPInternalServerError(
            text=json.dumps(
                {
                    "error": "contract_breach",
                    "message": f"{op.operation_id} answered {response.status} outside "
                    f"{contract.source}: {'; '.join(problems[:5])}",
                }
            ),
            content_type="application/json",
        )
