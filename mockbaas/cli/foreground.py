"""Running the mock in the foreground (`mockbaas serve`): bind, banner, signals, drain.

The in-process server for tests is `mockbaas.testing.BackgroundServer`."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal
import socket
import sys
from collections.abc import Callable

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage

from ..config import TOKEN_ENV, Settings
from ..control.access import ensure_control_token, is_loopback
from ..core import MockBaaS
from ..web.app import make_app
from ..web.lane import close_connections, listen
from ..webhooks import State
from .heap import HeapKeeper

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


def serve(settings: Settings) -> int:
    """Serve until Ctrl-C or SIGTERM; the exit code.

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
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(_serve(app, mock, sock, text))


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it installs: the same program, about twice the requests per second
    (`make bench`); the standard loop elsewhere. Nothing the mock decides depends on it."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _say(text: str) -> None:
    # whatever the log level: the person at the terminal asked for this
    print(text, file=sys.stderr, flush=True)


async def _serve(app: web.Application, mock: MockBaaS, sock: socket.socket, text: str) -> int:
    """A stop that respects the user: the first Ctrl-C (or SIGTERM) stops listening and
    gives pending webhooks `drain_timeout` seconds for a last attempt (or saves the
    state); a second one quits at once, listing what was not delivered (exit 130)."""
    settings = mock.settings
    loop = asyncio.get_running_loop()
    access = log.getChild("access") if settings.log_level == "debug" else None
    runner = web.AppRunner(
        app,
        access_log=access,
        shutdown_timeout=1.0,  # open requests (an advance waiting on posts) get a second
    )
    await runner.setup()
    heap = HeapKeeper(loop.time)  # a server's objects live long: see heap.py
    heap.start()
    mock.reset_listeners.append(heap.after_reset)
    keeping = asyncio.ensure_future(heap.run())
    listener = await listen(runner, sock=sock, access_log=access)
    signals: asyncio.Queue[int] = asyncio.Queue()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, signals.put_nowait, number)
    # printed once signals are handled: whoever reads it may stop the server cleanly at once
    _say(text)
    await signals.get()
    keeping.cancel()

    if settings.state_file is not None:
        _say(f"mockbaas: stopping; saving state to {settings.state_file} (Ctrl-C again to quit)")
    elif pending := len(mock.webhooks.pending()):
        _say(
            f"mockbaas: stopping; draining {_webhooks(pending)} for up to "
            f"{settings.drain_timeout:g} s (Ctrl-C again to quit now)"
        )
    else:
        _say("mockbaas: stopping (no webhook pending)")
    listener.close()  # no new calls; the drain is ours, so a second Ctrl-C can cut it
    stopping = asyncio.ensure_future(mock.shutdown())
    again = asyncio.ensure_future(signals.get())
    await asyncio.wait({stopping, again}, return_when=asyncio.FIRST_COMPLETED)
    if stopping.done():
        again.cancel()
        stopping.result()
        close_connections(app)
        await runner.cleanup()  # open connections; mock.shutdown again finds nothing
        return 0

    stopping.cancel()
    await asyncio.gather(stopping, return_exceptions=True)
    mock.webhooks.abandon()
    await mock.webhooks.close()
    close_connections(app)
    await asyncio.wait({asyncio.ensure_future(runner.cleanup())}, timeout=1.0)
    lost = [d for d in mock.webhooks.journal if d.state is State.UNDELIVERED]
    _say(f"mockbaas: quit at once; {_webhooks(len(lost))} not delivered (kept in the log):")
    for delivery in lost:
        _say(
            f"  undelivered {delivery.id} {delivery.event} for {delivery.subject} to {delivery.url}"
        )
    return 130


def _webhooks(count: int) -> str:
    return f"{count} webhook" if count == 1 else f"{count} webhooks"


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
