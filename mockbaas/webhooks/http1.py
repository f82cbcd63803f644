"""The webhook client: HTTP/1.1 over asyncio protocols, keep-alive, one write per post.

Why not aiohttp's client: a webhook is a small POST whose answer is only a status code,
and at 10,000 bots the mock posts tens of thousands of them; aiohttp's general client
(cookies, tracing, redirects, payload objects) spent about as much CPU per post as the
whole bot engine. This one writes head and body in one call, reads the answer with
httptools (the C parser uvicorn uses) and keeps each connection for the next post.
Only what webhooks need: no redirects, no proxies, no cookies, no compression.
"""

from __future__ import annotations

import asyncio
import errno
import ssl
from collections.abc import Mapping
from typing import cast
from urllib.parse import urlsplit

import httptools

from .transport import Body, Outcome, answered, rendered

#: Connections open at once, in all and to one receiver (host and port). A subject has
#: at most one attempt in flight, so a receiver that hangs holds one connection per bot
#: it hangs on, and the others keep flowing.
DEFAULT_CONNECTIONS = 512
DEFAULT_CONNECTIONS_PER_HOST = 256
IDLE_PER_HOST = DEFAULT_CONNECTIONS_PER_HOST  # kept-alive connections per receiver

Origin = tuple[str, str, int]  # scheme, host, port


class _Closed(Exception):
    """The receiver closed the connection before its answer was complete."""


class _Connection(asyncio.Protocol):
    """One socket to a receiver; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.answer: asyncio.Future[int] | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.received = False  # any byte of the current answer arrived
        self.status: int | None = None  # once the answer's head is in
        self.reusable = False
        self.lost = False

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ValueError(f"the receiver's answer is not HTTP/1.1: {exc}"))

    def eof_received(self) -> bool | None:
        self._fail(_Closed())
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._fail(_Closed())

    # -- httptools callbacks
    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_message_complete(self) -> None:
        if self.answer is not None and not self.answer.done():
            self.reusable = bool(self.parser.should_keep_alive())
            self.answer.set_result(self.parser.get_status_code())

    # --
    def _fail(self, exc: Exception) -> None:
        """The connection ended or broke: an answer whose head arrived still counts (its
        body may be delimited by the close itself); the connection is not kept."""
        self.reusable = False
        if self.answer is None or self.answer.done():
            return
        if self.status is not None and isinstance(exc, _Closed):
            self.answer.set_result(self.status)
        else:
            self.answer.set_exception(exc)

    def send(self, data: bytes) -> asyncio.Future[int]:
        assert self.transport is not None
        self.answer = asyncio.get_running_loop().create_future()
        self.received = False
        self.status = None
        self.reusable = False
        self.parser = httptools.HttpResponseParser(self)
        self.transport.write(data)
        return self.answer

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Http1Transport:
    """Posts over real sockets, with pooled keep-alive connections per receiver.

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
        self._slots: asyncio.Semaphore | None = None
        self._host_slots: dict[Origin, asyncio.Semaphore] = {}
        self._idle: dict[Origin, list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None

    async def post(
        self,
        url: str,
        body: Body,
        headers: Mapping[str, str],
        timeout: float,
        method: str = "POST",
    ) -> Outcome:
        try:
            origin, target, host = _parse(url)
        except ValueError as exc:
            return Outcome(None, f"ValueError: {exc}")
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        host_slots = self._host_slots.get(origin)
        if host_slots is None:
            host_slots = self._host_slots[origin] = asyncio.Semaphore(self.limit_per_host)
        async with host_slots, self._slots:
            try:
                data = _request(method, target, host, headers, rendered(body))
                async with asyncio.timeout(timeout):
                    status = await self._exchange(origin, data)
            except TimeoutError:
                return Outcome(None, f"timed out: no answer within {timeout:g} s")
            except _Closed:
                return Outcome(None, "the receiver closed the connection without answering")
            except OSError as exc:
                return Outcome(None, _connect_error(exc, origin))
            except ValueError as exc:
                return Outcome(None, f"ValueError: {exc}")
        return answered(status)

    async def _exchange(self, origin: Origin, data: bytes) -> int:
        """Send on a kept-alive connection when there is one; a kept one the receiver
        closed meanwhile (nothing of an answer came back) is retried once on a new one."""
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if conn.lost:
                continue
            try:
                return await self._answer(conn, origin, data)
            except _Closed:
                if conn.received:
                    raise
        conn = await self._connect(origin)
        return await self._answer(conn, origin, data)

    async def _answer(self, conn: _Connection, origin: Origin, data: bytes) -> int:
        try:
            status = await conn.send(data)
        except BaseException:
            conn.close()
            raise
        if conn.reusable and not conn.lost:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < IDLE_PER_HOST:
                idle.append(conn)
                return status
        conn.close()
        return status

    async def _connect(self, origin: Origin) -> _Connection:
        scheme, host, port = origin
        tls = None
        if scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        loop = asyncio.get_running_loop()
        transport, conn = await loop.create_connection(
            _Connection, host, port, ssl=tls, server_hostname=host if tls else None
        )
        # uvloop may call connection_made after create_connection returns
        conn.transport = transport
        return conn

    async def close(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
        self._slots = None
        self._host_slots.clear()


def _parse(url: str) -> tuple[Origin, str, str]:
    """(origin, request target, Host header) of an http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url}")
    default = 443 if parts.scheme == "https" else 80
    port = parts.port or default
    host = parts.hostname
    name = f"[{host}]" if ":" in host else host
    header = name if port == default else f"{name}:{port}"
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return (parts.scheme, host, port), target, header


def _request(method: str, target: str, host: str, headers: Mapping[str, str], body: bytes) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"host: {host}", f"content-length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    for line in lines:
        if "\r" in line or "\n" in line:
            raise ValueError("a header may not contain a line break")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _connect_error(exc: OSError, origin: Origin) -> str:
    _scheme, host, port = origin
    where = f"{host}:{port}"
    if exc.errno == errno.ECONNREFUSED or isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS with {where} failed: {exc.reason or exc}"
    return f"cannot connect to {where}: {exc.strerror or exc}"
