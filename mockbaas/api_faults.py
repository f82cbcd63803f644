"""Faults on the API itself, so a client's retry and timeout logic can be tested.

A rule matches calls by operationId and/or API key and, for each matching call, adds
real latency, answers an error status (with a body of the contract's `Error` schema and
an optional `Retry-After`) instead of the handler, or drops the connection without an
answer. It applies to the next `times` matching calls, or to each with a probability
drawn from a generator seeded from the server's seed and the rule's number: the same
seed and the same calls fault the same calls. Rules are checked in the order they were
added; the first one that fires applies. A reset clears them.

Latency is real time (the client's timeout is what is under test), at most
`MAX_LATENCY_S` seconds, and never moves the virtual clock.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .accounts.models import API_KEY_HEADER
from .contract.jsonio import dumps
from .errors import MockError, invalid, not_found, one_of
from .v2 import errors as v2_errors
from .v2 import is_v2

if TYPE_CHECKING:
    from .web.calls import Incoming

log = logging.getLogger("mockbaas.faults")

MAX_LATENCY_S = 30.0
#: Keeps fault draws apart from every other seeded stream.
FAULT_STREAM = 0xFA17

#: The `error` code of the contract's Error schema each injected status answers with.
ERROR_CODES = {
    400: "invalid_json",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}
SERVER_ERROR = "internal_error"  # any 5xx but 503
UNAVAILABLE = "service_unavailable"  # 503
CLIENT_ERROR = "validation_error"  # any other 4xx: the contract's generic refusal
#: the traffic log's error code for a call whose connection a fault dropped
DROPPED = "connection_reset"

FIELDS = (
    "operation_id",
    "account",
    "status",
    "message",
    "retry_after",
    "latency_seconds",
    "reset",
    "times",
    "probability",
)


@dataclass
class FaultRule:
    id: int
    operation_id: str | None = None
    account: str | None = None  # an API key
    status: int | None = None
    message: str | None = None
    retry_after: int | None = None
    latency_seconds: float = 0.0
    reset: bool = False
    times: int | None = None  # remaining; None: no limit
    probability: float | None = None
    hits: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def matches(self, operation_id: str | None, key: str | None) -> bool:
        if self.operation_id is not None and self.operation_id != operation_id:
            return False
        return self.account is None or self.account == key

    def fires(self) -> bool:
        """Whether it applies to this matching call; spends one of `times` if so."""
        if self.times is not None and self.times <= 0:
            return False
        if self.probability is not None and self.rng.random() >= self.probability:
            return False
        if self.times is not None:
            self.times -= 1
        self.hits += 1
        return True

    def error_body(self) -> dict[str, str]:
        assert self.status is not None
        code = ERROR_CODES.get(self.status)
        if code is None and self.status < 500:
            code = CLIENT_ERROR
        elif code is None:
            code = UNAVAILABLE if self.status == 503 else SERVER_ERROR
        message = self.message or f"injected fault {self.id}: HTTP {self.status}"
        return {"error": code, "message": message}

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation_id": self.operation_id,
            "account": self.account,
            "status": self.status,
            "message": self.message,
            "retry_after": self.retry_after,
            "latency_seconds": self.latency_seconds,
            "reset": self.reset,
            "times_left": self.times,
            "probability": self.probability,
            "hits": self.hits,
        }


class ApiFaults:
    """The rules of one server, in the order they were added."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rules: list[FaultRule] = []
        self._next = 1

    def add(self, body: dict[str, Any], operation_ids: frozenset[str]) -> FaultRule:
        """A rule from a control-API body whose fields control.json has typed and bounded;
        what is left are the rules between fields, each refused with a 4xx."""
        rule = FaultRule(id=self._next)
        op = body.get("operation_id")
        if op is not None and op not in operation_ids:
            raise invalid("body", "operation_id", one_of(op, operation_ids))
        rule.operation_id = op
        rule.account = body.get("account")
        rule.message = body.get("message")
        status = body.get("status")
        rule.status = None if status is None else int(status)
        retry = body.get("retry_after")
        if retry is not None:
            if rule.status is None:
                raise invalid("body", "retry_after", "only with a status")
            rule.retry_after = int(retry)
        if rule.message is not None and rule.status is None:
            raise invalid("body", "message", "only with a status")
        rule.latency_seconds = float(body.get("latency_seconds", 0))
        rule.reset = bool(body.get("reset", False))
        if rule.reset and rule.status is not None:
            raise invalid("body", "reset", "a dropped connection has no status")
        if rule.status is None and not rule.reset and not rule.latency_seconds:
            raise invalid("body", "", "give status, latency_seconds or reset")
        times = body.get("times")
        rule.times = None if times is None else int(times)
        probability = body.get("probability")
        rule.probability = None if probability is None else float(probability)
        rule.rng = random.Random((self.seed ^ FAULT_STREAM) * 1_000_003 + rule.id)
        self._next += 1
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: str) -> None:
        for rule in self.rules:
            if str(rule.id) == rule_id:
                self.rules.remove(rule)
                return
        raise not_found("fault", rule_id)

    def clear(self) -> None:
        self.rules.clear()

    def pick(self, operation_id: str | None, key: str | None) -> FaultRule | None:
        for rule in self.rules:
            if rule.matches(operation_id, key) and rule.fires():
                return rule
        return None


Handler = Callable[["Incoming"], Awaitable[web.StreamResponse]]


def intercept(
    faults: ApiFaults | None, operation_id: str | None, request: Incoming, handler: Handler
) -> Awaitable[web.StreamResponse] | None:
    """The answer a fault rule gives `request` (a Meeting BaaS operation), or None when
    no rule applies: a plain check, so requests without faults pay no extra coroutine."""
    if faults is None or not faults.rules:
        return None
    if operation_id is None:
        return None
    rule = faults.pick(operation_id, request.headers.get(API_KEY_HEADER))
    if rule is None:
        return None
    return _faulty(rule, request, handler)


async def _faulty(rule: FaultRule, request: Incoming, handler: Handler) -> web.StreamResponse:
    log.info("fault %d on %s %s", rule.id, request.method, request.path)
    if rule.latency_seconds:
        await asyncio.sleep(rule.latency_seconds)
    if rule.reset:
        transport = request.transport if isinstance(request, web.BaseRequest) else None
        if transport is not None:  # (the fast lane steps aside while fault rules are set)
            transport.abort()  # no answer: the client sees a reset
        # the traffic log records the call with no status: nobody reads an answer now
        raise MockError(
            DROPPED,
            f"injected fault {rule.id}: the connection was dropped without an answer",
            behaviour=True,
        )
    if rule.status is None:
        return await handler(request)
    headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else None
    body = rule.error_body()
    if is_v2(request.path):  # a v2 client reads the v2 envelope
        _, body = v2_errors.render_status(rule.status, body["message"], rule.retry_after)
    # as compact as every other answer, and as plain a media type
    return web.Response(
        status=rule.status, body=dumps(body), content_type="application/json", headers=headers
    )
