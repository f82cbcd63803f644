"""Webhook delivery: what Meeting BaaS posts to a user's receiver, and how.

Events for one subject (a bot, a calendar) go out strictly in order: a delivery that is
being retried holds back the later ones. Retries follow a backoff schedule on the
virtual clock; after the last attempt a delivery is marked `failed` in the journal,
never dropped. Every attempt is journaled with its virtual time, so a test can assert
on exactly what a receiver saw.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .accounts.models import API_KEY_HEADER, Account
from .clock import Clock, iso
from .contract import Contract
from .ids import Ids

log = logging.getLogger("mockbaas.webhooks")

DELIVERY_HEADER = "x-mockbaas-delivery-id"
ATTEMPT_HEADER = "x-mockbaas-attempt"
DEFAULT_SCHEDULE = (2.0, 4.0, 8.0, 16.0)  # seconds before retries 1..4
DEFAULT_TIMEOUT = 10.0  # the docs: receivers must answer within 10 seconds

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
NO_URL = "no_url"
UNDELIVERED = "undelivered_at_shutdown"


@dataclass
class Faults:
    """Deliberate misbehaviour for testing receivers; all off by default."""

    duplicate: bool = False  # every delivered event is posted a second time
    delay_seconds: float = 0.0  # virtual delay before an event's first attempt
    out_of_order: bool = False  # each bot's events go out in swapped pairs

    def as_dict(self) -> dict[str, Any]:
        return {
            "duplicate": self.duplicate,
            "delay_seconds": self.delay_seconds,
            "out_of_order": self.out_of_order,
        }


@dataclass
class Attempt:
    number: int
    at: int
    status_code: int | None
    error: str | None
    redelivery: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "at": iso(self.at),
            "status_code": self.status_code,
            "error": self.error,
            "redelivery": self.redelivery,
        }


@dataclass
class Delivery:
    id: str
    seq: int
    event: str
    subject: str
    account_key: str
    url: str | None
    payload: dict[str, Any]
    body: bytes
    created_at: int
    state: str = PENDING
    attempts: list[Attempt] = field(default_factory=list)
    next_attempt_at: int | None = None

    def headers(self, attempt: int) -> dict[str, str]:
        return {
            "content-type": "application/json",
            API_KEY_HEADER: self.account_key,
            DELIVERY_HEADER: self.id,
            ATTEMPT_HEADER: str(attempt),
            "user-agent": "mockbaas-webhooks",
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "event": self.event,
            "subject": self.subject,
            "url": self.url,
            "state": self.state,
            "created_at": iso(self.created_at),
            "next_attempt_at": iso(self.next_attempt_at) if self.next_attempt_at else None,
            "payload": self.payload,
            "attempts": [a.as_dict() for a in self.attempts],
        }


class WebhookDispatcher:
    """The engine's `Outbox`: queues, posts, retries and journals webhook events."""

    def __init__(
        self,
        clock: Clock,
        ids: Ids,
        contract: Contract,
        *,
        default_url: str | None = None,
        schedule: tuple[float, ...] = DEFAULT_SCHEDULE,
        timeout: float = DEFAULT_TIMEOUT,
        faults: Faults | None = None,
        strict: bool = True,
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.contract = contract
        self.default_url = default_url
        self.schedule = tuple(schedule)
        self.timeout = timeout
        self.faults = faults or Faults()
        self.strict = strict
        self.journal: list[Delivery] = []
        self._by_id: dict[str, Delivery] = {}
        self._queues: dict[str, deque[Delivery]] = {}
        self._held: dict[str, Delivery] = {}  # out-of-order fault: waiting for a partner
        self._session: aiohttp.ClientSession | None = None

    @property
    def max_attempts(self) -> int:
        return 1 + len(self.schedule)

    # -- the Outbox -----------------------------------------------------------------------
    def send(
        self,
        account: Account,
        event: str,
        data: dict[str, Any],
        *,
        url: str | None,
        subject: str,
    ) -> None:
        payload = {"event": event, "data": data}
        problems = self.contract.webhook_errors(event, payload)
        if problems:
            # a payload outside the contract is a mock bug: loud in strict mode
            message = f"{event} payload breaks openapi.json: {'; '.join(problems)}"
            if self.strict:
                raise AssertionError(message)
            log.error(message)
        target = url or account.webhook_url or self.default_url
        delivery = Delivery(
            id=self.ids.uuid(),
            seq=len(self.journal) + 1,
            event=event,
            subject=subject,
            account_key=account.key,
            url=target,
            payload=payload,
            body=json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode(),
            created_at=self.clock.now(),
        )
        self.journal.append(delivery)
        self._by_id[delivery.id] = delivery
        if target is None:
            delivery.state = NO_URL
            return
        if self.faults.out_of_order:
            held = self._held.pop(subject, None)
            if held is None:
                self._held[subject] = delivery
                self._release_later(subject, delivery)
                return
            self._enqueue(delivery)
            self._enqueue(held)
            return
        self._enqueue(delivery)

    def _release_later(self, subject: str, delivery: Delivery) -> None:
        """A held event with no partner still goes out, after the next clock step."""

        async def release() -> None:
            if self._held.get(subject) is delivery:
                del self._held[subject]
                self._enqueue(delivery)

        self.clock.call_later(0, release, f"webhook {delivery.id} release")

    def _enqueue(self, delivery: Delivery) -> None:
        queue = self._queues.setdefault(delivery.subject, deque())
        queue.append(delivery)
        if len(queue) == 1:
            self._schedule(delivery, self.faults.delay_seconds)

    def _schedule(self, delivery: Delivery, seconds: float) -> None:
        due = self.clock.now() + int(round(seconds * 1000))
        delivery.next_attempt_at = due

        async def attempt() -> None:
            await self._attempt(delivery)

        self.clock.call_at(due, attempt, f"webhook {delivery.id} {delivery.event}")

    async def _post(self, delivery: Delivery, number: int) -> tuple[int | None, str | None]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        assert delivery.url is not None
        try:
            async with self._session.post(
                delivery.url,
                data=delivery.body,
                headers=delivery.headers(number),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                allow_redirects=False,
            ) as response:
                await response.read()
                return response.status, None
        except asyncio.TimeoutError:
            return None, f"timed out after {self.timeout:g} s"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}".strip()

    async def _attempt(self, delivery: Delivery) -> None:
        if delivery.state != PENDING:
            return
        number = len([a for a in delivery.attempts if not a.redelivery]) + 1
        code, error = await self._post(delivery, number)
        delivery.attempts.append(Attempt(number, self.clock.now(), code, error))
        if code is not None and 200 <= code < 300:
            delivery.state = DELIVERED
            delivery.next_attempt_at = None
            if self.faults.duplicate:
                code2, error2 = await self._post(delivery, number)
                delivery.attempts.append(Attempt(number, self.clock.now(), code2, error2, True))
            self._advance_queue(delivery)
            return
        if number < self.max_attempts:
            self._schedule(delivery, self.schedule[number - 1])
            return
        delivery.state = FAILED
        delivery.next_attempt_at = None
        log.warning(
            "webhook %s (%s for %s) failed after %d attempts: %s",
            delivery.id,
            delivery.event,
            delivery.subject,
            number,
            error or f"HTTP {code}",
        )
        self._advance_queue(delivery)

    def _advance_queue(self, delivery: Delivery) -> None:
        queue = self._queues.get(delivery.subject)
        if queue and queue[0] is delivery:
            queue.popleft()
        if queue:
            self._schedule(queue[0], self.faults.delay_seconds)
        elif queue is not None:
            del self._queues[delivery.subject]

    # -- journal and control ----------------------------------------------------------------
    def get(self, delivery_id: str) -> Delivery | None:
        return self._by_id.get(delivery_id)

    def query(
        self, bot_id: str | None = None, event: str | None = None, state: str | None = None
    ) -> list[Delivery]:
        return [
            d
            for d in self.journal
            if (bot_id is None or d.subject == bot_id)
            and (event is None or d.event == event)
            and (state is None or d.state == state)
        ]

    async def redeliver(self, delivery: Delivery, url: str | None = None) -> Attempt:
        """Post a delivery again now, same payload and id; it does not touch the queue."""
        if url:
            delivery.url = url
        if delivery.url is None:
            raise ValueError("this delivery has no URL; give one to redeliver it")
        number = len([a for a in delivery.attempts if not a.redelivery]) or 1
        code, error = await self._post(delivery, number)
        attempt = Attempt(number, self.clock.now(), code, error, redelivery=True)
        delivery.attempts.append(attempt)
        if code is not None and 200 <= code < 300 and delivery.state in (FAILED, NO_URL):
            delivery.state = DELIVERED
        return attempt

    def pending(self) -> list[Delivery]:
        return [d for d in self.journal if d.state == PENDING]

    async def drain(self) -> list[Delivery]:
        """At shutdown: one last attempt for every pending event, in order; the rest are
        journaled as undelivered and logged, so nothing disappears silently."""
        for subject, delivery in list(self._held.items()):
            self._held.pop(subject, None)
            self._enqueue(delivery)
        lost = []
        for delivery in self.pending():
            number = len(delivery.attempts) + 1
            code, error = await self._post(delivery, number)
            delivery.attempts.append(Attempt(number, self.clock.now(), code, error))
            if code is not None and 200 <= code < 300:
                delivery.state = DELIVERED
            else:
                delivery.state = UNDELIVERED
                lost.append(delivery)
                log.warning(
                    "webhook %s (%s for %s) undelivered at shutdown: %s",
                    delivery.id,
                    delivery.event,
                    delivery.subject,
                    error or f"HTTP {code}",
                )
        self._queues.clear()
        return lost

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def reset(self) -> None:
        self.journal.clear()
        self._by_id.clear()
        self._queues.clear()
        self._held.clear()
