"""`mockbaas trigger` and `mockbaas tail`: poke and watch a running mock's webhooks.

Both talk to the control API of a server (`--server`, default http://127.0.0.1:8080), so
they work with `mockbaas serve` and with a test's fixture server alike.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from ..config import TOKEN_ENV
from ..testing import MockClient

DEFAULT_SERVER = "http://127.0.0.1:8080"
EVENTS = (
    "bot.status_change",
    "complete",
    "failed",
    "transcription_complete",
    "calendar.sync_events",
)

GREEN, RED, YELLOW, DIM, RESET = "\033[32m", "\033[31m", "\033[33m", "\033[2m", "\033[0m"


def use_colour(stream: TextIO) -> bool:
    """Colour on a terminal only, and never when NO_COLOR is set (no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def _paint(text: str, colour: str, on: bool) -> str:
    return f"{colour}{text}{RESET}" if on else text


def _what(delivery: dict[str, Any]) -> str:
    """The event, and its status code for a status change."""
    data = delivery["payload"].get("data") or {}
    status = data.get("status") if isinstance(data, dict) else None
    if delivery["event"] == "bot.status_change" and isinstance(status, dict):
        return f"{delivery['event']} {status.get('code')}"
    event: str = delivery["event"]
    return event


def attempt_line(delivery: dict[str, Any], attempt: dict[str, Any], colour: bool) -> str:
    """One attempt: virtual time, event, subject, attempt number and kind, URL, outcome."""
    if attempt["error"] is None:
        outcome = _paint(f"{attempt['status_code']} ok", GREEN, colour)
    else:
        outcome = _paint(attempt["error"], RED, colour)
    return (
        f"{_paint(attempt['at'], DIM, colour)}  {_what(delivery)}  {delivery['subject']}  "
        f"#{attempt['number']} {attempt['kind']}  {attempt['url']}  {outcome}"
    )


def unsent_line(delivery: dict[str, Any], colour: bool) -> str:
    """A delivery that will never be attempted (no URL, withheld as invalid)."""
    return (
        f"{_paint(delivery['created_at'], DIM, colour)}  {_what(delivery)}  "
        f"{delivery['subject']}  {_paint(delivery['state'], YELLOW, colour)}"
    )


class Tail:
    """Remembers what it printed, so each poll prints only what is new."""

    def __init__(self, client: MockClient, out: TextIO, colour: bool, bot_id: str | None) -> None:
        self.client, self.out, self.colour, self.bot_id = client, out, colour, bot_id
        self.seen: set[tuple[str, int]] = set()

    def poll(self) -> int:
        printed = 0
        for delivery in self.client.webhooks(bot_id=self.bot_id):
            lines = []
            for attempt in delivery["attempts"]:
                key = (delivery["id"], attempt["number"])
                if key not in self.seen:
                    self.seen.add(key)
                    lines.append(attempt_line(delivery, attempt, self.colour))
            if not delivery["attempts"] and delivery["state"] in ("no_url", "invalid"):
                key = (delivery["id"], 0)
                if key not in self.seen:
                    self.seen.add(key)
                    lines.append(unsent_line(delivery, self.colour))
            for line in lines:
                print(line, file=self.out, flush=True)
            printed += len(lines)
        return printed

    def follow(self, interval: float, stop: Callable[[], bool] = lambda: False) -> None:
        while not stop():
            self.poll()
            time.sleep(interval)


def run_tail(args: argparse.Namespace) -> int:
    client = MockClient(args.server, timeout=10, control_token=args.control_token)
    tail = Tail(client, sys.stdout, use_colour(sys.stdout), args.bot)
    try:
        if args.once:
            tail.poll()
        else:
            tail.follow(args.interval)
    except KeyboardInterrupt:
        return 0
    except (OSError, RuntimeError) as exc:
        print(f"mockbaas tail: {args.server}: {exc}", file=sys.stderr)
        return 2
    return 0


def run_trigger(args: argparse.Namespace) -> int:
    client = MockClient(args.server, timeout=60, control_token=args.control_token)
    try:
        found = client.trigger(args.event, bot_id=args.bot, url=args.url, api_key=args.api_key)
    except (OSError, RuntimeError) as exc:
        print(f"mockbaas trigger: {exc}", file=sys.stderr)
        return 2
    colour = use_colour(sys.stdout)
    for delivery in found["deliveries"]:
        for attempt in delivery["attempts"]:
            print(attempt_line(delivery, attempt, colour))
        if not delivery["attempts"]:
            print(unsent_line(delivery, colour))
    print(f"subject {found['subject']}")
    # delivered, or journaled with no URL to send it to: what was asked for happened
    done = all(d["state"] in ("delivered", "no_url") for d in found["deliveries"])
    return 0 if done else 1


def add_parsers(sub: Any) -> None:
    trigger = sub.add_parser(
        "trigger",
        help="make a running mock send a webhook event now",
        description="Make a running mock send EVENT now, through its normal delivery: "
        "again for --bot (a bot or calendar that sent it), else from a new bot or "
        "calendar that lives just far enough to send it (the clock does not move).",
    )
    trigger.add_argument("event", choices=EVENTS, metavar="EVENT", help=", ".join(EVENTS))
    trigger.add_argument("--bot", metavar="ID", help="a bot (or calendar) uuid to send it for")
    trigger.add_argument("--url", help="send it here instead of the usual webhook URL")
    trigger.add_argument(
        "--api-key",
        help="the account of a new bot (default: the first "
        "--api-key of the server, else 'mockbaas-trigger')",
    )
    trigger.add_argument("--server", default=DEFAULT_SERVER, help="the mock's base URL")
    _token_argument(trigger)
    trigger.set_defaults(run=run_trigger)

    tail = sub.add_parser(
        "tail",
        help="follow a running mock's webhook deliveries, one line per attempt",
        description="Print every webhook attempt of a running mock as it happens: virtual "
        "time, event, subject, attempt number and kind, URL, outcome (coloured on a "
        "terminal; NO_COLOR turns colour off). Ctrl-C stops.",
    )
    tail.add_argument("--server", default=DEFAULT_SERVER, help="the mock's base URL")
    tail.add_argument("--bot", metavar="ID", help="only this bot's (or calendar's) deliveries")
    tail.add_argument("--interval", type=float, default=0.5, help="seconds between polls")
    tail.add_argument("--once", action="store_true", help="print what is there and exit")
    _token_argument(tail)
    tail.set_defaults(run=run_tail)


def _token_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--control-token",
        metavar="TOKEN",
        help=f"the control token of a mock started with one (default: ${TOKEN_ENV})",
    )
