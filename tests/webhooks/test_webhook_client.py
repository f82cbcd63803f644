"""The webhook client (webhooks/http1.py) against raw loopback sockets: what it writes,
how it reads every way an HTTP/1.1 answer can end, and how it keeps connections."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockbaas.webhooks.http1 import Http1Transport

Answer = Callable[[bytes], Awaitable[bytes | None]]  # request bytes -> answer (None: close)


class RawServer:
    """A loopback server that answers each request with `answer(request)`, and counts
    connections and requests."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> RawServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hooks?x=1"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                answer = await self.answer(request)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if b"connection: close" in answer.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # a handler cancelled at the end of the test ends quietly
        writer.close()


def ok(body: bytes = b'{"ok":true}') -> Answer:
    async def answer(_request: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)

    return answer


def run(coro: Awaitable[object]) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_one_write_with_the_exact_head_and_body_and_a_kept_connection():
    async def main() -> None:
        async with RawServer(ok()) as server:
            port = server.url.split(":")[2].split("/")[0]
            client = Http1Transport()
            headers = {"content-type": "application/json", "x-meeting-baas-api-key": "k"}
            first = await client.post(server.url, b'{"a":1}', headers, 5)
            second = await client.post(server.url, lambda: b'{"b":2}', headers, 5, "PUT")
            await client.close()
        assert (first.status, first.error, second.status, second.error) == (200, None, 200, None)
        assert server.requests == [
            b"POST /hooks?x=1 HTTP/1.1\r\nhost: 127.0.0.1:" + port.encode() + b"\r\n"
            b"content-length: 7\r\ncontent-type: application/json\r\n"
            b'x-meeting-baas-api-key: k\r\n\r\n{"a":1}',
            b"PUT /hooks?x=1 HTTP/1.1\r\nhost: 127.0.0.1:" + port.encode() + b"\r\n"
            b"content-length: 7\r\ncontent-type: application/json\r\n"
            b'x-meeting-baas-api-key: k\r\n\r\n{"b":2}',
        ]
        assert server.connections == 1  # kept alive

    run(main())


@pytest.mark.parametrize(
    "answer, status, kept",
    [
        (b"HTTP/1.1 204 No Content\r\n\r\n", 204, True),
        (
            b"HTTP/1.1 202 Accepted\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            202,
            True,
        ),
        (b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nclose-delimited body", 200, False),
        (b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok", 200, False),
        (b"HTTP/1.1 500 Oops\r\ncontent-length: 4\r\n\r\nbad!", 500, True),
    ],
    ids=["no-body", "chunked", "close-delimited", "http-1.0", "500"],
)
def test_every_way_an_answer_can_end(answer: bytes, status: int, kept: bool):
    async def main() -> None:
        async def reply(_request: bytes) -> bytes:
            return answer

        async with RawServer(reply) as server:
            client = Http1Transport()
            outcomes = [await client.post(server.url, b"{}", {}, 5) for _ in range(3)]
            await client.close()
        assert {o.status for o in outcomes} == {status}
        if status == 500:
            assert outcomes[0].error == "answered HTTP 500 (not 2xx)"
        else:
            assert all(o.error is None for o in outcomes)
        assert server.connections == (1 if kept else 3)

    run(main())


def test_a_kept_connection_the_receiver_closed_is_replaced_without_a_failure():
    calls = 0

    async def close_after_each(_request: bytes) -> bytes:
        nonlocal calls
        calls += 1
        return b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"

    async def main() -> None:
        async with RawServer(close_after_each) as server:
            client = Http1Transport()
            first = await client.post(server.url, b"{}", {}, 5)
            # the receiver drops the idle connection (as servers do after a keep-alive timeout)
            for idle in client._idle.values():
                for conn in idle:
                    assert conn.transport is not None
                    conn.transport.close()
            await asyncio.sleep(0.05)
            second = await client.post(server.url, b"{}", {}, 5)
            await client.close()
        assert (first.error, second.error) == (None, None)
        assert server.connections == 2 and calls == 2

    run(main())


def test_no_answer_closed_refused_and_timed_out_say_so():
    async def hang(_request: bytes) -> bytes:
        await asyncio.sleep(30)
        return b""

    async def drop(_request: bytes) -> None:
        return None

    async def main() -> None:
        client = Http1Transport()
        async with RawServer(drop) as server:
            closed = await client.post(server.url, b"{}", {}, 5)
        async with RawServer(hang) as server:
            timed_out = await client.post(server.url, b"{}", {}, 0.2)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        refused = await client.post(f"http://127.0.0.1:{port}/", b"{}", {}, 5)
        injected = await client.post(f"http://127.0.0.1:{port}/", b"{}", {"x": "a\r\nb: c"}, 5)
        await client.close()
        assert closed.error == "the receiver closed the connection without answering"
        assert timed_out.error == "timed out: no answer within 0.2 s"
        assert refused.error == f"connection refused by 127.0.0.1:{port}"
        assert injected.error == "ValueError: a header may not contain a line break"
        assert {closed.status, timed_out.status, refused.status, injected.status} == {None}

    run(main())


@settings(max_examples=25, deadline=None)
@given(
    bodies=st.lists(st.binary(max_size=3000), min_size=1, max_size=6),
    split=st.integers(min_value=1, max_value=7),
)
def test_answers_arriving_in_pieces_are_read_whole(bodies: list[bytes], split: int):
    """Answers written a few bytes at a time: every post gets its status and the
    connection stays usable for the next."""

    async def main() -> None:
        async def trickle(request: bytes) -> bytes:
            body = request.split(b"\r\n\r\n", 1)[1]
            return b"HTTP/1.1 201 Created\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.CancelledError):
                    break
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                answer = await trickle(head + await reader.readexactly(length))
                for at in range(0, len(answer), split):
                    writer.write(answer[at : at + split])
                    await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        client = Http1Transport()
        outcomes = [await client.post(url, body, {}, 5) for body in bodies]
        await client.close()
        server.close()
        assert [(o.status, o.error) for o in outcomes] == [(201, None)] * len(bodies)

    run(main())
