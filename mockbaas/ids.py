"""Seeded identifiers: the only source of randomness in the mock's logic.

One generator per server, seeded from `--seed` and the id epoch; per-bot generators
derive from it, so adding a bot never changes what an earlier bot produced.

The epoch separates runs of one seed: epoch 0 (the fixture, `serve --deterministic`)
gives the same ids every run; `serve` picks a fresh epoch per process, so a restart
never hands out an id (bot, calendar, webhook delivery) that a previous run used.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from typing import Any


def mixed_seed(seed: int, epoch: int) -> int:
    """The generator seed of (seed, epoch); epoch 0 is the plain seed, as it always was."""
    if epoch == 0:
        return seed
    digest = hashlib.sha256(f"mockbaas-epoch/{seed}/{epoch}".encode()).digest()
    return int.from_bytes(digest[:16], "big")


def fresh_epoch() -> int:
    """A new epoch for a new process: random, never 0 (0 is the deterministic one).
    Chosen once at start-up, outside the engine, so it is not a source of randomness
    in the mock's logic."""
    return secrets.randbits(63) or 1


#: RFC 4122: the variant bits (10) and the version nibble (4) of a random UUID
_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_VERSION_4 = (0x8000 << 48) | (0x4000 << 64)


class Ids:
    def __init__(self, seed: int, epoch: int = 0) -> None:
        self.seed = seed
        self.epoch = epoch
        self._rng = random.Random(mixed_seed(seed, epoch))
        self._counters: dict[str, int] = {}

    def uuid(self) -> str:
        """`str(uuid.UUID(int=<128 drawn bits>, version=4))`, without building the object
        (two per created bot: it shows in POST /bots/ throughput)."""
        n = (self._rng.getrandbits(128) & _CLEAR) | _VERSION_4
        h = n.to_bytes(16, "big").hex()  # faster than formatting the int
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def token(self, nbytes: int = 16) -> str:
        return self._rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()

    def child_seed(self) -> int:
        return self._rng.getrandbits(63)

    def next_int(self, name: str) -> int:
        """Sequential small integers, like the database ids the real API exposes."""
        value = self._counters.get(name, 0) + 1
        self._counters[name] = value
        return value

    # -- persistence (mockbaas/state.py) ----------------------------------------------
    def position(self) -> dict[str, Any]:
        """Where the streams are: enough to continue them exactly after a restart."""
        version, internal, gauss = self._rng.getstate()
        return {
            "rng": [version, list(internal), gauss],
            "counters": dict(self._counters),
        }

    def restore(self, position: dict[str, Any]) -> None:
        version, internal, gauss = position["rng"]
        self._rng.setstate((version, tuple(internal), gauss))
        self._counters = {str(k): int(v) for k, v in position["counters"].items()}
