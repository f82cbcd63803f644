"""The fast lane (web/lane.py) answers exactly as aiohttp does, or hands over to it.

Two servers with the same settings and seed, one with the lane and one without, get the
same raw requests; their answers must be the same bytes (the Date field aside), and so
must their traffic logs. The lane's counters show which requests it took.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from hypothesis import given, settings
from hypothesis import strategies as st

from mockbaas.config import Settings
from mockbaas.testing.server import BackgroundServer
from mockbaas.web.lane import LANE, Lane

KEY = "lane-key"
MEET = "https://meet.google.com/abc-defg-hij"


def _settings(fast_lane: bool) -> Settings:
    return Settings(port=0, strict=True, clock="manual", seed=3, epoch=0, fast_lane=fast_lane)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[BackgroundServer, BackgroundServer]]:
    with BackgroundServer(_settings(True)) as fast, BackgroundServer(_settings(False)) as slow:
        yield fast, slow


def lane_of(server: BackgroundServer) -> Lane:
    assert server._runner is not None
    return server._runner.app[LANE]


def request(method: str, target: str, body: Any = None, **headers: str) -> bytes:
    fields = {"Host": "mock", "x-meeting-baas-api-key": KEY}
    raw = b""
    if body is not None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        fields["Content-Type"] = "application/json"
        fields["Content-Length"] = str(len(raw))
    fields.update({k.replace("_", "-"): v for k, v in headers.items()})
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
    return head.encode() + b"\r\n" + raw


def exchange(url: str, data: bytes | list[bytes], count: int) -> list[bytes]:
    """Send `data` (chunks sent one by one) on one connection; read `count` answers."""
    host, port = url.removeprefix("http://").split(":")
    chunks = [data] if isinstance(data, bytes) else data
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        for chunk in chunks:
            sock.sendall(chunk)
        return read_answers(sock, count)


def read_answers(
    sock: socket.socket, count: int, heads: frozenset[int] = frozenset()
) -> list[bytes]:
    """`count` answers; those at the positions in `heads` answer HEAD (no body)."""
    buf = b""
    answers: list[bytes] = []
    while len(answers) < count:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = buf[: end + 4]
            found = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            length = int(found.group(1)) if found and len(answers) not in heads else 0
            if len(buf) >= end + 4 + length:
                answers.append(buf[: end + 4 + length])
                buf = buf[end + 4 + length :]
                continue
        more = sock.recv(65536)
        if not more:
            raise AssertionError(f"connection closed after {len(answers)} answers: {buf!r}")
        buf += more
    return answers


def undated(answer: bytes) -> bytes:
    return re.sub(rb"\r\nDate: [^\r]*", b"", answer)


def both(
    servers: tuple[BackgroundServer, BackgroundServer], data: bytes | list[bytes], count: int
) -> list[bytes]:
    fast, slow = servers
    got = [undated(a) for a in exchange(fast.url, data, count)]
    expected = [undated(a) for a in exchange(slow.url, data, count)]
    assert got == expected
    return got


def test_the_lane_answers_every_plain_call_as_aiohttp_does(servers):
    fast, slow = servers
    before = lane_of(fast).served
    join = {"meeting_url": MEET, "bot_name": "lane", "reserved": False, "deduplication_key": "d1"}
    created = both(servers, request("POST", "/bots/", join), 1)[0]
    assert created.startswith(b"HTTP/1.1 200 OK\r\n")
    bot = json.loads(created.split(b"\r\n\r\n", 1)[1])["bot_id"]
    calls = [
        request("POST", "/bots/", join),  # the same deduplication key again
        request("POST", "/bots", {**join, "deduplication_key": "d2"}),  # no trailing slash
        request("POST", "/bots/", b"{not json"),
        request("POST", "/bots/", {"meeting_url": 3}),
        request("POST", "/bots/", b""),
        request("POST", "/bots/", b"[1]", Content_Type="text/plain"),
        request("POST", "/bots/", {**join, "webhook_url": "https://example.invalid/hook"}),
        request("GET", f"/bots/meeting_data?bot_id={bot}"),
        request("GET", f"/bots/meeting_data?bot_id={bot}&include_transcripts=false&x=1"),
        request("GET", "/bots/meeting_data?bot_id=nope"),
        request("GET", "/bots/meeting_data"),
        request("GET", "/bots/bots_with_metadata?limit=2"),
        request("GET", "/bots/bots_with_metadata?limit=abc"),
        request("GET", "/calendars/"),
        request("GET", "/calendars/00000000-0000-4000-8000-000000000000"),
        request("POST", f"/bots/{bot}/delete_data"),
        request("DELETE", f"/bots/{bot}"),
        request("GET", f"/v2/bots/{bot}"),
        request("GET", "/v2/bots?limit=1"),
        request("GET", "/bots/meeting_data?bot_id=" + bot, x_meeting_baas_api_key=""),
    ]
    answers = both(servers, calls, len(calls))
    assert [a.split(b"\r\n", 1)[0] for a in answers[:4]] == [
        b"HTTP/1.1 409 Conflict",
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 400 Bad Request",
        b"HTTP/1.1 422 Unprocessable Entity",
    ]
    assert lane_of(fast).served - before == 1 + len(calls)
    assert slow._runner is not None and LANE not in slow._runner.app  # all aiohttp's
    # what the two servers logged, and the state they keep, are the same as well
    logs = [[e.as_dict() for e in s.mock.traffic.query()] if s.mock else None for s in servers]
    assert logs[0] == logs[1]


def test_a_request_the_lane_does_not_take_goes_to_aiohttp_in_order(servers):
    fast, _ = servers
    lane = lane_of(fast)
    served, handed = lane.served, lane.handed_off
    data = [
        request("GET", "/calendars/")
        + request("HEAD", "/calendars/")  # aiohttp's from here on, the next one too
        + request("GET", "/calendars/")
    ]
    host, port = fast.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data[0])
        first, head, last = (undated(a) for a in read_answers(sock, 3, frozenset({1})))
    assert (lane.served - served, lane.handed_off - handed) == (1, 1)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n")
    assert last == first
    # HEAD's fields are GET's
    assert head == first.split(b"\r\n\r\n")[0] + b"\r\n\r\n"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET /calendars/ HTTP/1.1\r\nHost: m\r\nBad Header\r\n\r\n", b"400"),
        (b"GET /calendars/ HTTP/1.1\r\nHost: m\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n", b"400"),
        (request("GET", "/calendars/", Connection="close"), b"200"),
        (request("GET", "/calendars/").replace(b"HTTP/1.1", b"HTTP/1.0", 1), b"200"),
        (request("GET", "/calendars/%7e"), b"400"),
        (request("GET", "/bots/../calendars/"), b"404"),
        (request("PUT", "/bots/meeting_data"), b"405"),
        (request("GET", "/nowhere"), b"404"),
        (
            b"POST /bots/ HTTP/1.1\r\nHost: m\r\nx-meeting-baas-api-key: k\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\n{}\r\n0\r\n\r\n",
            b"422",
        ),
        (request("POST", "/bots/", b"x" * 2_000_000), b"413"),
        (b"GET /calendars/ HTTP/1.1\nHost: m\nx-meeting-baas-api-key: k\n\n", b"400"),
        (b"GET /calendars/ HTTP/1.1\r\nx-meeting-baas-api-key: k\r\n\r\n", b"400"),
        (request("GET", "/calendars/", **{f"X_H{i}": "v" for i in range(130)}), b"400"),
    ],
    ids=[
        "bad-field",
        "long-field",
        "connection-close",
        "http-1.0",
        "escaped-path",
        "dot-segments",
        "other-method",
        "no-route",
        "chunked",
        "too-large",
        "bare-lf",
        "no-host",
        "130-fields",
    ],
)
def test_what_the_lane_leaves_to_aiohttp_is_answered_by_aiohttp(servers, data, status):
    fast, slow = servers
    lane = lane_of(fast)
    served, handed = lane.served, lane.handed_off
    answers = []
    for server in servers:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(data)
            got = b""
            while b"\r\n\r\n" not in got and (more := sock.recv(65536)):
                got += more
        answers.append(got.split(b"\r\n", 1)[0])
    assert answers[0] == answers[1]
    assert answers[0].split(b" ")[1] == status
    assert (lane.served, lane.handed_off) == (served, handed + 1)


@given(st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=30))
def test_the_lane_frames_requests_however_the_bytes_arrive(servers, cuts):
    fast, _ = servers
    calls = [
        request("GET", "/calendars/"),
        request("POST", "/bots/", b"{not json"),
        request("GET", "/bots/meeting_data?bot_id=nope"),
        request("POST", "/bots/", {"meeting_url": 3}),
    ]
    data = b"".join(calls)
    expected = [undated(a) for a in exchange(fast.url, data, len(calls))]
    chunks, at = [], 0
    for cut in cuts:
        if at < len(data):
            chunks.append(data[at : at + cut])
            at += cut
    chunks.append(data[at:])
    served = lane_of(fast).served
    assert [undated(a) for a in exchange(fast.url, chunks, len(calls))] == expected
    assert lane_of(fast).served - served == len(calls)


@pytest.mark.parametrize("after_reset", [False, True])
def test_api_fault_rules_take_calls_off_the_lane(after_reset):
    with BackgroundServer(_settings(True)) as fast:
        lane = lane_of(fast)
        if after_reset:  # a reset builds a new world: the lane must read its rules
            reset = exchange(fast.url, control("POST", "/_mockbaas/reset", {}), 1)[0]
            assert reset.startswith(b"HTTP/1.1 200"), reset
        rule = {"operation_id": "list_calendars", "status": 503, "times": 1}
        created = exchange(fast.url, control("POST", "/_mockbaas/faults/api", rule), 1)[0]
        assert created.startswith(b"HTTP/1.1 201"), created
        served = lane.served
        answers = exchange(fast.url, request("GET", "/calendars/") * 2, 2)
        assert [a.split(b"\r\n", 1)[0] for a in answers] == [
            b"HTTP/1.1 503 Service Unavailable",
            b"HTTP/1.1 200 OK",
        ]
        assert lane.served == served  # the rule is used up; the connection is aiohttp's now
        exchange(fast.url, control("DELETE", "/_mockbaas/faults/api"), 1)
        exchange(fast.url, request("GET", "/calendars/"), 1)
        assert lane.served == served + 1


def control(method: str, path: str, body: Any = None) -> bytes:
    raw = b"" if body is None else json.dumps(body).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(raw)}\r\n"
    if body is not None:
        head += "Content-Type: application/json\r\n"
    return head.encode() + b"\r\n" + raw


def test_the_lane_resolves_every_route_as_aiohttp_does(servers):
    fast, _ = servers
    assert fast._runner is not None
    app = fast._runner.app
    lane = app[LANE]
    routes = list(lane.routes)
    assert len(routes) > 40
    answers = set()
    for method, template in routes:
        path = re.sub(r"\{\w+\}", "x1", template)
        found = lane.routes.resolve(method, path)
        assert found is not None, (method, path)
        answers.add(found[0])
    for _, template in routes:
        path = re.sub(r"\{\w+\}", "x1", template)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            mine = lane.routes.resolve(method, path)
            theirs = _aiohttp_resolve(app, method, path)
            if mine is not None:
                assert mine[0] is theirs, (method, path)
            else:  # aiohttp answers it: a 405, or a route the lane does not take
                assert theirs not in answers, (method, path)


def _aiohttp_resolve(app: Any, method: str, path: str) -> Any:
    async def resolve() -> Any:
        request = make_mocked_request(method, path, app=app)
        return (await app.router.resolve(request)).handler

    return asyncio.run(resolve())


def test_stopping_closes_idle_lane_connections():
    server = BackgroundServer(_settings(True)).start()
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    try:
        sock.sendall(request("GET", "/calendars/"))
        read_answers(sock, 1)
        assert len(lane_of(server).connections) == 1
        server.stop()
        assert sock.recv(1) == b""  # closed by the server, not left hanging
    finally:
        sock.close()


class _Transport:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


def test_a_handler_that_awaits_keeps_the_answers_in_order():
    asyncio.run(_awaiting_handler())


async def _awaiting_handler() -> None:
    release = asyncio.get_running_loop().create_future()

    async def slow(request: Any) -> web.StreamResponse:
        await asyncio.sleep(0)
        await release
        return web.json_response({"slow": request.path})

    async def quick(request: Any) -> web.StreamResponse:
        return web.json_response({"quick": request.path})

    lane = Lane(web.Application(), lambda: True, 1000)
    lane.routes.add("GET", "/slow", slow)
    lane.routes.add("GET", "/quick", quick)
    protocol = lane.factory(web.Server(quick))()
    transport = _Transport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    protocol.data_received(
        b"GET /slow HTTP/1.1\r\nHost: m\r\n\r\nGET /quick HTTP/1.1\r\nHost: m\r\n\r\n"
    )
    await asyncio.sleep(0.01)
    assert transport.written == []  # the second waits for the first
    protocol.data_received(b"GET /quick HTTP/1.1\r\nHost: m\r\n\r\n")
    release.set_result(None)
    for _ in range(10):
        await asyncio.sleep(0)
    bodies = [w.split(b"\r\n\r\n", 1)[1] for w in transport.written]
    assert bodies == [b'{"slow": "/slow"}', b'{"quick": "/quick"}', b'{"quick": "/quick"}']
    lane.close()
    assert transport.closed


def test_an_idle_connection_is_closed_after_the_idle_timeout(monkeypatch):
    from mockbaas.web import lane as lane_module

    monkeypatch.setattr(lane_module, "SWEEP", 0.01)
    monkeypatch.setattr(lane_module, "IDLE_TIMEOUT", 0.05)

    async def scenario() -> tuple[bool, bool]:
        async def quick(request: Any) -> web.StreamResponse:
            return web.json_response({})

        lane = Lane(web.Application(), lambda: True, 1000)
        lane.routes.add("GET", "/quick", quick)
        idle, talking = _Transport(), _Transport()
        for transport in (idle, talking):
            lane.factory(web.Server(quick))().connection_made(transport)  # type: ignore[arg-type]
        chatty = next(c for c in lane.connections if c.transport is talking)
        for _ in range(12):
            await asyncio.sleep(0.01)
            chatty.data_received(b"GET /quick HTTP/1.1\r\nHost: m\r\n\r\n")
        return idle.closed, talking.closed

    # after 0.12 s the quiet one is gone (idle over 0.05 s); the one that keeps asking stays
    assert asyncio.run(scenario()) == (True, False)


@pytest.fixture(scope="module")
def twins() -> Iterator[tuple[BackgroundServer, BackgroundServer]]:
    """A pair of its own for the property below: every request goes to both."""
    with BackgroundServer(_settings(True)) as fast, BackgroundServer(_settings(False)) as slow:
        yield fast, slow


_NAMES = [
    "x-meeting-baas-api-key",
    "X-Meeting-Baas-Api-Key",
    "Content-Type",
    "content-length",
    "Accept",
    "Connection",
    "Expect",
    "X-Other",
    "Bad Name",
]
_VALUES = st.one_of(
    st.sampled_from(
        ["application/json", "text/plain", "keep-alive", "close", "k", "", "100-continue"]
    ),
    st.text(
        st.characters(min_codepoint=9, max_codepoint=0xE9, exclude_characters="\r\n"), max_size=12
    ),
)


@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "HEAD", "get"]),
    path=st.sampled_from(
        [
            "/calendars/",
            "/calendars",
            "/bots/meeting_data",
            "/bots/bots_with_metadata",
            "/v2/bots",
            "/bots/",
            "/nowhere",
            "/bots/x1",
            "/bots/x1/delete_data",
            "//bots/",
        ]
    ),
    query=st.text(alphabet="abz_=&%2B+~.-:,", max_size=16),
    fields=st.lists(st.tuples(st.sampled_from(_NAMES), _VALUES), max_size=5),
    body=st.one_of(st.none(), st.sampled_from([b"", b"{}", b"{not json", b'{"meeting_url": 3}'])),
)
@settings(max_examples=300)
def test_any_head_gets_the_same_answer_with_or_without_the_lane(
    twins, method, path, query, fields, body
):
    head = f"{method} {path}{'?' + query if query else ''} HTTP/1.1\r\nHost: m\r\n"
    for name, value in fields:
        if name.lower() != "content-length":
            head += f"{name}: {value}\r\n"
    raw = head.encode() + (b"Content-Length: %d\r\n" % len(body) if body is not None else b"")
    data = raw + b"\r\n" + (body or b"")
    answers = []
    for server in twins:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(data)
            answers.append(undated(read_one(sock, head_only=method == "HEAD")))
    assert answers[0] == answers[1]
    assert answers[0].startswith(b"HTTP/1.")


def read_one(sock: socket.socket, head_only: bool) -> bytes:
    """One answer: its head, and the body its Content-Length announces (or all the
    server sends before closing, when it announces none)."""
    got = b""
    while True:
        end = got.find(b"\r\n\r\n")
        if end >= 0 and got.startswith(b"HTTP/1.1 1"):  # an interim answer: the next one
            end = got.find(b"\r\n\r\n", end + 4)
        if end >= 0:
            found = re.search(rb"(?i)\r\ncontent-length: *(\d+)", got[: end + 4])
            if head_only or (found and len(got) >= end + 4 + int(found.group(1))):
                return got
        more = sock.recv(65536)
        if not more:
            return got
        got += more


def test_a_client_that_half_closes_still_gets_its_answers(servers):
    fast, _ = servers
    host, port = fast.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request("GET", "/calendars/") * 2)
        sock.shutdown(socket.SHUT_WR)  # as `nc -N` does
        got = b""
        while more := sock.recv(65536):
            got += more
    assert got.count(b"HTTP/1.1 200 OK\r\n") == 2  # both answered, then closed


def test_the_access_log_has_the_calls_the_lane_answers(caplog):
    """`--log-level debug` logs every request: the lane writes to the access log it is
    given, in aiohttp's line format."""
    import logging

    async def scenario() -> None:
        async def quick(request: Any) -> web.StreamResponse:
            return web.json_response({"q": 1})

        lane = Lane(web.Application(), lambda: True, 1000)
        lane.access_log = logging.getLogger("mockbaas.access")
        lane.routes.add("GET", "/quick", quick)
        protocol = lane.factory(web.Server(quick))()
        protocol.connection_made(_Transport())  # type: ignore[arg-type]
        protocol.data_received(b"GET /quick?a=1 HTTP/1.1\r\nHost: m\r\nUser-Agent: t/1\r\n\r\n")
        lane.close()

    with caplog.at_level(logging.INFO, logger="mockbaas.access"):
        asyncio.run(scenario())
    [line] = [r.getMessage() for r in caplog.records if r.name == "mockbaas.access"]
    assert re.fullmatch(r'- \[[^]]+\] "GET /quick\?a=1 HTTP/1\.1" 200 8 "-" "t/1"', line), line
