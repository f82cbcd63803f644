"""Running the mock: in the foreground (`mockbaas serve`) or on a background thread
(the pytest fixture, or any in-process test harness)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

from aiohttp import web

from .app import make_app
from .config import Settings
from .core import MockBaaS

log = logging.getLogger("mockbaas")


def serve(settings: Settings) -> None:
    """Serve until Ctrl-C or SIGTERM; pending webhooks get a last attempt on the way out.

    The socket is bound here, before the loop starts, so `--port 0` learns its real port
    and both the log line and media links name the address that actually answers.
    """
    mock = MockBaaS(settings)  # bad scenario files fail here, before anything listens
    sock = _bind(settings.host, settings.port)
    settings.port = sock.getsockname()[1]
    mock.set_public_url(settings.base_url())
    app = make_app(mock)
    log.info(
        "mockbaas listening on %s (seed %s, %s clock)",
        settings.base_url(),
        settings.seed,
        settings.clock,
    )
    web.run_app(
        app,
        sock=sock,
        print=None,
        access_log=log.getChild("access") if settings.log_level == "debug" else None,
        shutdown_timeout=5,
    )


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)  # connections wait in the backlog until the loop accepts them
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class BackgroundServer:
    """A real mock server on a loopback port, driven from synchronous code.

    The event loop lives on its own thread; `call` runs a coroutine there and waits, so
    tests never share a loop with the server they test.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings(port=0, strict=True)
        self.mock: MockBaaS | None = None
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def start(self) -> BackgroundServer:
        self._thread.start()
        self.call(self._start())
        return self

    async def _start(self) -> None:
        self.mock = MockBaaS(self.settings)
        self._runner = web.AppRunner(make_app(self.mock), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.settings.port = port
        self.url = f"http://{self.settings.host}:{port}"
        self.mock.set_public_url(self.settings.public_url or self.url)

    def call(self, coro: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def stop(self) -> None:
        if self._runner is not None:
            self.call(self._runner.cleanup())
            self._runner = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
