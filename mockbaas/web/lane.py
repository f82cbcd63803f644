"""The fast lane: plain HTTP/1.1 calls to the API, framed without aiohttp's machinery.

aiohttp spends ~30 µs of CPU on a request before and after the handler (a task step, a
request object with its lazy parsers, a response object that prepares its headers in
two coroutines); the mock's own work on a `meeting_data` read is ~10 µs. So each
connection starts here: a keep-alive request whose head is plain (HTTP/1.1, printable
ASCII, a Content-Length body, a path and query of unreserved characters) to a Meeting
BaaS operation runs the same handler aiohttp would run (`Surface`'s wrapper: faults,
the traffic log, errors as JSON; `calls.endpoint`: auth, validation, the handler) with a
lighter request object, and its `web.Response` is written as aiohttp writes it.

Anything else (HEAD, a control or media path, chunked bodies, `Expect`, `Connection:
close`, HTTP/1.0, an escaped path, a header that is not plain ASCII, an active API
fault rule, a malformed head) hands the connection over to aiohttp for the rest of its
life, starting with the bytes of that request: aiohttp parses and answers it as if it
had had the connection from the start. The lane never answers what it is unsure of.

One difference, on purpose: a client that half-closes its side once it has sent its
requests (`shutdown(SHUT_WR)`, `nc -N`) still gets the lane's answers; aiohttp closes
such a connection unanswered. Likewise, plain requests pipelined before one with
`Connection: close` and more data are answered; aiohttp refuses the whole batch (400).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import types
from collections.abc import Callable, Coroutine, Generator, Iterator, Mapping
from email.utils import formatdate
from typing import Any, Generic, Literal, TypeVar, cast

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE
from aiohttp.tcp_helpers import tcp_keepalive, tcp_nodelay

from ..contract.jsonio import dumps
from ..control import PREFIX as CONTROL_PREFIX

log = logging.getLogger("mockbaas.http")

#: aiohttp's own limit on a request line or header field: a longer head is its to refuse
MAX_HEAD = 8190
#: seconds a keep-alive connection may idle (aiohttp's default), checked every SWEEP s
IDLE_TIMEOUT = 3630.0
#: more fields than this are aiohttp's to judge (it refuses over 128)
MAX_FIELDS = 100
SWEEP = 30.0
_METHODS = frozenset((b"GET", b"POST", b"PUT", b"PATCH", b"DELETE"))
#: unreserved characters only: nothing to percent-decode, so the raw target is the path
_PATH = re.compile(r"/[A-Za-z0-9\-._~/]*")
_QUERY = re.compile(
    r"[A-Za-z0-9\-._~]+=[A-Za-z0-9\-._~:,]*(?:&[A-Za-z0-9\-._~]+=[A-Za-z0-9\-._~:,]*)*"
)
#: header fields of token names and printable ASCII values, each line ending in CRLF
_FIELDS = re.compile(rb"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e]*\r\n)*")
#: one field: its name, and its value without the whitespace around it
_FIELD = re.compile(r"([^:]+):[ \t]*(.*?)[ \t]*\r\n")
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+\-]+/[A-Za-z0-9!#$&^_.+\-]+")
#: fields whose presence means framing or connection rules the lane leaves to aiohttp
_NOT_PLAIN = frozenset(("transfer-encoding", "expect", "upgrade", "te", "trailer"))

#: what answers a lane request: Surface's wrapper of an API route
Answer = Callable[[Any], Coroutine[Any, Any, web.StreamResponse]]


class LaneHeaders(dict[str, str]):
    """Header fields by lower-case name (the first of repeated ones, as aiohttp's `get`)."""

    def get(self, name: str, default: Any = None) -> Any:
        return dict.get(self, name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return dict.__getitem__(self, name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and dict.__contains__(self, name.lower())


class LaneRequest:
    """What the API's code reads of a request (see `calls.Incoming`), nothing more."""

    __slots__ = (
        "app",
        "method",
        "path",
        "query_string",
        "query",
        "match_info",
        "headers",
        "_body",
        "_items",
    )

    def __init__(
        self,
        app: web.Application,
        method: str,
        path: str,
        query_string: str,
        match_info: dict[str, str],
        headers: LaneHeaders,
        body: bytes,
    ) -> None:
        self.app = app
        self.method = method
        self.path = path
        self.query_string = query_string
        query: dict[str, str] = {}
        if query_string:
            for pair in query_string.split("&"):
                name, _, value = pair.partition("=")
                query.setdefault(name, value)  # the first of repeated names, as aiohttp
        self.query: Mapping[str, str] = query
        self.match_info: Mapping[str, str] = match_info
        self.headers: Mapping[str, str] = headers
        self._body = body
        self._items: dict[Any, Any] = {}

    @property
    def content_length(self) -> int | None:
        text = self.headers.get("content-length")
        return None if text is None else int(text)

    @property
    def content_type(self) -> str:
        # as aiohttp reads it: the media type alone, lower-cased; octet-stream when absent
        given = self.headers.get("content-type")
        if given is None:
            return "application/octet-stream"
        return given.partition(";")[0].strip().lower()

    async def read(self) -> bytes:
        return self._body

    def __setitem__(self, key: Any, value: Any) -> None:
        self._items[key] = value

    def get(self, key: Any, default: Any = None) -> Any:
        return self._items.get(key, default)


class LaneRoutes:
    """Which API routes the lane serves, resolved as aiohttp's router resolves them: an
    exact static path first, then the templated paths in the order they were added."""

    def __init__(self) -> None:
        self._static: dict[str, dict[str, Answer]] = {}
        self._templated: list[tuple[re.Pattern[str], dict[str, Answer]]] = []
        self._by_template: dict[str, dict[str, Answer]] = {}

    def add(self, method: str, path: str, answer: Answer) -> None:
        if "{" not in path:
            self._static.setdefault(path, {})[method] = answer
            return
        methods = self._by_template.get(path)
        if methods is None:
            pattern = re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^{}/]+)", re.escape(path)))
            methods = self._by_template[path] = {}
            self._templated.append((pattern, methods))
        methods[method] = answer

    def resolve(self, method: str, path: str) -> tuple[Answer, dict[str, str]] | None:
        """The answer and path parameters, or None: another method on the path (aiohttp
        answers its 405) or a path the lane does not serve."""
        methods = self._static.get(path)
        if methods is not None:
            answer = methods.get(method)
            return None if answer is None else (answer, {})
        for pattern, methods in self._templated:
            match = pattern.fullmatch(path)
            if match is not None:
                answer = methods.get(method)
                return None if answer is None else (answer, match.groupdict())
        return None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """(method, path) of every route, for tests that compare with aiohttp's router."""
        for path, methods in self._static.items():
            yield from ((m, path) for m in methods)
        for path, methods in self._by_template.items():
            yield from ((m, path) for m in methods)


T = TypeVar("T")


class Parsed(Generic[T]):
    """Heads already read, by their bytes: a client sends the same fields (and often the
    same request line) call after call. Bounded; what it keeps is never changed."""

    LIMIT = 512

    def __init__(self) -> None:
        self._known: dict[bytes, T | Literal[False]] = {}

    def get(self, raw: bytes) -> T | Literal[False] | None:
        return self._known.get(raw)

    def remember(
        self, raw: bytes, parse: Callable[[bytes], T | Literal[False]]
    ) -> T | Literal[False]:
        if len(self._known) >= self.LIMIT:
            self._known.clear()  # a client making every head unique: start afresh
        result = self._known[raw] = parse(raw)
        return result


class Lane:
    """The routes, the switch deciding whether a request may take the lane, and the open
    connections (closed when the server stops)."""

    def __init__(self, app: web.Application, usable: Callable[[], bool], max_body: int) -> None:
        self.app = app
        self.max_body = max_body  # a longer body is aiohttp's to refuse (413)
        self.routes = LaneRoutes()
        self.usable = usable  # False while API fault rules are set: aiohttp applies those
        self.connections: set[LaneProtocol] = set()
        self.lines: Parsed[tuple[str, str, str, Answer, dict[str, str]]] = Parsed()
        self.fields: Parsed[tuple[LaneHeaders, int]] = Parsed()
        self.ticks = 0  # sweeps so far: the idle clock of the connections
        self._sweeper: asyncio.TimerHandle | None = None
        self.served = 0  # requests the lane answered (tests check the lane was taken)
        #: where to log each call the lane answers, as aiohttp's access log does (None: not)
        self.access_log: logging.Logger | None = None
        self.handed_off = 0  # connections given to aiohttp

    def factory(self, server: web.Server) -> Callable[[], LaneProtocol]:
        """The protocol factory for `loop.create_server`; `server` gets handed-off connections."""
        return lambda: LaneProtocol(self, server)

    def close(self) -> None:
        """Close every lane connection: idle ones now, a busy one once it has answered."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for connection in list(self.connections):
            connection.close_when_idle()

    def opened(self, connection: LaneProtocol) -> None:
        self.connections.add(connection)
        connection.active = self.ticks
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().call_later(SWEEP, self._sweep)

    def _sweep(self) -> None:
        """Close connections idle for IDLE_TIMEOUT, as aiohttp closes its own (a clock
        tick per sweep, not a timer per request)."""
        self.ticks += 1
        stale = self.ticks - round(IDLE_TIMEOUT / SWEEP)
        for connection in list(self.connections):
            if connection.active <= stale and not connection.busy:
                connection.close_when_idle()
        self._sweeper = None
        if self.connections:
            self._sweeper = asyncio.get_running_loop().call_later(SWEEP, self._sweep)


LANE: web.AppKey[Lane] = web.AppKey("lane", Lane)

_date_second = -1
_date_text = b""


def _date() -> bytes:
    """The Date field as aiohttp writes it, formatted once per second."""
    global _date_second, _date_text
    now = int(time.time())  # HTTP's Date is wall time by definition; nothing depends on it
    if now != _date_second:
        _date_second = now
        _date_text = formatdate(now, usegmt=True).encode("ascii")
    return _date_text


_SERVER = f"Server: {SERVER_SOFTWARE}\r\n".encode("ascii")


#: the start of an answer by (status, reason, Content-Type): most answers are JSON
_HEADS: dict[tuple[int, str, str], bytes] = {}


def render(response: web.StreamResponse) -> bytes | None:
    """The bytes aiohttp would write for `response` to a keep-alive HTTP/1.1 request that
    is not HEAD; None for what only aiohttp can write (a streamed or prepared response)."""
    if type(response) is not web.Response and not isinstance(response, web.HTTPException):
        return None
    if response.prepared or response.chunked or response.compression:
        return None
    body = response.body
    if body is None:
        body = b""
    elif not isinstance(body, bytes):
        return None
    status = response.status
    headers = response.headers
    if len(headers) == 1 and body and status >= 200 and status not in (204, 304):
        media = headers.get("Content-Type")
        if media is not None:  # the usual answer: a JSON body and nothing else
            key = (status, response.reason, media)
            head = _HEADS.get(key)
            if head is None:
                head = _HEADS[key] = (
                    f"HTTP/1.1 {status} {response.reason}\r\nContent-Type: {media}\r\n"
                    "Content-Length: "
                ).encode()
            return b"".join(
                (head, b"%d\r\nDate: " % len(body), _date(), b"\r\n", _SERVER, b"\r\n", body)
            )
    fields = [f"HTTP/1.1 {status} {response.reason}\r\n".encode("ascii")]
    for name, value in headers.items():
        fields.append(f"{name}: {value}\r\n".encode())
    empty = status in (204, 304) or status < 200
    if "Content-Length" not in headers:
        if not empty:
            fields.append(b"Content-Length: %d\r\n" % len(body))
    elif empty:
        return None  # aiohttp would drop the field: rare enough to leave to it
    if body and not empty and "Content-Type" not in headers:
        fields.append(b"Content-Type: application/octet-stream\r\n")
    if "Date" not in headers:
        fields.append(b"Date: " + _date() + b"\r\n")
    if "Server" not in headers:
        fields.append(_SERVER)
    fields.append(b"\r\n")
    if not empty:
        fields.append(body)
    return b"".join(fields)


class LaneProtocol(asyncio.Protocol):
    """One connection: lane requests answered in order, until one needs aiohttp."""

    def __init__(self, lane: Lane, server: web.Server) -> None:
        self.lane = lane
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.busy = False  # a request is being answered (only a handler that awaits)
        self.paused = False  # the peer reads slower than we write
        self.closing = False
        self.active = 0  # the lane's tick when the peer last sent something

    # -- asyncio ---------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a stream server's transport
        tcp_nodelay(self.transport, True)  # as aiohttp: an answer is one write, sent now
        tcp_keepalive(self.transport)
        self.lane.opened(self)

    def data_received(self, data: bytes) -> None:
        self.active = self.lane.ticks
        if self.buf:
            self.buf += data
        else:
            self.buf = bytearray(data)
        if not self.busy and not self.paused:
            self._serve()

    def eof_received(self) -> bool | None:
        # the peer has finished sending: answer what is complete, then close
        self.closing = True
        if not self.busy:
            self._serve()
            self._close_if_done()
        return True  # keep the transport open for the answers still to write

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if not self.busy and self.transport is not None:
            self._serve()
            self._close_if_done()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lane.connections.discard(self)
        self.transport = None

    def close_when_idle(self) -> None:
        self.closing = True
        self.buf.clear()  # a request not yet complete is not started now
        self._close_if_done()

    # -- the lane --------------------------------------------------------------------------
    def _close_if_done(self) -> None:
        if self.closing and not self.busy and self.transport is not None:
            self.transport.close()

    def _serve(self) -> None:
        """Answer every complete request in the buffer, in order."""
        buf = self.buf
        at = 0  # where the next request starts: consumed bytes are cut once, at the end
        try:
            while at < len(buf) and self.transport is not None and not self.paused:
                end = buf.find(b"\r\n\r\n", at)
                if end < 0:
                    # a bare LF ends no plain head: aiohttp reads (or refuses) those
                    if len(buf) - at > MAX_HEAD or buf.count(b"\n", at) != buf.count(b"\r\n", at):
                        del buf[:at]
                        at = 0
                        self._hand_off()
                    return
                if end - at > MAX_HEAD:
                    del buf[:at]
                    at = 0
                    self._hand_off()
                    return
                parsed = self._parse(bytes(buf[at : end + 2]))
                if parsed is None:
                    del buf[:at]
                    at = 0
                    self._hand_off()
                    return
                method, path, query_string, headers, length, answer, match_info = parsed
                start = end + 4
                if len(buf) < start + length:
                    return  # the body is still arriving
                body = bytes(buf[start : start + length]) if length else b""
                at = start + length
                request = LaneRequest(
                    self.lane.app, method, path, query_string, match_info, headers, body
                )
                self.lane.served += 1
                coro = answer(request)
                try:
                    yielded = coro.send(None)
                except StopIteration as stop:
                    self._write(stop.value, request)
                    continue
                except BaseException as exc:  # noqa: BLE001 - answered, never raised into asyncio
                    self._write(_failed(method, path, exc), request)
                    continue
                # a handler that awaits: finish it in a task; later requests wait their turn
                self.busy = True
                asyncio.ensure_future(self._finish(coro, yielded, request))
                return
        finally:
            if at:
                del buf[:at]

    async def _finish(
        self, coro: Coroutine[Any, Any, web.StreamResponse], yielded: Any, request: LaneRequest
    ) -> None:
        try:
            response = await _resume(coro, yielded)
        except Exception as exc:  # noqa: BLE001 - answered as JSON, as on the lane itself
            response = _failed("", "", exc)
        self.busy = False
        self._write(response, request)
        if self.transport is not None:
            self._serve()
            self._close_if_done()

    def _write(self, response: web.StreamResponse, request: LaneRequest) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        data = render(response)
        if data is None:
            log.error("the fast lane cannot write a %s; closing", type(response).__name__)
            self.transport.close()
            return
        self.transport.write(data)
        if self.lane.access_log is not None:
            self._log_access(self.lane.access_log, request, response)

    def _log_access(
        self, logger: logging.Logger, request: LaneRequest, response: web.StreamResponse
    ) -> None:
        """The line aiohttp's access log writes (its default format), for a call the lane
        answered: `--log-level debug` shows every request, whichever layer served it."""
        peer = self.transport.get_extra_info("peername") if self.transport else None
        remote = peer[0] if isinstance(peer, tuple) and peer else "-"
        target = request.path + (f"?{request.query_string}" if request.query_string else "")
        body = response.body if isinstance(response, web.Response) else None
        size = len(body) if isinstance(body, (bytes, bytearray)) else 0
        stamp = time.strftime("[%d/%b/%Y:%H:%M:%S +0000]", time.gmtime())
        headers = request.headers
        logger.info(
            '%s %s "%s %s HTTP/1.1" %d %d "%s" "%s"',
            remote,
            stamp,
            request.method,
            target,
            response.status,
            size,
            headers.get("referer", "-"),
            headers.get("user-agent", "-"),
        )

    def _parse(
        self, head: bytes
    ) -> tuple[str, str, str, LaneHeaders, int, Answer, dict[str, str]] | None:
        """The parts of a plain request head, or None: the request is aiohttp's."""
        if not self.lane.usable():
            return None
        line_end = head.find(b"\r\n")
        line = self.lane.lines.get(head[:line_end])
        if line is None:
            line = self.lane.lines.remember(head[:line_end], self._parse_line)
        if line is False:
            return None
        fields = self.lane.fields.get(head[line_end + 2 :])
        if fields is None:
            fields = self.lane.fields.remember(head[line_end + 2 :], self._parse_fields)
        if fields is False:
            return None
        method, path, query_string, answer, match_info = line
        headers, length = fields
        return method, path, query_string, headers, length, answer, match_info

    def _parse_line(
        self, line: bytes
    ) -> tuple[str, str, str, Answer, dict[str, str]] | Literal[False]:
        method, _, rest = line.partition(b" ")
        if method not in _METHODS or not rest.endswith(b" HTTP/1.1"):
            return False
        try:
            target = rest[:-9].decode("ascii")
        except UnicodeDecodeError:
            return False
        path, _, query_string = target.partition("?")
        if _PATH.fullmatch(path) is None or "//" in path or "/." in path:
            return False  # empty or dot segments: aiohttp's URL handling decides those
        if path.startswith(CONTROL_PREFIX):
            return False
        if query_string and _QUERY.fullmatch(query_string) is None:
            return False
        found = self.lane.routes.resolve(method.decode("ascii"), path)
        if found is None:
            return False
        answer, match_info = found
        return method.decode("ascii"), path, query_string, answer, match_info

    def _parse_fields(self, fields: bytes) -> tuple[LaneHeaders, int] | Literal[False]:
        if _FIELDS.fullmatch(fields) is None:
            return False
        pairs = _FIELD.findall(fields.decode("ascii"))
        headers = LaneHeaders((name.lower(), value) for name, value in pairs)
        if len(headers) != len(pairs):
            return False  # a repeated field: rare, and aiohttp's rules for each differ
        if not _NOT_PLAIN.isdisjoint(headers):
            return False
        if "host" not in headers or len(pairs) > MAX_FIELDS:
            return False  # aiohttp refuses an HTTP/1.1 head without Host, or with 128+ fields
        length = 0
        text = dict.get(headers, "content-length")
        if text is not None:
            if not text.isdigit() or len(text) > 15 or not text.isascii():
                return False
            length = int(text)
            if length > self.lane.max_body:
                return False  # aiohttp answers 413 and discards the body
        text = dict.get(headers, "connection")
        if text is not None and text.lower() != "keep-alive":
            return False
        text = dict.get(headers, "content-type")
        if text is not None and _MEDIA_TYPE.fullmatch(text.partition(";")[0].strip()) is None:
            return False
        return headers, length

    def _hand_off(self) -> None:
        """Give the connection, and the bytes of the request at hand, to aiohttp."""
        transport = self.transport
        if transport is None:
            return
        handler = self.server()
        self.lane.connections.discard(self)
        self.lane.handed_off += 1
        self.transport = None
        transport.set_protocol(handler)
        handler.connection_made(transport)
        if self.paused:
            handler.pause_writing()
        if self.buf:
            data, self.buf = bytes(self.buf), bytearray()
            handler.data_received(data)
        if self.closing:
            handler.eof_received()


def _failed(method: str, path: str, exc: BaseException) -> web.Response:
    """What escaped the route wrapper: aiohttp's own JSON 500 for a contract breach
    (strict mode), or a bug, answered as the wrapper answers one."""
    if isinstance(exc, web.HTTPException):
        return exc
    log.error("%s %s failed", method, path, exc_info=exc)
    body = {
        "error": "internal_error",
        "message": f"mockbaas failed on {method} {path}; this is a bug in the mock (see its log)",
    }
    return web.Response(status=500, body=dumps(body), content_type="application/json")


@types.coroutine
def _resume(
    coro: Coroutine[Any, Any, web.StreamResponse], yielded: Any
) -> Generator[Any, Any, web.StreamResponse]:
    """The rest of a coroutine whose first step ran outside any task: the task awaiting
    this drives it on, as if it had run it from the start."""
    while True:
        try:
            sent = yield yielded
        except BaseException as exc:  # noqa: BLE001 - passed into the coroutine, as a task does
            try:
                yielded = coro.throw(exc)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            continue
        try:
            yielded = coro.send(sent)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


def close_connections(app: web.Application) -> None:
    """Close the lane's connections (aiohttp's own close with the runner's cleanup)."""
    lane = app.get(LANE)
    if lane is not None:
        lane.close()


async def listen(
    runner: web.AppRunner,
    *,
    sock: Any = None,
    host: str | None = None,
    port: int | None = None,
    access_log: logging.Logger | None = None,
) -> asyncio.Server:
    """Listen with the lane in front of `runner`'s aiohttp server (set up already), or,
    for an app without a lane, as aiohttp would. `access_log`: the logger the runner was
    given, which the lane then writes its calls to as well."""
    loop = asyncio.get_running_loop()
    server = runner.server
    assert server is not None, "set the runner up first"
    lane = runner.app.get(LANE)
    if lane is not None:
        lane.access_log = access_log
    factory: Callable[[], asyncio.BaseProtocol] = server if lane is None else lane.factory(server)
    if sock is not None:
        return await loop.create_server(factory, sock=sock, backlog=128)
    return await loop.create_server(factory, host, port or 0, backlog=128, reuse_address=True)
