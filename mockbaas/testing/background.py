"""An aiohttp app on its own event-loop thread, for synchronous callers.

The mock server fixture and the webhook receiver both live here, so a test (sync, like
most users' tests) never shares an event loop with the servers it talks to.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from aiohttp import web

from ..web.lane import close_connections, listen

T = TypeVar("T")


class BackgroundApp:
    """Start an app with `_launch`, stop it with `stop`; `call` runs a coroutine on its loop."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _launch(self, build: Coroutine[Any, Any, web.AppRunner], host: str, port: int) -> int:
        """Start the loop thread, set up the runner `build` returns, listen; the port."""
        if not self._thread.is_alive():
            self._thread.start()

        async def start() -> int:
            self._runner = await build
            await self._runner.setup()
            self._listener = await listen(self._runner, host=host, port=port)
            bound: int = self._listener.sockets[0].getsockname()[1]
            return bound

        return self.call(start(), timeout=30)

    async def _cleanup(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._runner is not None:
            close_connections(self._runner.app)
            await self._runner.cleanup()
            self._runner = None
        # handlers still answering late: end them, so none is destroyed while pending
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        if self._thread.is_alive():
            self.call(self._cleanup())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
