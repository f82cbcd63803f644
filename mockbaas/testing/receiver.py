"""A webhook receiver on loopback that records what it is sent and answers as told.

For tests of webhook delivery (ours) and of receivers' expectations (users'): make it
fail the first N posts, stay down, or answer slowly, then read back exactly what
arrived, in arrival order. Header names are recorded in lower case. Every request is
recorded, whatever it was answered; `events()` keeps the acknowledged (2xx) ones.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .background import BackgroundApp

log = logging.getLogger("mockbaas.receiver")


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    answered: int

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def delivery_id(self) -> str | None:
        return self.headers.get("x-mockbaas-delivery-id")


class WebhookReceiver(BackgroundApp):
    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__()
        self.host = host
        self.url = ""
        self.received: list[Received] = []
        self._fail_next: dict[str | None, int] = {}  # by path; None: any path
        self._fail_status = 500
        self._down = False
        self._delay: dict[str | None, float] = {}
        self._handler: Callable[[Received], object] | None = None
        self._lock = threading.Lock()

    # -- behaviour ------------------------------------------------------------------------
    def fail_next(self, count: int, status: int = 500, *, path: str | None = None) -> None:
        """Answer `status` to the next `count` requests (to `path` only, when given: the
        mock posts to many bots at once, so a test that fails one bot gives it a URL of
        its own)."""
        with self._lock:
            self._fail_next[path] = count
            self._fail_status = status

    def go_down(self, status: int = 503) -> None:
        with self._lock:
            self._down, self._fail_status = True, status

    def come_back(self) -> None:
        with self._lock:
            self._down = False
            self._fail_next.clear()

    def answer_after(self, seconds: float, *, path: str | None = None) -> None:
        """Answer every request (to `path`, when given) `seconds` (real) late, e.g. after
        the sender's timeout."""
        with self._lock:
            self._delay[path] = seconds

    def on_receive(self, handler: Callable[[Received], object] | None) -> None:
        """Process each request it would acknowledge with `handler(received)`, in a
        worker thread, before answering, as an app that handles webhooks synchronously
        would (it may call the mock's API). If the handler raises, the answer is 500."""
        with self._lock:
            self._handler = handler

    def clear(self) -> None:
        """Forget what was received and every behaviour set: a fresh, healthy receiver."""
        with self._lock:
            self.received.clear()
            self._fail_next.clear()
            self._down = False
            self._delay.clear()
            self._handler = None

    def events(self) -> list[dict[str, Any]]:
        """Payloads that were acknowledged (2xx), in arrival order."""
        with self._lock:
            return [r.json() for r in self.received if 200 <= r.answered < 300]

    # -- server ---------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        with self._lock:
            key = request.path if request.path in self._delay else None
            delay = self._delay.get(key, 0.0)
            failing = request.path if self._fail_next.get(request.path) else None
            if self._down:
                status = self._fail_status
            elif self._fail_next.get(failing, 0) > 0:
                self._fail_next[failing] -= 1
                status = self._fail_status
            else:
                status = 200
            handler = self._handler if status == 200 else None
            headers = {k.lower(): v for k, v in request.headers.items()}
            received = Received(request.path, headers, body, status)
            self.received.append(received)
        if handler is not None:
            try:
                await asyncio.get_running_loop().run_in_executor(None, handler, received)
            except Exception:
                log.exception("webhook receiver handler failed; answering 500")
                with self._lock:
                    received.answered = status = 500
        if delay:
            await asyncio.sleep(delay)
        return web.json_response({"received": status == 200}, status=status)

    def start(self) -> WebhookReceiver:
        async def build() -> web.AppRunner:
            app = web.Application()
            app.router.add_route("POST", "/{tail:.*}", self._handle)
            app.router.add_route("PUT", "/{tail:.*}", self._handle)  # v2 callbacks may PUT
            # short shutdown grace: a handler told to answer late must not delay stop()
            return web.AppRunner(app, access_log=None, shutdown_timeout=0.5)

        port = self._launch(build(), self.host, 0)
        self.url = f"http://{self.host}:{port}/webhooks"
        return self

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
