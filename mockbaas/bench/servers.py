"""The two servers a benchmark runs beside the mock, each in its own process.

`bare`: the baseline. aiohttp answering each measured route with the bytes the mock
answered, with no auth, validation or state: what the framework itself costs. A POST reads
its body before answering, as any JSON API must.

`receiver`: where the mock's webhooks go. A minimal HTTP/1.1 server on asyncio's
protocol layer (a few times cheaper per request than aiohttp), so at tens of thousands
of webhooks the receiver is not what gets measured. It answers 2xx at once, after
`--delay` seconds, or never (`--hang`), and keeps what the benchmark checks: unique
deliveries, events by kind, `complete` events carrying a transcript, and whether each
bot's statuses arrived in order and before its `complete`. `GET /_bench/stats` reads it.

    python -m mockbaas.bench.servers bare --port P ROUTES.json
    python -m mockbaas.bench.servers receiver --port P [--delay S] [--hang]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections import Counter
from typing import Any, cast

from .procs import LOOPBACK

OK_BODY = b'{"ok":true}'
BOT_ID = re.compile(rb'"bot_id":"([^"]+)"')


def run_bare(port: int, routes_file: str) -> None:
    """Serve `{"routes": [{"method", "path", "body"}]}`; each body as application/json."""
    from aiohttp import web

    with open(routes_file, encoding="utf-8") as handle:
        routes = json.load(handle)["routes"]
    app = web.Application()

    def fixed(body: bytes, read: bool) -> Any:
        async def handler(request: web.Request) -> web.Response:
            if read:
                await request.read()
            return web.Response(body=body, content_type="application/json")

        return handler

    for route in routes:
        body = route["body"].encode()
        app.router.add_route(route["method"], route["path"], fixed(body, route["method"] != "GET"))
    app.router.add_route("GET", "/_bench/ready", fixed(OK_BODY, False))
    from ..cli.foreground import loop_factory

    factory = loop_factory()  # the loop the mock runs on: the baseline must match it
    loop = factory() if factory is not None else None
    web.run_app(app, host=LOOPBACK, port=port, print=None, access_log=None, loop=loop)


class Stats:
    """What the receiver saw; cheap per request (a `complete` body is ~50 kB of transcript:
    it is searched, not parsed)."""

    def __init__(self) -> None:
        self.requests = 0  # every webhook POST, retries and duplicates included
        self.ids: set[str] = set()
        self.events: Counter[str] = Counter()
        self.with_transcript = 0
        self.hung = 0
        self.order_errors = 0
        self._last_status: dict[str, str] = {}  # bot -> created_at of its latest status
        self._ended: set[str] = set()  # bots whose `complete`/`failed` arrived
        self.first_at: float | None = None
        self.last_at: float | None = None

    def record(self, headers: dict[str, str], body: bytes) -> None:
        self.requests += 1
        delivery = headers.get("x-mockbaas-delivery-id", "")
        if delivery in self.ids:
            return
        self.ids.add(delivery)
        now = time.time()  # the benchmark compares it with its own wall time
        self.first_at = self.first_at or now
        self.last_at = now
        head = body[:300]
        if head.startswith(b'{"event":"bot.status_change"'):
            self.events["bot.status_change"] += 1
            data = json.loads(body)["data"]
            bot, at = data["bot_id"], data["status"]["created_at"]
            if bot in self._ended or at < self._last_status.get(bot, ""):
                self.order_errors += 1
            self._last_status[bot] = at
            return
        match = re.match(rb'\{"event":"([^"]+)"', head)
        event = match.group(1).decode() if match else "?"
        self.events[event] += 1
        found = BOT_ID.search(head)
        if event in ("complete", "failed") and found:
            bot = found.group(1).decode()
            if bot in self._ended:
                self.order_errors += 1
            self._ended.add(bot)
            if event == "complete" and b'"transcript":[{' in body:
                self.with_transcript += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "unique": len(self.ids),
            "events": dict(self.events),
            "complete_with_transcript": self.with_transcript,
            "order_errors": self.order_errors,
            "hung": self.hung,
            "first_at": self.first_at,
            "last_at": self.last_at,
        }


class ReceiverProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive with Content-Length bodies: what the mock's client sends."""

    def __init__(self, stats: Stats, delay: float, hang: bool) -> None:
        self.stats = stats
        self.delay = delay
        self.hang = hang
        self.buf = bytearray()
        self.head: tuple[str, str, dict[str, str], int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a stream server's transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            if self.head is None:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
                del self.buf[: end + 4]
                method, target = lines[0].split(" ")[:2]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                self.head = (method, target, headers, int(headers.get("content-length", "0")))
            method, target, headers, length = self.head
            if len(self.buf) < length:
                return
            body = bytes(self.buf[:length])
            del self.buf[:length]
            self.head = None
            self.handle(method, target, headers, body)

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        if method == "GET" and target.startswith("/_bench/stats"):
            self.answer(json.dumps(self.stats.as_dict()).encode())
            return
        if method != "POST":
            self.answer(b'{"error":"POST only"}', "405 Method Not Allowed")
            return
        self.stats.record(headers, body)
        if self.hang:
            self.stats.hung += 1
        elif self.delay > 0:
            asyncio.get_running_loop().call_later(self.delay, self.answer, OK_BODY)
        else:
            self.answer(OK_BODY)

    def answer(self, body: bytes, status: str = "200 OK") -> None:
        if self.transport is None or self.transport.is_closing():
            return
        head = (
            f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        )
        self.transport.write(head.encode() + body)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def run_receiver(port: int, delay: float, hang: bool) -> None:
    stats = Stats()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: ReceiverProtocol(stats, delay, hang), LOOPBACK, port, backlog=1024
    )
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="servers beside the mock in `make bench`")
    sub = parser.add_subparsers(dest="kind", required=True)
    bare = sub.add_parser("bare")
    bare.add_argument("--port", type=int, required=True)
    bare.add_argument("routes")
    receiver = sub.add_parser("receiver")
    receiver.add_argument("--port", type=int, required=True)
    receiver.add_argument("--delay", type=float, default=0.0)
    receiver.add_argument("--hang", action="store_true")
    args = parser.parse_args(argv)
    if args.kind == "bare":
        run_bare(args.port, args.routes)
    else:
        try:
            from ..cli.foreground import loop_factory

            with asyncio.Runner(loop_factory=loop_factory()) as runner:
                runner.run(run_receiver(args.port, args.delay, args.hang))
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
