"""How a webhook POST leaves the mock.

The dispatcher decides what to post and when; a `Transport` only posts. Keeping the
socket out of the dispatcher lets retry, order and fault logic be tested in memory, and
lets the HTTP client change without touching delivery semantics.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

#: What is posted: the bytes, or what renders them (called once a connection is free,
#: so thousands of queued `complete` events never hold their bodies at once).
Body = bytes | Callable[[], bytes]


def rendered(body: Body) -> bytes:
    return body if isinstance(body, bytes) else body()


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int | None  # the HTTP status, when the receiver answered
    error: str | None  # None only for a 2xx


def answered(status: int) -> Outcome:
    """What an HTTP answer means for a delivery: only a 2xx delivers it."""
    if 200 <= status < 300:
        return Outcome(status, None)
    return Outcome(status, f"answered HTTP {status} (not 2xx)")


class Transport(Protocol):
    async def post(
        self,
        url: str,
        body: Body,
        headers: Mapping[str, str],
        timeout: float,
        method: str = "POST",
    ) -> Outcome: ...

    async def close(self) -> None: ...


Responder = Callable[[str, bytes, Mapping[str, str]], Awaitable[int] | int]


@dataclass
class MemoryTransport:
    """A transport for tests of delivery logic: `respond` decides each answer (a status,
    or an exception for a failed connection); every post is recorded."""

    respond: Responder = lambda _url, _body, _headers: 200
    posts: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    async def post(
        self,
        url: str,
        body: Body,
        headers: Mapping[str, str],
        timeout: float,
        method: str = "POST",
    ) -> Outcome:
        body = rendered(body)
        self.posts.append((url, body, dict(headers)))
        try:
            answer = self.respond(url, body, headers)
            status = await answer if isinstance(answer, Awaitable) else answer
        except TimeoutError:
            return Outcome(None, f"timed out: no answer within {timeout:g} s")
        except OSError as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}".strip())
        return answered(status)

    async def close(self) -> None:
        return None
