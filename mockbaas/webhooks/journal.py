"""The webhook journal: every event the mock meant to send, and what became of it.

Bounded, because a mock that runs for days (a shared dev server, a 100,000-bot load
test) must not grow without end: pending deliveries are always kept, settled ones are
dropped oldest-settled first once there are more than `limit` of them or their bodies
pass `max_bytes`. `evicted` counts what was dropped, so a reader can tell "never sent"
from "no longer kept".
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..accounts.models import API_KEY_HEADER
from ..clock import Timer, iso, maybe_iso
from ..contract.jsonio import loads

DELIVERY_HEADER = "x-mockbaas-delivery-id"
ATTEMPT_HEADER = "x-mockbaas-attempt"
USER_AGENT = "mockbaas-webhooks"

#: Settled deliveries kept by default, and the most bytes of their bodies.
DEFAULT_JOURNAL_LIMIT = 10_000
DEFAULT_JOURNAL_BYTES = 64 * 1024 * 1024


class State(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    NO_URL = "no_url"
    INVALID = "invalid"
    UNDELIVERED = "undelivered_at_shutdown"


class Kind(StrEnum):
    DELIVERY = "delivery"  # scheduled attempts and retries
    DUPLICATE = "duplicate"  # the duplicate fault
    REDELIVERY = "redelivery"  # asked for through the control API
    SHUTDOWN = "shutdown"  # the last chance while the server stops


STATES = tuple(State)


@dataclass(slots=True)
class Attempt:
    number: int  # the x-mockbaas-attempt header sent: 1 + posts made before this one
    kind: Kind
    at: int  # virtual ms the attempt was due: the same whatever the receiver's speed
    url: str
    status_code: int | None
    error: str | None  # None only on success

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": str(self.kind),
            "at": iso(self.at),
            "url": self.url,
            "status_code": self.status_code,
            "error": self.error,
        }


@dataclass(slots=True)
class Delivery:
    id: str
    seq: int
    event: str
    subject: str
    account_key: str
    url: str | None
    #: the exact bytes posted on every attempt, or what renders them again when asked
    #: (a `complete` body with its transcript: never kept, the same bytes every time)
    source: bytes | Callable[[], bytes]
    created_at: int
    state: State = State.PENDING
    attempts: list[Attempt] = field(default_factory=list)
    tries: int = 0  # scheduled attempts made (what the retry schedule counts)
    next_attempt_at: int | None = None
    contract_errors: list[str] = field(default_factory=list)
    timer: Timer | None = field(default=None, repr=False)
    settled: bool = field(default=False, repr=False)
    #: POST, or PUT for a v2 callback that asks for it
    method: str = "POST"
    #: set once at send time (v2 signatures, callback secrets): the same on every attempt
    extra_headers: dict[str, str] = field(default_factory=dict)
    #: redelivered to a URL its account never chose, by a caller who did not prove to be
    #: that account or the operator: the account's key is not sent there (control/)
    withhold_key: bool = False

    @property
    def body(self) -> bytes:
        source = self.source
        return source if isinstance(source, bytes) else source()

    @property
    def kept_bytes(self) -> int:
        """What the journal holds for the body (a rendered one holds next to nothing)."""
        return len(self.source) if isinstance(self.source, bytes) else 0

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = loads(self.body)
        return value

    def headers(self, attempt: int) -> dict[str, str]:
        headers = {
            "content-type": "application/json",
            API_KEY_HEADER: self.account_key,
            DELIVERY_HEADER: self.id,
            ATTEMPT_HEADER: str(attempt),
            "user-agent": USER_AGENT,
            **self.extra_headers,
        }
        if self.withhold_key:
            del headers[API_KEY_HEADER]
        return headers

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "event": self.event,
            "subject": self.subject,
            "url": self.url,
            "state": str(self.state),
            "created_at": iso(self.created_at),
            "next_attempt_at": maybe_iso(self.next_attempt_at),
            "payload": self.payload,
            "attempts": [a.as_dict() for a in self.attempts],
            "contract_errors": list(self.contract_errors),
        }


class Journal:
    """Deliveries by id and by subject, in the order the events happened."""

    def __init__(
        self, limit: int = DEFAULT_JOURNAL_LIMIT, max_bytes: int = DEFAULT_JOURNAL_BYTES
    ) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self.evicted = 0
        self.seq = 0
        self._by_id: dict[str, Delivery] = {}
        self._by_subject: dict[str, list[Delivery]] = {}
        self._settled: deque[Delivery] = deque()
        self._settled_bytes = 0

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Delivery]:
        return iter(list(self._by_id.values()))

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def add(self, delivery: Delivery) -> None:
        self._by_id[delivery.id] = delivery
        self._by_subject.setdefault(delivery.subject, []).append(delivery)
        if delivery.state is not State.PENDING:
            self.settle(delivery)

    def get(self, delivery_id: str) -> Delivery | None:
        return self._by_id.get(delivery_id)

    def of(self, subject: str) -> list[Delivery]:
        return list(self._by_subject.get(subject, ()))

    def settle(self, delivery: Delivery) -> None:
        """`delivery` left `pending` for good (it may still be redelivered): from now on
        it counts against the bound."""
        if delivery.settled:
            return
        delivery.settled = True
        self._settled.append(delivery)
        self._settled_bytes += delivery.kept_bytes
        while self._settled and (
            len(self._settled) > self.limit or self._settled_bytes > self.max_bytes
        ):
            self._evict(self._settled.popleft())

    def _evict(self, delivery: Delivery) -> None:
        self._settled_bytes -= delivery.kept_bytes
        self.evicted += 1
        self._by_id.pop(delivery.id, None)
        siblings = self._by_subject.get(delivery.subject)
        if siblings is not None:
            siblings.remove(delivery)  # the oldest of its subject: found at the front
            if not siblings:
                del self._by_subject[delivery.subject]

    def stats(self) -> dict[str, int]:
        return {
            "kept": len(self._by_id),
            "settled": len(self._settled),
            "evicted": self.evicted,
            "limit": self.limit,
            "max_bytes": self.max_bytes,
        }
