"""The server's collector policy (cli/heap.py): survivors frozen each tick, frozen cycles
reclaimed by a full collection only when it is due and the frozen heap grew."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from mockbaas.cli.heap import GROWTH, HeapKeeper


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def thawed() -> Iterator[None]:
    """The test process's heap as it was: unfrozen, default thresholds."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def cycle() -> weakref.ref[Node]:
    """A two-node cycle nothing refers to: garbage only a collection can reclaim."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_ticks_freeze_survivors_and_leave_frozen_cycles_until_a_full_collection(thawed):
    now = [0.0]
    keeper = HeapKeeper(lambda: now[0], freeze_every=1.0, full_every=600.0)
    keeper.start()
    started = gc.get_freeze_count()
    assert started > 0 and gc.get_threshold()[0] == 3_000
    kept = [Node() for _ in range(1000)]
    lost = cycle()
    now[0] = 1.0
    assert keeper.tick() is False  # not due: nothing but a freeze
    assert gc.get_freeze_count() >= started + len(kept)
    gc.collect()
    assert lost() is not None  # frozen: out of every collection's reach
    now[0] = 599.0
    assert keeper.tick() is False
    grow = [Node() for _ in range(int(started * GROWTH))]  # a quarter more, and then some
    now[0] = 600.0
    assert keeper.tick() is True and keeper.full_collections == 1
    assert lost() is None  # the full collection reclaimed the frozen cycle
    assert kept[0].other is None and len(grow) > 0  # the living stay, frozen again
    assert keeper.frozen_after_full > started * GROWTH  # the next full one waits for more


def test_no_full_collection_when_the_frozen_heap_did_not_grow(thawed):
    now = [0.0]
    keeper = HeapKeeper(lambda: now[0], freeze_every=1.0, full_every=10.0)
    keeper.start()
    lost = cycle()
    now[0] = 50.0
    assert keeper.tick() is False  # due, but a handful of objects is no quarter
    assert lost() is not None
    keeper.full()  # what a due tick runs
    assert lost() is None and keeper.last_full == 50.0
