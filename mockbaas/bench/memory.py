"""Memory a finished bot keeps, at rest: measured in this process with tracemalloc.

RSS says what a process took from the system; this says what the world holds per bot
once its life is over (its request, history, indexes), with the webhook journal apart:
the journal is bounded on its own (`--journal-limit`, 64 MB of bodies at most).
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from dataclasses import dataclass

from ..bots import transcript
from ..bots.params import BotParams
from ..config import Settings
from ..core import MockBaaS
from ..webhooks import Journal, MemoryTransport

LIFE_S = 3600


@dataclass
class AtRest:
    bots: int
    per_bot_kb: float  # the world without the journal
    journal_mb: float  # what the journal held at the end (bounded)


async def _measure(bots: int) -> AtRest:
    mock = MockBaaS(Settings(port=0, strict=False, webhook_url="http://127.0.0.1:9/bench"))
    transport = MemoryTransport()
    mock.webhooks.transport = transport  # posts go nowhere: memory, not sockets
    mock.start()
    account = mock.accounts.authenticate("bench-key")
    join = {"meeting_url": "https://meet.google.com/abc-defg-hij", "bot_name": "Bench"}
    warm_up = BotParams.from_request({**join, "deduplication_key": "warm-up"})
    mock.bots.join(account, warm_up)  # pools, caches
    await mock.advance(LIFE_S)
    transcript._sentences(), transcript._names()  # built once per process
    mock.webhooks.journal = Journal(mock.settings.journal_limit)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(bots):
            body = {**join, "deduplication_key": f"m{n}", "speech_to_text": {"provider": "Default"}}
            mock.bots.join(account, BotParams.from_request(body))
        await mock.advance(LIFE_S)
        transport.posts.clear()
        mock.bots._transcript_cache.clear()  # a bounded cache, not what a bot keeps
        journal = sum(len(d.body) for d in mock.webhooks.journal)
        mock.webhooks.journal = Journal()  # bounded on its own: measured apart
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    await mock.shutdown()
    return AtRest(bots, (after - before) / bots / 1024, journal / 1024 / 1024)


def measure(bots: int) -> AtRest:
    return asyncio.run(_measure(bots))
