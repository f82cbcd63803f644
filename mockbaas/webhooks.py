"""Webhook delivery: what Meeting BaaS posts to a user's receiver, and how.

A user's receiver is what the real API exercises most and what they can test least, so
delivery is at-least-once, ordered per subject, retried on the virtual clock and fully
journaled. Exact semantics (the README quotes them):

Target
    The bot's `webhook_url`, else the account's (POST /accounts/webhook_url), else the
    server default (`--webhook-url`, `Settings.webhook_url`). `transcription_complete`
    prefers the `webhook_url` given to POST /bots/retranscribe; `calendar.sync_events`
    goes to the account URL (or the default). The target is fixed when the event
    happens. No target: the event is journaled as `no_url` and nothing is sent
    (redeliver it with a `url` to send it after all).

Request
    POST, the body `{"event": ..., "data": ...}` as compact JSON (the same bytes on
    every attempt), headers `content-type: application/json`,
    `x-meeting-baas-api-key: <the account's key>`, `x-mockbaas-delivery-id: <stable
    id>` and `x-mockbaas-attempt: <how many times this delivery has now been posted>`.
    Any 2xx within `timeout` real seconds (default 10, as the docs state) is success.
    Anything else fails the attempt: another status (redirects are not followed), a
    timeout, a refused or broken connection; the journal says which.

Retries and order
    One queue per subject (a bot, a calendar): only its oldest undelivered event is in
    flight, later ones wait behind it, other subjects are never blocked. Attempt 1 is
    due when the event happens; after failed attempt k, attempt k+1 is due
    `schedule[k-1]` virtual seconds later. The default schedule (2, 4, 8, 16) makes 5
    attempts at +0, +2, +6, +14 and +30 s. When the last one fails the delivery is
    `failed` (logged, kept in the journal, redeliverable) and the subject's next event
    goes out at that same virtual instant. Attempts are clock timers that await their
    POST, so `advance` runs every attempt and retry falling due in its window, the
    journal stamps each attempt with its due time, and the same seed and requests give
    the same posts in the same order.

Journal
    Every event, delivered or not: id, seq, event, subject, url, state (`pending`,
    `delivered`, `failed`, `no_url`, `invalid`, `undelivered_at_shutdown`),
    created_at, next_attempt_at, payload and every attempt (number, kind, virtual time,
    url, status_code, error). Kinds: `delivery` (scheduled attempts and retries),
    `duplicate` (the duplicate fault), `redelivery` (asked for), `shutdown` (the last
    chance). A redelivery posts the same bytes with the same delivery id, at once and
    outside the queue; when it succeeds, a pending or failed delivery becomes
    `delivered` (a pending one stops holding back its subject).

Faults (for testing receivers; all off by default)
    `duplicate`: each delivered event is posted a second time right after its 2xx,
    same body and delivery id. `delay_seconds`: an event's first attempt is due no
    earlier than that many virtual seconds after it happened (retries keep their
    schedule; a later event never overtakes). `out_of_order`: a subject's events go
    out in swapped pairs: the first of a pair is held until the next event of the same
    subject arrives, then that one is sent first and the held one right after; a held
    event with no partner within `OUT_OF_ORDER_HOLD_S` virtual seconds goes out alone,
    so no event is ever lost. Faults set at runtime last until the next reset.

Shutdown
    `drain` gives every pending event (held, queued, waiting for a retry) one last
    attempt, oldest first. Order still holds: after a subject's event fails, its later
    events are not sent; after a receiver times out or refuses, other events for that
    URL are not tried (so Ctrl-C never waits a timeout per event). What is not
    delivered is journaled `undelivered_at_shutdown` and logged with its body.

Contract
    Every payload is checked against the `webhooks` schemas of openapi.json. A breach is
    a mock bug: it is logged at ERROR and listed in the journal entry's
    `contract_errors`; in strict mode the event is not sent (state `invalid`), otherwise
    it is sent as is.
"""

from __future__ import annotations

import errno
import json
import logging
from collections import deque
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import aiohttp

from .accounts.models import API_KEY_HEADER, Account
from .clock import Clock, Timer, iso, maybe_iso
from .contract import Contract
from .errors import invalid
from .ids import Ids

log = logging.getLogger("mockbaas.webhooks")

DELIVERY_HEADER = "x-mockbaas-delivery-id"
ATTEMPT_HEADER = "x-mockbaas-attempt"
USER_AGENT = "mockbaas-webhooks"
DEFAULT_SCHEDULE = (2.0, 4.0, 8.0, 16.0)  # virtual seconds before retries 1..4
DEFAULT_TIMEOUT = 10.0  # the docs: receivers must answer within 10 seconds
OUT_OF_ORDER_HOLD_S = 60.0  # out-of-order fault: longest wait for a partner event

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
NO_URL = "no_url"
INVALID = "invalid"
UNDELIVERED = "undelivered_at_shutdown"
STATES = (PENDING, DELIVERED, FAILED, NO_URL, INVALID, UNDELIVERED)

DELIVERY = "delivery"
DUPLICATE = "duplicate"
REDELIVERY = "redelivery"
SHUTDOWN = "shutdown"


@dataclass
class Faults:
    """Deliberate misbehaviour for testing receivers; all off by default."""

    duplicate: bool = False  # every delivered event is posted a second time
    delay_seconds: float = 0.0  # virtual delay before an event's first attempt
    out_of_order: bool = False  # each subject's events go out in swapped pairs

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def copy(self) -> Faults:
        return replace(self)


@dataclass
class Attempt:
    number: int  # the x-mockbaas-attempt header sent: 1 + posts made before this one
    kind: str
    at: int  # virtual ms at which the POST was made
    url: str
    status_code: int | None
    error: str | None  # None only on success

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": self.kind,
            "at": iso(self.at),
            "url": self.url,
            "status_code": self.status_code,
            "error": self.error,
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
    tries: int = 0  # scheduled attempts made (what the retry schedule counts)
    next_attempt_at: int | None = None
    contract_errors: list[str] = field(default_factory=list)
    timer: Timer | None = field(default=None, repr=False)

    def headers(self, attempt: int) -> dict[str, str]:
        return {
            "content-type": "application/json",
            API_KEY_HEADER: self.account_key,
            DELIVERY_HEADER: self.id,
            ATTEMPT_HEADER: str(attempt),
            "user-agent": USER_AGENT,
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
            "next_attempt_at": maybe_iso(self.next_attempt_at),
            "payload": self.payload,
            "attempts": [a.as_dict() for a in self.attempts],
            "contract_errors": list(self.contract_errors),
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
        self._closing = False  # shutdown began: new events are journaled, not sent
        self._closed = False

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
        delivery.contract_errors = self.contract.webhook_errors(event, payload)
        if delivery.contract_errors:
            # never raise here: the engine is mid-transition; the journal and log tell
            log.error(
                "webhook %s (%s for %s) breaks openapi.json%s: %s",
                delivery.id,
                event,
                subject,
                " and is not sent (strict)" if self.strict else "",
                "; ".join(delivery.contract_errors),
            )
            if self.strict:
                delivery.state = INVALID
                return
        if target is None:
            delivery.state = NO_URL
            return
        if self._closing:
            self._lose(delivery, "the server was shutting down")
            return
        if self.faults.out_of_order:
            self._pair(delivery)
            return
        self._enqueue(delivery)

    def _pair(self, delivery: Delivery) -> None:
        """Out-of-order fault: hold one event, then send its successor first."""
        held = self._held.pop(delivery.subject, None)
        if held is not None:
            self._cancel_timer(held)
            self._enqueue(delivery)
            self._enqueue(held)
            return
        self._held[delivery.subject] = delivery
        self._arm_release(delivery, self.clock.now() + int(round(OUT_OF_ORDER_HOLD_S * 1000)))

    def _arm_release(self, delivery: Delivery, due: int) -> None:
        delivery.next_attempt_at = due

        async def release() -> None:
            delivery.timer = None
            if self._held.get(delivery.subject) is delivery:
                del self._held[delivery.subject]
                self._enqueue(delivery)

        delivery.timer = self.clock.call_at(due, release, f"webhook {delivery.id} release")

    def _enqueue(self, delivery: Delivery) -> None:
        queue = self._queues.setdefault(delivery.subject, deque())
        queue.append(delivery)
        if len(queue) == 1:
            self._schedule_first(delivery)

    def _schedule_first(self, delivery: Delivery) -> None:
        delay = int(round(self.faults.delay_seconds * 1000))
        self._schedule(delivery, max(self.clock.now(), delivery.created_at + delay))

    def _schedule(self, delivery: Delivery, due: int) -> None:
        self._cancel_timer(delivery)
        delivery.next_attempt_at = due

        async def attempt() -> None:
            delivery.timer = None
            await self._attempt(delivery)

        delivery.timer = self.clock.call_at(due, attempt, f"webhook {delivery.id} {delivery.event}")

    @staticmethod
    def _cancel_timer(delivery: Delivery) -> None:
        if delivery.timer is not None:
            delivery.timer.cancel()
            delivery.timer = None

    # -- posting --------------------------------------------------------------------------
    async def _request(self, delivery: Delivery, number: int) -> tuple[int | None, str | None]:
        """One POST; the status code (if any) and, unless it was a 2xx, what went wrong."""
        if self._closed:
            return None, "not sent: the webhook dispatcher was closed (reset or shutdown)"
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
                await response.release()
                if 200 <= response.status < 300:
                    return response.status, None
                return response.status, f"answered HTTP {response.status} (not 2xx)"
        except TimeoutError:
            return None, f"timed out: no answer within {self.timeout:g} s"
        except aiohttp.ClientConnectorError as exc:
            where = f"{exc.host}:{exc.port}"
            if exc.os_error.errno == errno.ECONNREFUSED:
                return None, f"connection refused by {where}"
            return None, f"cannot connect to {where}: {exc.os_error.strerror or exc.os_error}"
        except aiohttp.ServerDisconnectedError:
            return None, "the receiver closed the connection without answering"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}".strip()

    async def _post(self, delivery: Delivery, kind: str) -> Attempt:
        number = len(delivery.attempts) + 1
        at = self.clock.now()
        assert delivery.url is not None
        url = delivery.url
        code, error = await self._request(delivery, number)
        attempt = Attempt(number, kind, at, url, code, error)
        delivery.attempts.append(attempt)
        return attempt

    async def _attempt(self, delivery: Delivery) -> None:
        queue = self._queues.get(delivery.subject)
        if delivery.state != PENDING or not queue or queue[0] is not delivery:
            return
        delivery.tries += 1
        delivery.next_attempt_at = None
        attempt = await self._post(delivery, DELIVERY)
        if attempt.ok:
            delivery.state = DELIVERED
            if self.faults.duplicate:
                await self._post(delivery, DUPLICATE)
            self._advance_queue(delivery)
            return
        if delivery.tries < self.max_attempts:
            wait_ms = int(round(self.schedule[delivery.tries - 1] * 1000))
            self._schedule(delivery, attempt.at + wait_ms)
            return
        delivery.state = FAILED
        log.warning(
            "webhook %s (%s for %s) failed after %d attempts: %s",
            delivery.id,
            delivery.event,
            delivery.subject,
            delivery.tries,
            attempt.error,
        )
        self._advance_queue(delivery)

    def _advance_queue(self, delivery: Delivery) -> None:
        """`delivery` is settled: take it out of its queue; the next one goes out now."""
        self._cancel_timer(delivery)
        delivery.next_attempt_at = None
        queue = self._queues.get(delivery.subject)
        if not queue or delivery not in queue:
            return
        was_head = queue[0] is delivery
        queue.remove(delivery)
        if not queue:
            del self._queues[delivery.subject]
        elif was_head:
            self._schedule_first(queue[0])

    # -- journal and control ----------------------------------------------------------------
    def get(self, delivery_id: str) -> Delivery | None:
        return self._by_id.get(delivery_id)

    def query(
        self, bot_id: str | None = None, event: str | None = None, state: str | None = None
    ) -> list[Delivery]:
        """The journal, oldest first; `bot_id` matches the subject (a bot or calendar uuid)."""
        return [
            d
            for d in self.journal
            if (bot_id is None or d.subject == bot_id)
            and (event is None or d.event == event)
            and (state is None or d.state == state)
        ]

    async def redeliver(self, delivery: Delivery, url: str | None = None) -> Attempt:
        """Post a delivery again now: same body, same id, outside the queue. `url`
        replaces its target from now on."""
        if url:
            delivery.url = url
        if delivery.url is None:
            raise invalid("body", "url", "this delivery had no URL; give one to redeliver it")
        attempt = await self._post(delivery, REDELIVERY)
        if attempt.ok and delivery.state != DELIVERED:
            was_pending = delivery.state == PENDING
            delivery.state = DELIVERED
            if was_pending:
                if self._held.get(delivery.subject) is delivery:
                    del self._held[delivery.subject]
                    self._cancel_timer(delivery)
                    delivery.next_attempt_at = None
                else:
                    self._advance_queue(delivery)
        return attempt

    # -- a saved world (mockbaas/state.py) ---------------------------------------------
    def queued(self) -> tuple[dict[str, list[Delivery]], dict[str, Delivery]]:
        """The per-subject queues (send order) and the out-of-order fault's held events."""
        return {s: list(q) for s, q in self._queues.items()}, dict(self._held)

    def adopt(
        self,
        journal: list[Delivery],
        queues: dict[str, list[Delivery]],
        held: dict[str, Delivery],
    ) -> None:
        """Take over a loaded journal; timers come back one by one through `rearm`."""
        self.journal = list(journal)
        self._by_id = {d.id: d for d in journal}
        self._queues = {s: deque(q) for s, q in queues.items() if q}
        self._held = dict(held)

    def rearm(self, delivery: Delivery, due: int) -> None:
        """The timer a pending delivery had: its hold (out-of-order fault) or next attempt."""
        if self._held.get(delivery.subject) is delivery:
            self._arm_release(delivery, due)
        else:
            self._schedule(delivery, due)

    def pending(self) -> list[Delivery]:
        return [d for d in self.journal if d.state == PENDING]

    def _lose(self, delivery: Delivery, why: str) -> None:
        delivery.state = UNDELIVERED
        delivery.next_attempt_at = None
        log.warning(
            "webhook %s (%s for %s) undelivered at shutdown: %s; url %s; body %s",
            delivery.id,
            delivery.event,
            delivery.subject,
            why,
            delivery.url,
            delivery.body.decode(),
        )

    async def drain(self) -> list[Delivery]:
        """At shutdown (the clock stopped): one last attempt for every pending event,
        oldest first; what still is not delivered is journaled and logged, never lost."""
        self._closing = True
        for delivery in self.journal:
            self._cancel_timer(delivery)
        self._held.clear()
        self._queues.clear()
        blocked: dict[str, str] = {}  # subject -> why its later events are not sent
        unreachable: dict[str, str] = {}  # url -> why it is not tried again
        lost = []
        for delivery in self.pending():
            assert delivery.url is not None
            why = blocked.get(delivery.subject) or unreachable.get(delivery.url)
            if why is None:
                attempt = await self._post(delivery, SHUTDOWN)
                if attempt.ok:
                    delivery.state = DELIVERED
                    delivery.next_attempt_at = None
                    continue
                why = attempt.error or "failed"
                blocked[delivery.subject] = f"not sent: an earlier event failed ({why})"
                if attempt.status_code is None:
                    unreachable[delivery.url] = f"not sent: {delivery.url} failed ({why})"
            self._lose(delivery, why)
            lost.append(delivery)
        if lost:
            log.warning("%d webhook deliveries undelivered at shutdown (logged above)", len(lost))
        return lost

    async def close(self) -> None:
        self._closed = True
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
