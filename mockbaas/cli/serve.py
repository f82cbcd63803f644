"""`mockbaas serve`: its flags, and the `Settings` they make."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ..clock import CLOCK_MODES, MANUAL, REALTIME
from ..config import (
    DEFAULT_ADVANCE_WAIT,
    DEFAULT_DRAIN_TIMEOUT,
    DEFAULT_MAX_BODY,
    TOKEN_ENV,
    Settings,
)
from ..targets import FLAG as WEBHOOK_ALLOW_FLAG
from ..targets import TargetPolicy
from ..webhooks import DEFAULT_SCHEDULE, DEFAULT_TIMEOUT, Faults
from ..webhooks.journal import DEFAULT_JOURNAL_LIMIT
from .formatting import Help

T = TypeVar("T")


def _start_time(text: str) -> datetime:
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 date-time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _schedule(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of seconds, e.g. 2,4,8") from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError("retry delays cannot be negative")
    return values


def _checked(
    convert: Callable[[str], T], ok: Callable[[T], bool], what: str, rule: str
) -> Callable[[str], T]:
    """An argparse type: convert, then check, with messages that say what was expected."""

    def parse(text: str) -> T:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(rule)
        return value

    return parse


_non_negative = _checked(
    float, lambda v: 0 <= v < math.inf, "a number", "must be a finite number of seconds, 0 or more"
)
_port = _checked(
    int, lambda v: 0 <= v <= 65535, "a port number", "a port is 0 to 65535 (0: any free port)"
)
_body_limit = _checked(
    int,
    lambda v: v >= 1024,
    "a number of bytes",
    "at least 1024 bytes (requests need room for JSON)",
)


def _api_key(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an API key cannot be empty")
    return text


def _http_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {text!r}")
    return text


def _allow_list(text: str) -> list[str]:
    entries = [part.strip() for part in text.split(",") if part.strip()]
    if not entries:
        raise argparse.ArgumentTypeError("name at least one host, address or CIDR range")
    for entry in entries:
        try:
            TargetPolicy().add(entry)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return entries


def _secret(text: str) -> str:
    if not text:
        raise argparse.ArgumentTypeError("a secret cannot be empty")
    return text


def _token(text: str) -> str:
    """A Bearer credential is one word of printable ASCII: a header's spaces never reach
    the comparison, and clients differ in how they encode anything else."""
    if not text or not all("!" <= c <= "~" for c in text):
        raise argparse.ArgumentTypeError(
            "a control token is one word of printable ASCII: no spaces, not empty"
        )
    return text


_positive = _checked(float, lambda v: 0 < v < math.inf, "a number", "must be greater than 0")
_epoch = _checked(int, lambda v: 0 <= v < 2**63, "an integer", "an epoch is 0 to 2**63-1")
_count = _checked(int, lambda v: 1 <= v <= 10**9, "an integer", "must be 1 or more")


SERVE_EPILOG = """\
try it:
  curl -s -X POST http://127.0.0.1:8080/bots/ \\
    -H 'x-meeting-baas-api-key: any-key' -H 'content-type: application/json' \\
    -d '{"meeting_url": "https://meet.google.com/abc-defg-hij", "bot_name": "Notes",
         "reserved": false}'

exit status: 0 after Ctrl-C or SIGTERM (pending webhooks get a last attempt first, or
with --state are saved for the next start), 2 when it cannot start (bad flag, bad
scenario file, port in use, a --state file it cannot load).
"""


def add_serve_parser(sub: Any) -> None:
    serve = sub.add_parser(
        "serve",
        help="run the mock API server",
        description="Run the mock Meeting BaaS API. Point your app's base URL at it.",
        epilog=SERVE_EPILOG,
        formatter_class=Help,
    )
    net = serve.add_argument_group("network")
    net.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    net.add_argument("--port", type=_port, default=8080, help="port to listen on (0: any free)")
    net.add_argument(
        "--public-url", type=_http_url, help="base URL for media links (default http://HOST:PORT)"
    )
    net.add_argument(
        "--max-body",
        type=_body_limit,
        default=DEFAULT_MAX_BODY,
        help="largest request body in bytes",
    )
    net.add_argument(
        "--no-fast-lane",
        action="store_true",
        help="serve every call through aiohttp's request handling (slower; for comparison)",
    )
    behaviour = serve.add_argument_group("behaviour")
    behaviour.add_argument("--seed", type=int, default=0, help="seed for ids and generated data")
    epoch = behaviour.add_mutually_exclusive_group()
    epoch.add_argument(
        "--deterministic",
        action="store_const",
        const=0,
        dest="epoch",
        help="id epoch 0: every run of a seed gives the same ids (as the pytest fixture); "
        "by default each start draws a fresh epoch so no id is ever reused",
    )
    epoch.add_argument(
        "--epoch",
        type=_epoch,
        dest="epoch",
        metavar="N",
        help="replay the ids of the run whose banner named epoch N",
    )
    state_group = serve.add_argument_group("state")
    state_group.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="keep the world in FILE: loaded at start, saved periodically and on shutdown",
    )
    state_group.add_argument(
        "--state-interval",
        type=_positive,
        default=5.0,
        metavar="S",
        help="real seconds between periodic saves of --state",
    )
    behaviour.add_argument(
        "--api-key",
        action="append",
        default=[],
        dest="api_keys",
        type=_api_key,
        metavar="KEY",
        help="accept only this key (repeatable); by default any non-empty key is an account",
    )
    behaviour.add_argument(
        "--scenarios",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="also load scenario files from DIR (repeatable)",
    )
    behaviour.add_argument(
        "--strict", action="store_true", help="validate every response against openapi.json"
    )
    time_group = serve.add_argument_group("time")
    time_group.add_argument(
        "--clock", choices=CLOCK_MODES, default=REALTIME, help="realtime, or manual (tests)"
    )
    time_group.add_argument(
        "--speed", type=_positive, default=1.0, help="realtime clock runs N times faster"
    )
    time_group.add_argument(
        "--start-time",
        type=_start_time,
        help="virtual epoch, ISO-8601 (default: now for realtime, 2025-01-06T09:00Z manual)",
    )
    hooks = serve.add_argument_group("webhooks")
    hooks.add_argument(
        "--webhook-url", type=_http_url, help="where events go when neither bot nor account says"
    )
    hooks.add_argument(
        "--webhook-retry-schedule",
        type=_schedule,
        default=DEFAULT_SCHEDULE,
        metavar="S,S,...",
        help="virtual seconds before each retry; attempts = 1 + entries "
        f"(default: {','.join(f'{s:g}' for s in DEFAULT_SCHEDULE)})",
    )
    hooks.add_argument(
        "--webhook-timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT,
        help="seconds a receiver has to answer",
    )
    hooks.add_argument("--fault-duplicate", action="store_true", help="post every event twice")
    hooks.add_argument(
        "--fault-delay",
        type=_non_negative,
        default=0.0,
        metavar="S",
        help="delay every event S seconds",
    )
    hooks.add_argument(
        "--fault-out-of-order", action="store_true", help="swap each bot's events in pairs"
    )
    hooks.add_argument(
        "--drain-timeout",
        type=_non_negative,
        default=DEFAULT_DRAIN_TIMEOUT,
        metavar="S",
        help="at Ctrl-C / SIGTERM, real seconds pending webhooks get for a last attempt "
        "(a second Ctrl-C quits at once)",
    )
    hooks.add_argument(
        "--advance-wait",
        type=_non_negative,
        default=DEFAULT_ADVANCE_WAIT,
        metavar="S",
        help="real seconds POST /_mockbaas/clock/advance waits for the webhook posts it "
        "made due (a call's own `wait` overrides it)",
    )
    behaviour.add_argument(
        "--link-ttl",
        type=_positive,
        default=7200.0,
        metavar="S",
        help="seconds a media link stays valid (the docs say two hours in one place, 24 "
        "hours in others: --link-ttl 86400 for the latter)",
    )
    hooks.add_argument(
        "--journal-limit",
        type=_count,
        default=DEFAULT_JOURNAL_LIMIT,
        metavar="N",
        help="settled webhook deliveries kept in the journal (oldest forgotten first; "
        "pending ones are always kept)",
    )
    security = serve.add_argument_group("security (see README: Security)")
    security.add_argument(
        "--control-token",
        type=_token,
        default=os.environ.get(TOKEN_ENV) or None,
        metavar="TOKEN",
        help="require Authorization: Bearer TOKEN on every /_mockbaas call "
        f"(default: ${TOKEN_ENV}; generated and printed when --host is not loopback)",
    )
    security.add_argument(
        WEBHOOK_ALLOW_FLAG,
        action="append",
        default=[],
        type=_allow_list,
        metavar="HOSTS",
        help="webhook targets allowed: names, .domains, addresses, CIDR ranges or *, comma "
        "separated, repeatable (default: loopback; the --webhook-url and --public-url hosts "
        "are always allowed; link-local only when named)",
    )
    security.add_argument(
        "--media-secret",
        type=_secret,
        metavar="SECRET",
        help="key of the media link signatures, for links identical across runs "
        "(default: random per run, so links cannot be forged)",
    )
    serve.add_argument_group("output").add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="how much to log on stderr (debug adds an access log)",
    )

    serve.set_defaults(run=run_serve)


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        host=args.host,
        port=args.port,
        seed=args.seed,
        api_keys=args.api_keys,
        clock=args.clock,
        speed=args.speed,
        start_time=args.start_time,
        scenario_dirs=args.scenarios,
        webhook_url=args.webhook_url,
        webhook_schedule=args.webhook_retry_schedule,
        webhook_timeout=args.webhook_timeout,
        faults=Faults(args.fault_duplicate, args.fault_delay, args.fault_out_of_order),
        strict=args.strict,
        max_body=args.max_body,
        fast_lane=not args.no_fast_lane,
        public_url=args.public_url,
        log_level=args.log_level,
        epoch=args.epoch,
        state_file=args.state,
        state_interval=args.state_interval,
        control_token=args.control_token,
        webhook_allow=[entry for group in args.webhook_allow for entry in group],
        media_secret=args.media_secret,
        drain_timeout=args.drain_timeout,
        advance_wait=args.advance_wait,
        journal_limit=args.journal_limit,
        link_ttl=args.link_ttl,
    )


def run_serve(args: argparse.Namespace) -> int:
    """Serve in the foreground until Ctrl-C or SIGTERM; 2 when it cannot start."""
    from ..scenarios import ScenarioError
    from ..state import StateError

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("faker").setLevel(logging.INFO)  # its locale probing is no news
    settings = settings_from(args)
    if settings.clock == MANUAL and args.speed != 1.0:
        print("mockbaas: --speed only applies to the realtime clock", file=sys.stderr)
        return 2
    from .foreground import serve

    try:
        return serve(settings)
    except (ScenarioError, StateError) as exc:
        print(f"mockbaas: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"mockbaas: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 2
