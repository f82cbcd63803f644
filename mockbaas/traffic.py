"""The API calls the mock received: so a test can assert its client kept the contract.

The mock refuses a malformed call with a 4xx naming the problem, but an app under test
may swallow that error. The traffic log keeps every Meeting BaaS API call (not the
control API) with its answer, and marks the ones the contract itself refuses.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass
from typing import Any

from .clock import iso

#: Answers that mean "this call breaks openapi.json", whatever the state of the world.
#: (404 for an unknown id, 409, 429 are behaviour, not contract; an unknown route is.)
CONTRACT_STATUSES = frozenset({400, 401, 405, 413, 415, 422})
LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Exchange:
    seq: int
    at: int
    method: str
    path: str
    query: str
    operation_id: str | None
    status: int | None  # None: a fault dropped the connection, nothing was answered
    error: dict[str, Any] | None
    #: query parameters the operation does not declare: ignored, so a violation
    ignored_params: tuple[str, ...] = ()
    behaviour: bool = False  # refused by policy or a rule of time, not by the contract

    @property
    def violation(self) -> bool:
        if self.operation_id is None or self.ignored_params:
            return True
        return self.status in CONTRACT_STATUSES and not self.behaviour

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": iso(self.at),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "operation_id": self.operation_id,
            "status": self.status,
            "violation": self.violation,
            "error": self.error,
            "ignored_params": list(self.ignored_params),
            "behaviour": self.behaviour,
        }


class Traffic:
    """The last `LIMIT` API calls, oldest first."""

    def __init__(self, limit: int = LIMIT) -> None:
        # plain tuples on the request path; Exchange objects only when someone reads
        self._log: deque[tuple[Any, ...]] = deque(maxlen=limit)
        self._seq = 0

    def record(
        self,
        at: int,
        method: str,
        path: str,
        query: str,
        operation_id: str | None,
        status: int | None,
        error: dict[str, Any] | None,
        ignored_params: tuple[str, ...] = (),
        behaviour: bool = False,
    ) -> None:
        self._seq += 1
        row = (self._seq, at, method, path, query, operation_id, status, error, ignored_params)
        self._log.append((*row, behaviour))

    def position(self) -> dict[str, Any]:
        """The log as plain data (mockbaas/state.py)."""
        return {"seq": self._seq, "log": [list(row) for row in self._log]}

    def restore(self, data: dict[str, Any]) -> None:
        self._seq = int(data["seq"])
        self._log.clear()
        self._log.extend(tuple(row) for row in data["log"])

    def __len__(self) -> int:
        return len(self._log)

    def latest(self, n: int) -> list[Exchange]:
        """The last `n` calls, oldest first, without building the others."""
        start = max(len(self._log) - n, 0)
        return [Exchange(*row) for row in itertools.islice(self._log, start, None)]

    def query(self, violations: bool = False, operation_id: str | None = None) -> list[Exchange]:
        found = (Exchange(*row) for row in self._log)
        return [
            e
            for e in found
            if (not violations or e.violation)
            and (operation_id is None or e.operation_id == operation_id)
        ]
