"""Moving a clock to a moment, to a condition, or until nothing is left to happen.

Built only on the Clock's public `advance`, `next_due` and `now`: each step jumps to the
next due timer, so a condition is checked after every instant at which anything
happened, and time never moves past the moment it became true.
"""

from __future__ import annotations

from collections.abc import Callable

from .clock import Clock

#: Most timer instants one call walks through: a timer that re-arms itself forever ends
#: the walk instead of hanging the caller.
MAX_STEPS = 100_000


async def advance_to(clock: Clock, target_ms: int) -> int:
    """Advance to `target_ms` (virtual epoch milliseconds); how many timers ran."""
    now = clock.now()
    if target_ms < now:
        raise ValueError("that moment is in the past (time cannot go back)")
    return await clock.advance((target_ms - now) / 1000)


async def advance_until(clock: Clock, done: Callable[[], bool], max_ms: int) -> tuple[bool, int]:
    """Step from timer to timer until `done()` holds, at most `max_ms` ahead. Stops at
    the instant it became true; else at now + `max_ms`. Returns (reached, timers run)."""
    deadline = clock.now() + max_ms
    fired = await clock.advance(0)  # whatever is already due happens first
    for _ in range(MAX_STEPS):
        if done():
            return True, fired
        due = clock.next_due()
        if due is None or due > deadline:
            break
        fired += await advance_to(clock, max(due, clock.now()))
    if clock.now() < deadline:
        fired += await advance_to(clock, deadline)
    return done(), fired


async def run_until_idle(clock: Clock, max_ms: int) -> tuple[bool, int]:
    """Run timer after timer until none is pending, at most `max_ms` ahead (time stays
    at the last timer run). Returns (idle, timers run)."""
    deadline = clock.now() + max_ms
    fired = await clock.advance(0)
    for _ in range(MAX_STEPS):
        due = clock.next_due()
        if due is None:
            return True, fired
        if due > deadline:
            return False, fired
        fired += await advance_to(clock, max(due, clock.now()))
    return clock.next_due() is None, fired
