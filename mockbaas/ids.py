"""Seeded identifiers: the only source of randomness in the mock.

One generator per server, seeded from `--seed`; per-bot generators derive from it, so
adding a bot never changes what an earlier bot produced.
"""

from __future__ import annotations

import random
import uuid


class Ids:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(seed)
        self._counters: dict[str, int] = {}

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def token(self, nbytes: int = 16) -> str:
        return self._rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()

    def child_seed(self) -> int:
        return self._rng.getrandbits(63)

    def next_int(self, name: str) -> int:
        """Sequential small integers, like the database ids the real API exposes."""
        value = self._counters.get(name, 0) + 1
        self._counters[name] = value
        return value
