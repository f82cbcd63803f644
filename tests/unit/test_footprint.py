"""What a bot keeps in memory. Sizes, not times: tens of thousands of bots live in one
mock, so a few hundred bytes per bot are megabytes (`make bench` measures the rest)."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc

from mockbaas.bots.params import BotParams
from mockbaas.config import Settings
from mockbaas.contract.jsonio import dumps, dumps_kept
from mockbaas.core import MockBaaS

BOTS = 300


def test_a_kept_body_holds_its_own_size() -> None:
    payload = {"event": "bot.status_change", "data": {"bot_id": "b" * 36}}
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [dumps_kept({**payload, "n": n}) for n in range(100)]
        per_body = (tracemalloc.get_traced_memory()[0] - before) / len(kept)
    finally:
        tracemalloc.stop()
    assert kept[7] == dumps({**payload, "n": 7})
    assert per_body < 2 * len(kept[0]) + 100, per_body  # not orjson's 4 KiB buffer


def test_a_new_bot_and_its_journaled_webhook_stay_small() -> None:
    async def grow() -> float:
        mock = MockBaaS(Settings(clock="manual"))
        mock.start()
        account = mock.accounts.authenticate("footprint", None)
        bodies = [
            {
                "meeting_url": "https://meet.google.com/abc-defg-hij",
                "bot_name": "f",
                "deduplication_key": f"k{n}",
            }
            for n in range(BOTS + 10)
        ]
        for body in bodies[:10]:  # first-use caches, outside the measure
            mock.bots.join(account, BotParams.from_request(body))
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for body in bodies[10:]:
                mock.bots.join(account, BotParams.from_request(body))
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert len(mock.webhooks.journal) == BOTS + 10  # each bot's joining_call, kept
        return grown / BOTS

    per_bot = asyncio.run(grow())
    # ~3.2 KB on CPython 3.11; with unslotted bots and orjson's buffers it was ~8.4 KB
    assert per_bot < 5_000, f"{per_bot:.0f} bytes per new bot"
