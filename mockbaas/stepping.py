"""Moving a clock to a moment, to a condition, or until nothing is left to happen.

Built only on the Clock's public `advance`, `next_due` and `now`: each step jumps to the
next due timer, so a condition is checked after every instant at which anything
happened, and time never moves past the moment it became true. `settle` (the webhook
dispatcher's) is awaited after every step: webhook posts run beside the clock, and a retry
exists only once its failed attempt came back, so "idle" means no timer and no post.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .clock import Clock

#: Most timer instants one call walks through: a timer that re-arms itself forever ends
#: the walk instead of hanging the caller.
MAX_STEPS = 100_000

Settle = Callable[[], Awaitable[object]] | None


async def _advance(clock: Clock, seconds: float, settle: Settle) -> int:
    fired = await clock.advance(seconds)
    if settle is not None:
        await settle()
    return fired


async def advance_to(clock: Clock, target_ms: int, settle: Settle = None) -> int:
    """Advance to `target_ms` (virtual epoch milliseconds); how many timers ran."""
    now = clock.now()
    if target_ms < now:
        raise ValueError("that moment is in the past (time cannot go back)")
    return await _advance(clock, (target_ms - now) / 1000, settle)


async def advance_until(
    clock: Clock, done: Callable[[], bool], max_ms: int, settle: Settle = None
) -> tuple[bool, int]:
    """Step from timer to timer until `done()` holds, at most `max_ms` ahead. Stops at
    the instant it became true; else at now + `max_ms`. Returns (reached, timers run)."""
    deadline = clock.now() + max_ms
    fired = await _advance(clock, 0, settle)  # whatever is already due happens first
    for _ in range(MAX_STEPS):
        if done():
            return True, fired
        due = clock.next_due()
        if due is None or due > deadline:
            break
        fired += await advance_to(clock, max(due, clock.now()), settle)
    if clock.now() < deadline:
        fired += await advance_to(clock, deadline, settle)
    return done(), fired


async def run_until_idle(clock: Clock, max_ms: int, settle: Settle = None) -> tuple[bool, int]:
    """Run timer after timer until none is pending, at most `max_ms` ahead (time stays
    at the last timer run). Returns (idle, timers run)."""
    deadline = clock.now() + max_ms
    fired = await _advance(clock, 0, settle)
    for _ in range(MAX_STEPS):
        due = clock.next_due()
        if due is None:
            return True, fired
        if due > deadline:
            return False, fired
        fired += await advance_to(clock, max(due, clock.now()), settle)
    return clock.next_due() is None, fired
