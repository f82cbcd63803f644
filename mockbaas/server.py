"""Running the mock: in the foreground (`mockbaas serve`) or on a background thread
(the pytest fixture, or any in-process test harness)."""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage

from .app import make_app
from .background import BackgroundApp
from .client import TOKEN_ENV
from .config import Settings
from .control.access import ensure_control_token, is_loopback
from .core import MockBaaS

log = logging.getLogger("mockbaas")


class _QuietBadRequests(logging.Filter):
    """aiohttp logs a traceback for every malformed HTTP message it answers with 400
    (fuzzers send many); the client got its 400, so the log keeps one short line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, BadHttpMessage):
            record.msg, record.args, record.exc_info = f"bad HTTP request: {exc}", (), None
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger("aiohttp.server").isEnabledFor(logging.DEBUG)
        return True


def serve(settings: Settings) -> None:
    """Serve until Ctrl-C or SIGTERM; pending webhooks get a last attempt on the way out.

    The socket is bound here, before the loop starts, so `--port 0` learns its real port
    and both the log line and media links name the address that actually answers.
    """
    logging.getLogger("aiohttp.server").addFilter(_QuietBadRequests())
    mock = MockBaaS(settings)  # bad scenario files fail here, before anything listens
    sock = _bind(settings.host, settings.port)
    bound, settings.port = sock.getsockname()[:2]
    generated = ensure_control_token(settings, bound)
    mock.set_public_url(settings.base_url())
    app = make_app(mock)
    text = banner(settings, bound, generated, epoch=mock.epoch)

    async def print_banner(_app: web.Application) -> None:
        # printed whatever the log level (`--port 0` users need the port), once SIGTERM
        # and Ctrl-C are handled: whoever reads it may stop the server cleanly at once
        print(text, file=sys.stderr, flush=True)

    app.on_startup.append(print_banner)
    web.run_app(
        app,
        sock=sock,
        print=None,
        access_log=log.getChild("access") if settings.log_level == "debug" else None,
        shutdown_timeout=5,
    )


def banner(settings: Settings, bound: str, generated_token: bool, epoch: int | None = None) -> str:
    """The real address, and a loud warning when other machines can reach it."""
    shown = f"[{bound}]" if ":" in bound else bound
    media = f", media links on {settings.public_url}" if settings.public_url else ""
    saved = f", state in {settings.state_file}" if settings.state_file else ""
    epoch_text = f", epoch {epoch}" if epoch is not None else ""
    lines = [
        f"mockbaas listening on http://{shown}:{settings.port} "
        f"(seed {settings.seed}{epoch_text}, {settings.clock} clock{media}{saved})"
    ]
    if not is_loopback(bound):
        where = "every interface" if ipaddress.ip_address(bound).is_unspecified else bound
        lines += [
            f"WARNING: listening on {where}: other machines can reach this mock.",
            "  The control API (/_mockbaas: every account's bots and webhooks, reset, "
            "redeliver) needs Authorization: Bearer TOKEN.",
        ]
    if generated_token:
        lines.append(f"  control token (generated): {settings.control_token}")
    elif settings.control_token:
        lines.append("  control API token: the one given (--control-token or $" + TOKEN_ENV + ")")
    return "\n".join(lines)


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
