"""What a benchmark run measures and how hard: one object handed to every section."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

_STARTED = time.monotonic()

SECTIONS = ("api", "webhooks", "lifecycle", "streaming")
GOAL_LIFECYCLES = 10_000  # the lifecycle goals (< 10 s, < 500 MB) are stated at this size


@dataclass
class Options:
    sections: tuple[str, ...] = SECTIONS
    seconds: float = 5.0  # per throughput or latency run
    #: mock and bare runs in turn per api figure; the pair with the median ratio is shown
    pairs: int = 3
    connections: int = 32
    preload: int = 50_000  # bots present for the second POST /bots/ run
    lifecycle_sizes: tuple[int, ...] = (1_000, 10_000, 50_000)
    slow_bots: int = 500
    slow_delay: float = 0.1
    hang_bots: int = 20
    timeout: float = 600.0  # bound on any one wait (creating bots, an advance, deliveries)
    create_concurrency: int = 64
    load: str = "auto"
    quick: bool = False

    def settings(self) -> dict[str, object]:
        return {
            "sections": list(self.sections),
            "seconds": self.seconds,
            "pairs": self.pairs,
            "connections": self.connections,
            "preload": self.preload,
            "lifecycle_sizes": list(self.lifecycle_sizes),
            "slow_bots": self.slow_bots,
            "slow_delay": self.slow_delay,
            "hang_bots": self.hang_bots,
            "timeout": self.timeout,
            "create_concurrency": self.create_concurrency,
            "quick": self.quick,
        }


QUICK: dict[str, Any] = {
    "seconds": 1.0,
    "pairs": 1,
    "connections": 4,
    "preload": 200,
    "lifecycle_sizes": (20, 60),
    "slow_bots": 6,
    "hang_bots": 3,
    "timeout": 120.0,
    "create_concurrency": 8,
}


def progress(message: str) -> None:
    """Progress goes to stderr: stdout holds the table alone."""
    print(f"bench [{time.monotonic() - _STARTED:5.1f} s] {message}", file=sys.stderr, flush=True)
