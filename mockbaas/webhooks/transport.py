"""How a webhook POST leaves the mock.

The dispatcher decides what to post and when; a `Transport` only posts. Keeping the
socket out of the dispatcher lets retry, order and fault logic be tested in memory, and
lets the HTTP client change without touching delivery semantics.
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp

#: Connections open at once, in all and to one receiver (host and port). A subject has
#: at most one attempt in flight, so a receiver that hangs holds one connection per bot
#: it hangs on, and the others keep flowing.
DEFAULT_CONNECTIONS = 512
DEFAULT_CONNECTIONS_PER_HOST = 256


#: What is posted: the bytes, or what renders them (called once a connection is free,
#: so thousands of queued `complete` events never hold their bodies at once).
Body = bytes | Callable[[], bytes]


def rendered(body: Body) -> bytes:
    return body if isinstance(body, bytes) else body()


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int | None  # the HTTP status, when the receiver answered
    error: str | None  # None only for a 2xx


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


class AiohttpTransport:
    """Posts over real sockets with one pooled, keep-alive aiohttp session.

    A post first takes a slot (all receivers, and its own receiver's): only then is its
    body rendered and its `timeout` started, so the timeout measures the receiver, never
    the mock's own queue of posts waiting for a connection."""

    def __init__(
        self,
        limit: int = DEFAULT_CONNECTIONS,
        limit_per_host: int = DEFAULT_CONNECTIONS_PER_HOST,
    ) -> None:
        self.limit = limit
        self.limit_per_host = limit_per_host
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._host_slots: dict[tuple[str, str | None, int | None], asyncio.Semaphore] = {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.limit, limit_per_host=self.limit_per_host, force_close=False
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                skip_auto_headers=("Accept-Encoding",),
                trust_env=False,  # a proxy from the environment must not see the traffic
            )
        return self._session

    def _host(self, url: str) -> asyncio.Semaphore:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:  # the request below names the problem
            port = None
        key = (parts.scheme, parts.hostname, port)
        slots = self._host_slots.get(key)
        if slots is None:
            slots = self._host_slots[key] = asyncio.Semaphore(self.limit_per_host)
        return slots

    async def post(
        self,
        url: str,
        body: Body,
        headers: Mapping[str, str],
        timeout: float,
        method: str = "POST",
    ) -> Outcome:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        async with self._host(url), self._slots:
            return await self._post(url, rendered(body), headers, timeout, method)

    async def _post(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout: float, method: str
    ) -> Outcome:
        try:
            async with self._client().request(
                method,
                url,
                data=body,
                headers=dict(headers),
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as response:
                await response.release()
                if 200 <= response.status < 300:
                    return Outcome(response.status, None)
                return Outcome(response.status, f"answered HTTP {response.status} (not 2xx)")
        except TimeoutError:
            return Outcome(None, f"timed out: no answer within {timeout:g} s")
        except aiohttp.ClientConnectorError as exc:
            where = f"{exc.host}:{exc.port}"
            if exc.os_error.errno == errno.ECONNREFUSED:
                return Outcome(None, f"connection refused by {where}")
            why = exc.os_error.strerror or exc.os_error
            return Outcome(None, f"cannot connect to {where}: {why}")
        except aiohttp.ServerDisconnectedError:
            return Outcome(None, "the receiver closed the connection without answering")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}".strip())

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        self._slots = None
        self._host_slots.clear()


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
        if 200 <= status < 300:
            return Outcome(status, None)
        return Outcome(status, f"answered HTTP {status} (not 2xx)")

    async def close(self) -> None:
        return None
