"""What a v2 account may spend: tokens, a daily bot cap and a request rate, each set per
account through the control API so a user can test the 402 and 429 paths.

Defaults are unlimited (the mock never refuses on its own). The rules the docs state:
the daily cap (bots created in the last 24 hours) is checked before tokens; a bot that
joins reserves 0.5 tokens, and 402 answers when fewer are left; scheduled bots are
checked when they join, not when they are scheduled. The mock charges the reservation
alone: duration-based consumption is not modelled.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..errors import MockError

RESERVATION = 0.5
_T = TypeVar("_T")
DAY_MS = 24 * 60 * 60 * 1000


class Limited(MockError):
    """A 429 that carries its rate-limit headers."""

    headers: dict[str, str]


def limited(code: str, message: str, wait_s: int, headers: dict[str, str]) -> Limited:
    error = Limited(code, message, retry_after=wait_s)
    error.headers = headers
    return error


@dataclass
class AccountLimits:
    tokens: float | None = None  # None: unlimited
    daily_bot_cap: int | None = None
    rate_limit: int | None = None  # requests per window
    rate_window_s: int = 60
    spent: float = 0.0
    created: deque[int] = field(default_factory=deque)  # bot join times, last 24 h
    calls: deque[int] = field(default_factory=deque)  # request times, current window

    def view(self, now_ms: int) -> dict[str, Any]:
        self._trim(now_ms)
        return {
            "tokens": self.tokens,
            "tokens_spent": self.spent,
            "tokens_left": None if self.tokens is None else max(0.0, self.tokens - self.spent),
            "daily_bot_cap": self.daily_bot_cap,
            "bots_last_24h": len(self.created),
            "rate_limit": self.rate_limit,
            "rate_window_seconds": self.rate_window_s,
        }

    def _trim(self, now_ms: int) -> None:
        while self.created and self.created[0] <= now_ms - DAY_MS:
            self.created.popleft()
        while self.calls and self.calls[0] <= now_ms - self.rate_window_s * 1000:
            self.calls.popleft()


def _wait_s(until_ms: int, now_ms: int) -> int:
    return max(1, -(-(until_ms - now_ms) // 1000))


class Limits:
    """Every account's limits, by API key (so they can be set before the first call)."""

    def __init__(self) -> None:
        self.accounts: dict[str, AccountLimits] = {}

    def of(self, key: str) -> AccountLimits:
        return self.accounts.setdefault(key, AccountLimits())

    def configure(self, key: str, changes: dict[str, Any], now_ms: int) -> dict[str, Any]:
        """Set any of `tokens`, `daily_bot_cap`, `rate_limit`, `rate_window_seconds`
        (null lifts a limit); `tokens` also forgets what was spent. The values are
        numbers in range or null: the control API's document checked them."""
        limits = self.of(key)
        if "tokens" in changes:
            limits.tokens = _maybe(changes["tokens"], float)
            limits.spent = 0.0
        if "daily_bot_cap" in changes:
            limits.daily_bot_cap = _maybe(changes["daily_bot_cap"], int)
        if "rate_limit" in changes:
            limits.rate_limit = _maybe(changes["rate_limit"], int)
        if "rate_window_seconds" in changes:
            limits.rate_window_s = _maybe(changes["rate_window_seconds"], int) or 60
        return limits.view(now_ms)

    # -- checks ------------------------------------------------------------------------
    def call(self, key: str, now_ms: int) -> dict[str, str]:
        """Count one v2 request; 429 when the window is spent. Returns the headers."""
        limits = self.accounts.get(key)
        if limits is None or limits.rate_limit is None:
            return {}
        limits._trim(now_ms)
        window_ms = limits.rate_window_s * 1000
        if len(limits.calls) >= limits.rate_limit:
            wait = _wait_s(limits.calls[0] + window_ms, now_ms)
            headers = _rate_headers(limits.rate_limit, 0, wait) | {"Retry-After": str(wait)}
            raise limited(
                "rate_limited",
                f"rate limit of {limits.rate_limit} requests per {limits.rate_window_s} s "
                f"reached; retry in {wait} s",
                wait,
                headers,
            )
        limits.calls.append(now_ms)
        reset = _wait_s(limits.calls[0] + window_ms, now_ms)
        return _rate_headers(limits.rate_limit, limits.rate_limit - len(limits.calls), reset)

    def check_bot(self, key: str, now_ms: int) -> None:
        """The daily cap, then tokens, for one bot about to join; nothing is taken."""
        limits = self.accounts.get(key)
        if limits is None:
            return
        limits._trim(now_ms)
        cap = limits.daily_bot_cap
        if cap is not None and len(limits.created) >= cap:
            wait = _wait_s(limits.created[0] + DAY_MS, now_ms) if limits.created else DAY_MS
            raise limited(
                "daily_bot_cap",
                f"daily bot cap of {cap} bots reached (DAILY_BOT_CAP_REACHED); retry in {wait} s",
                wait,
                {"Retry-After": str(wait)},
            )
        if limits.tokens is not None and limits.tokens - limits.spent < RESERVATION:
            left = max(0.0, limits.tokens - limits.spent)
            raise MockError(
                "insufficient_tokens",
                f"{left:g} tokens left; a bot reserves {RESERVATION:g} (INSUFFICIENT_TOKENS)",
            )

    def take_bot(self, key: str, now_ms: int) -> None:
        """A bot joined: count it against the cap and reserve its tokens."""
        limits = self.accounts.get(key)
        if limits is None:
            return
        limits.created.append(now_ms)
        if limits.tokens is not None:
            limits.spent += RESERVATION

    # -- state -------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            key: {
                "tokens": a.tokens,
                "daily_bot_cap": a.daily_bot_cap,
                "rate_limit": a.rate_limit,
                "rate_window_s": a.rate_window_s,
                "spent": a.spent,
                "created": list(a.created),
                "calls": list(a.calls),
            }
            for key, a in self.accounts.items()
        }

    def load(self, data: dict[str, Any]) -> None:
        for key, a in data.items():
            self.accounts[key] = AccountLimits(
                tokens=a["tokens"],
                daily_bot_cap=a["daily_bot_cap"],
                rate_limit=a["rate_limit"],
                rate_window_s=int(a["rate_window_s"]),
                spent=float(a["spent"]),
                created=deque(int(t) for t in a["created"]),
                calls=deque(int(t) for t in a["calls"]),
            )


def _rate_headers(limit: int, remaining: int, reset_s: int) -> dict[str, str]:
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(0, remaining)),
        "X-RateLimit-Reset": str(reset_s),
    }
    return headers


def _maybe(value: Any, kind: Callable[[Any], _T]) -> _T | None:
    return None if value is None else kind(value)
