"""A WebSocket endpoint on loopback that records what a bot streams to it, and can
misbehave (refuse, drop, read slowly) or speak back: for tests of the mock's streams and
for users' tests that want the meeting's audio without writing a server."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .background import BackgroundApp


@dataclass
class Connection:
    """One accepted WebSocket connection and everything it carried."""

    path: str
    audio: bytearray = field(default_factory=bytearray)
    frames: list[int] = field(default_factory=list)  # byte size of each binary frame
    messages: list[Any] = field(default_factory=list)  # text frames, JSON-decoded
    order: list[str] = field(default_factory=list)  # "audio" / "text", in arrival order
    close_code: int | None = None
    closed: bool = False


class StreamReceiver(BackgroundApp):
    """Serves WebSocket upgrades on any path of `url` (`ws://127.0.0.1:PORT`)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__()
        self.host = host
        self.url = ""
        self.connections: list[Connection] = []
        self._refuse = 0
        self._drop_after: int | None = None
        self._delay = 0.0
        self._speak: dict[str, list[bytes | str]] = {}
        self._lock = threading.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._open: dict[str, web.WebSocketResponse] = {}  # the latest connection per path

    # -- behaviour --------------------------------------------------------------------------
    def refuse_next(self, count: int) -> None:
        """Answer the next `count` upgrades with 503."""
        with self._lock:
            self._refuse = count

    def drop_after(self, frames: int | None) -> None:
        """Break each new connection (no close frame) after it carried `frames` frames."""
        with self._lock:
            self._drop_after = frames

    def read_slowly(self, seconds: float) -> None:
        """Wait this long (real seconds) after each frame before reading the next."""
        with self._lock:
            self._delay = seconds

    def speak(self, path: str, frames: list[bytes | str]) -> None:
        """Send these frames to the next connection on `path` as soon as it opens."""
        with self._lock:
            self._speak[path] = list(frames)

    def clear(self) -> None:
        with self._lock:
            self.connections.clear()
            self._refuse = 0
            self._drop_after = None
            self._delay = 0.0
            self._speak.clear()

    def send(self, path: str, frames: list[bytes | str]) -> None:
        """Send these frames now on the latest connection on `path` (what the user's bot
        says into the meeting, at a moment the test chooses)."""

        async def push() -> None:
            ws = self._open.get(path)
            if ws is None or ws.closed:
                raise RuntimeError(f"no open connection on {path}")
            for frame in frames:
                if isinstance(frame, str):
                    await ws.send_str(frame)
                else:
                    await ws.send_bytes(frame)

        self.call(push())

    # -- reading ----------------------------------------------------------------------------
    def on(self, path: str) -> list[Connection]:
        with self._lock:
            return [c for c in self.connections if c.path == path]

    def audio(self, path: str) -> bytes:
        return b"".join(bytes(c.audio) for c in self.on(path))

    def messages(self, path: str) -> list[Any]:
        return [m for c in self.on(path) for m in c.messages]

    def wait_for(self, ready: Callable[[], bool], timeout: float = 30) -> bool:
        """Block until `ready()` holds (checked after each frame and close), at most
        `timeout` real seconds; whether it holds. The mock sends from its own thread."""
        with self._lock:
            return self._lock.wait_for(ready, timeout)

    def wait_closed(self, path: str, count: int = 1, timeout: float = 30) -> bool:
        """Until `count` connections on `path` have closed."""
        return self.wait_for(
            lambda: sum(c.closed for c in self.connections if c.path == path) >= count, timeout
        )

    # -- serving ----------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            if self._refuse > 0:
                self._refuse -= 1
                return web.Response(status=503, text="refused on purpose")
            drop_after, delay = self._drop_after, self._delay
            speak = self._speak.pop(request.path, [])
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._sockets.append(ws)
        conn = Connection(request.path)
        self._open[conn.path] = ws
        with self._lock:
            self.connections.append(conn)
        for frame in speak:
            if isinstance(frame, str):
                await ws.send_str(frame)
            else:
                await ws.send_bytes(frame)
        count = 0
        async for msg in ws:
            with self._lock:
                if msg.type == WSMsgType.BINARY:
                    conn.audio += msg.data
                    conn.frames.append(len(msg.data))
                    conn.order.append("audio")
                elif msg.type == WSMsgType.TEXT:
                    try:
                        conn.messages.append(json.loads(msg.data))
                    except ValueError:
                        conn.messages.append(msg.data)
                    conn.order.append("text")
                self._lock.notify_all()
            count += 1
            if drop_after is not None and count >= drop_after:
                transport = request.transport
                if transport is not None:
                    transport.abort()
                break
            if delay:
                await asyncio.sleep(delay)
        with self._lock:
            conn.close_code = ws.close_code
            conn.closed = True
            self._lock.notify_all()
        return ws

    async def _build(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        return web.AppRunner(app, handle_signals=False)

    def start(self, port: int = 0) -> StreamReceiver:
        port = self._launch(self._build(), self.host, port)
        self.url = f"ws://{self.host}:{port}"
        return self

    def __enter__(self) -> StreamReceiver:
        """`with StreamReceiver() as rx:` starts it (unless started) and stops it after."""
        return self if self.url else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _cleanup(self) -> None:
        for ws in self._sockets:
            await ws.close()
        await super()._cleanup()
