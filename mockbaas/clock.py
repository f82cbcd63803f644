"""The one clock that owns time for a mock server.

Everything time-dependent (bot transitions, webhook retries, URL expiry, rate limits)
is a timer on this clock, so a test can move time by hours in milliseconds and a
replay with the same inputs fires the same timers in the same order.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

log = logging.getLogger("mockbaas.clock")

MANUAL = "manual"
REALTIME = "realtime"
CLOCK_MODES = (MANUAL, REALTIME)

#: The virtual epoch of a manual clock when none is given: fixed, so runs replay.
DEFAULT_START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)

Callback = Callable[[], Awaitable[None]]
#: Timers run back to back before `advance` lets other tasks run.
YIELD_EVERY = 256


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(round(moment.timestamp() * 1000))


@lru_cache(maxsize=4096)  # the same few timestamps are rendered on every read
def iso(ms: int) -> str:
    """ISO-8601 UTC with milliseconds, the shape the real API's timestamps have."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def maybe_iso(ms: int | None) -> str | None:
    """`iso`, with None (a moment that has not happened) passed through."""
    return None if ms is None else iso(ms)


def parse_iso(text: str) -> int:
    """Milliseconds of an ISO-8601 date or date-time; naive values are UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    return to_ms(datetime.fromisoformat(value))


@dataclass(order=True, slots=True)
class Timer:
    due: int
    seq: int
    label: str = field(compare=False)
    callback: Callback | None = field(compare=False, repr=False)
    #: False for plumbing that runs when a real answer came back (a webhook's retry or
    #: its subject's next event): counting it would make `fired` depend on the network
    counted: bool = field(default=True, compare=False)

    @property
    def cancelled(self) -> bool:
        return self.callback is None

    def cancel(self) -> None:
        self.callback = None


class Clock:
    """Virtual time in integer milliseconds plus a deterministic timer queue.

    `manual`: time moves only through `advance`. `realtime`: time follows the wall
    clock, `speed` times faster, from `start`. Timers run one at a time in (due, seq)
    order; while one runs, `now()` is its due time, so what it stamps is exact. Time
    read outside a timer never passes a timer that has not fired yet, so nothing can
    be stamped later than an event that is still due before it (realtime lag included),
    and in realtime it only moves between event-loop steps, so one request (a join and
    the timers it schedules) happens at one instant.
    """

    def __init__(
        self, mode: str = MANUAL, start: datetime | None = None, speed: float = 1.0
    ) -> None:
        if mode not in CLOCK_MODES:
            raise ValueError(f"clock mode must be one of {CLOCK_MODES}, not {mode!r}")
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.mode = mode
        self.speed = speed
        if start is None:
            start = DEFAULT_START if mode == MANUAL else datetime.now(UTC)
        self.start_ms = to_ms(start)
        self._now = self.start_ms
        self._skew = 0  # realtime: virtual ms added by advance()
        self._wall0 = time.monotonic()
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self._lock = asyncio.Lock()
        self._running: int | None = None
        self._pinned = False  # realtime: now() is fixed until the event loop moves on
        self._wake = asyncio.Event()
        self._driver: asyncio.Task[None] | None = None
        self._pump: asyncio.Task[int] | None = None

    # -- reading time ---------------------------------------------------------------
    @property
    def lock(self) -> asyncio.Lock:
        """Held while timers run; take it to change the world between two timers."""
        return self._lock

    def _target(self) -> int:
        """Where time would be if every due timer had run (realtime: the wall clock)."""
        if self.mode == REALTIME:
            elapsed = (time.monotonic() - self._wall0) * 1000 * self.speed
            return max(self._now, self.start_ms + self._skew + int(elapsed))
        return self._now

    def now(self) -> int:
        if self._running is not None:
            return self._running
        if self.mode == REALTIME and not self._pinned:
            target = self._target()
            due = self.next_due()
            # a timer still waiting to run holds time back: stamps stay in order
            self._now = target if due is None else max(self._now, min(target, due))
            self._pin()
        return self._now

    def _pin(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # read from outside the loop (another thread): not pinned
            return
        self._pinned = True
        loop.call_soon(self._unpin)

    def _unpin(self) -> None:
        self._pinned = False

    def wall_ms(self) -> int:
        """Where time is by the wall clock (realtime), even while a due timer holds `now()`
        back: how late something runs against its virtual due time. Manual: `now()`."""
        return self._target()

    def now_iso(self) -> str:
        return iso(self.now())

    @property
    def pending(self) -> int:
        return sum(1 for t in self._heap if not t.cancelled)

    def next_due(self) -> int | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].due if self._heap else None

    # -- timers ---------------------------------------------------------------------
    def call_at(
        self, due: int, callback: Callback, label: str = "", *, counted: bool = True
    ) -> Timer:
        """Run `callback` at virtual time `due` (never earlier than now)."""
        timer = Timer(max(due, self.now()), next(self._seq), label, callback, counted)
        heapq.heappush(self._heap, timer)
        self._kick(timer.due)
        return timer

    def call_later(self, seconds: float, callback: Callback, label: str = "") -> Timer:
        return self.call_at(self.now() + int(round(seconds * 1000)), callback, label)

    def _kick(self, due: int) -> None:
        """Make sure a timer already due runs soon, without waiting for an advance (a
        manual clock's later timers wait for one: no task per armed timer)."""
        if self.mode == REALTIME:
            self._wake.set()
            return
        if due > self._now:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._pump is None or self._pump.done():
            self._pump = loop.create_task(self.run_due())

    async def _run_until(self, target: int) -> int:
        fired = ran = 0
        while True:
            if ran and ran % YIELD_EVERY == 0:
                # a long advance lets the loop breathe: webhook posts and other
                # connections progress while the remaining timers wait their turn
                await asyncio.sleep(0)
            due = self.next_due()
            if due is None or due > target:
                break
            timer = heapq.heappop(self._heap)
            callback = timer.callback
            assert callback is not None  # next_due() dropped the cancelled ones
            timer.cancel()
            self._now = max(self._now, timer.due)
            self._running = timer.due
            try:
                await callback()
            except Exception:  # a broken timer must not stop time for everyone else
                log.exception("timer %s failed", timer.label)
            finally:
                self._running = None
            ran += 1
            fired += timer.counted
        return fired

    async def run_due(self) -> int:
        """Run every timer due by now; returns how many ran. Reads call it first, so
        what they see is settled."""
        async with self._lock:
            return await self._run_until(self._target())

    async def advance(self, seconds: float) -> int:
        """Move time forward, running every timer that falls due, in order (timers
        those timers schedule inside the window included); returns how many ran."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("seconds must be a finite number >= 0 (time cannot go back)")
        step = int(round(seconds * 1000))
        async with self._lock:
            target = self._target() + step
            fired = await self._run_until(target)
            self._now = max(self._now, target)
            if self.mode == REALTIME:
                self._skew += step
            return fired

    def resume(self, now_ms: int, start_ms: int) -> None:
        """Continue a saved world (mockbaas/state.py): virtual time goes on from `now_ms`;
        the time the mock was down does not count. Call before any timer is armed."""
        self.start_ms = start_ms
        self._now = now_ms
        self._skew = now_ms - start_ms
        self._wall0 = time.monotonic()

    def clear(self) -> None:
        for timer in self._heap:
            timer.cancel()
        self._heap.clear()

    # -- realtime driver ------------------------------------------------------------
    def start(self) -> None:
        if self.mode == REALTIME and self._driver is None:
            self._driver = asyncio.get_running_loop().create_task(self._drive())

    async def stop(self) -> None:
        for task in (self._driver, self._pump):
            if task is not None and not task.done():
                task.cancel()
                # its end, whatever it was; a cancellation of the caller still propagates
                await asyncio.gather(task, return_exceptions=True)
        self._driver = None
        self._pump = None

    async def _drive(self) -> None:
        while True:
            self._wake.clear()
            due = self.next_due()
            timeout = None
            if due is not None:
                timeout = max(0.0, (due - self.now()) / 1000 / self.speed)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass
            await self.run_due()

    def snapshot(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "speed": self.speed,
            "now": self.now_iso(),
            "now_ms": self.now(),
            "start": iso(self.start_ms),
            "pending_timers": self.pending,
            "next_due": maybe_iso(self.next_due()),
        }
