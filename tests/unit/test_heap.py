"""The server's collector policy (cli/heap.py): survivors frozen each tick, frozen cycles
reclaimed by a full collection only when it is due and the frozen heap grew."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from mockbaas.bots.params import BotParams
from mockbaas.cli.heap import GROWTH, RECLAIM_AFTER, HeapKeeper
from mockbaas.config import Settings
from mockbaas.core import MockBaaS

MEET = "https://meet.google.com/abc-defg-hij"


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


def test_a_reset_that_lets_a_large_world_go_reclaims_it_at_once(thawed):
    keeper = HeapKeeper(lambda: 0.0)
    keeper.start()
    lost = cycle()
    keeper.tick()
    keeper.after_reset(RECLAIM_AFTER - 1)  # a small world waits for a due collection
    assert lost() is not None and keeper.full_collections == 0
    keeper.after_reset(RECLAIM_AFTER)
    assert lost() is None and keeper.full_collections == 1


def test_the_engine_tells_its_reset_listeners_how_many_bots_went():
    async def scenario() -> list[int]:
        mock = MockBaaS(Settings(clock="manual"))
        heard: list[int] = []
        mock.reset_listeners.append(heard.append)
        mock.start()
        account = mock.accounts.authenticate("key", None)
        for n in range(3):
            body = {"meeting_url": MEET, "bot_name": "b", "deduplication_key": str(n)}
            mock.bots.join(account, BotParams.from_request(body))
        await mock.reset()
        await mock.reset()
        await mock.shutdown()
        return heard

    assert asyncio.run(scenario()) == [3, 0]
