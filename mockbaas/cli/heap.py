"""How `mockbaas serve` keeps the garbage collector out of the way of its answers.

CPython starts a young collection when allocations minus frees pass a threshold. A busy
mock frees old objects (a fired timer, a delivered webhook) about as fast as it makes new
ones that live on (the next timer, the next delivery), so that count barely moves while
the young generation grows. With 50,000 bots through their lives it held 800,000 objects
when a young collection finally ran: 315 ms, then 384 ms for the middle generation and
856 ms for a full collection, with the loop frozen each time (`make bench`, lifecycle).

Almost nothing the mock lets go of while it serves is cyclic garbage (about 2,500
objects over those 50,000 lives; the rest is freed by reference counting, frozen or
not), so whatever has survived
a fifth of a second is frozen out of every collection (`gc.freeze`: a list splice,
whatever the heap's size). Measured on the same run: the longest pause 64 ms with a
freeze every second, 42 ms every fifth of one, and 2.0 s of collections instead of 5.2.

Cycles frozen with the rest are reclaimed by a full collection at most every `full_every`
seconds, and only when the frozen heap grew by a quarter since the last one: the one
pause left, rare and bounded by what the world holds. A reset is the exception: the
world it lets go of is held together by cycles, frozen with everything else, so a reset
that discards a large one runs a full collection at once.

Only the server process does this: an in-process fixture shares its heap with the test
run, which the mock has no business freezing.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

#: young collections every 3,000 net allocations instead of 700, the middle generation
#: every 10 of them, so between freezes it holds ~30,000 objects at most: its collection
#: is the pause a POST /bots/ can land in (p99 505 ms at 50,000 x 20, 40-55 ms at
#: 10,000 x 10, 15-18 ms at 3,000 x 10, same throughput; `make bench`, api)
THRESHOLD = (3_000, 10, 100)
#: a full collection only once the frozen heap grew this much since the last one
GROWTH = 1.25
#: a reset that discards this many bots reclaims them at once: a world is cyclic garbage
#: (20,000 bots held 49 MB after their reset until a full collection), and frozen
#: garbage waits for one
RECLAIM_AFTER = 1_000


class HeapKeeper:
    def __init__(
        self, now: Callable[[], float], freeze_every: float = 0.2, full_every: float = 600.0
    ) -> None:
        self.now = now
        self.freeze_every = freeze_every
        self.full_every = full_every
        self.last_full = now()
        self.frozen_after_full = 0
        self.full_collections = 0

    def start(self) -> None:
        """Freeze what start-up built (the contracts, scenarios, pools: it all lives as
        long as the server) and set the thresholds."""
        gc.collect()
        gc.freeze()
        gc.set_threshold(*THRESHOLD)
        self.frozen_after_full = gc.get_freeze_count()
        self.last_full = self.now()

    def tick(self) -> bool:
        """Freeze what survived since the last tick; True when this tick also ran the
        full collection that reclaims frozen cycles."""
        gc.freeze()
        due = self.now() - self.last_full >= self.full_every
        if due and gc.get_freeze_count() > self.frozen_after_full * GROWTH:
            self.full()
            return True
        return False

    def full(self) -> None:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.frozen_after_full = gc.get_freeze_count()
        self.last_full = self.now()
        self.full_collections += 1

    def after_reset(self, discarded: int) -> None:
        """A reset's listener: a large world let go is reclaimed now (a collection of
        the small heap a reset leaves, plus that garbage: tens of milliseconds), a
        small one waits for the next due full collection."""
        if discarded >= RECLAIM_AFTER:
            self.full()

    async def run(self) -> None:
        """Tick every `freeze_every` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.freeze_every)
            self.tick()
