"""A real mock server on a loopback port, on its own event-loop thread: the pytest
fixture's, and any in-process harness's (the contract suites run one too)."""

from __future__ import annotations

from aiohttp import web

from ..config import Settings
from ..core import MockBaaS
from ..web.app import make_app
from .background import BackgroundApp


class BackgroundServer(BackgroundApp):
    """A real mock server on a loopback port, driven from synchronous code."""

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings(port=0, strict=True)
        self.mock: MockBaaS | None = None
        self.url = ""

    def start(self) -> BackgroundServer:
        async def build() -> web.AppRunner:
            self.mock = MockBaaS(self.settings)
            return web.AppRunner(make_app(self.mock), access_log=None)

        port = self._launch(build(), self.settings.host, self.settings.port)
        self.settings.port = port
        self.url = f"http://{self.settings.host}:{port}"
        assert self.mock is not None
        self.mock.set_public_url(self.settings.public_url or self.url)
        return self

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
