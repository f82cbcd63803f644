"""The engine's `Outbox`: queues, schedules, posts, retries and journals webhook events.

The semantics are in the package docstring. The one design point: virtual time only
says when an attempt is due; the POST runs as its own task, and what it settles
(retry, next event of the subject) is computed from the due time, never from the real
time the answer came back. That is what keeps stamps deterministic while receivers of
any speed are served concurrently.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import partial
from typing import Any

from ..accounts.models import Account
from ..clock import Clock
from ..contract import Contract
from ..contract.jsonio import Deferred, dumps, dumps_kept, stand_ins
from ..errors import invalid
from ..ids import Ids
from .http1 import Http1Transport
from .journal import Attempt, Delivery, Journal, Kind, State
from .transport import Outcome, Transport

log = logging.getLogger("mockbaas.webhooks")

DEFAULT_SCHEDULE = (2.0, 4.0, 8.0, 16.0)  # virtual seconds before retries 1..4
DEFAULT_TIMEOUT = 10.0  # the docs: receivers must answer within 10 seconds
OUT_OF_ORDER_HOLD_S = 60.0  # out-of-order fault: longest wait for a partner event

#: Given a target URL, why it must not be dialled (None: it may be).
TargetCheck = Callable[[str], str | None]


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


class WebhookDispatcher:
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
        transport: Transport | None = None,
        journal: Journal | None = None,
        target_check: TargetCheck | None = None,
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.contract = contract
        self.default_url = default_url
        self.schedule = tuple(schedule)
        self.timeout = timeout
        self.faults = faults if faults is not None else Faults()
        self.strict = strict
        self.transport: Transport = transport or Http1Transport()
        # not `journal or`: an empty journal has no length, and is still the one given
        self.journal = journal if journal is not None else Journal()
        self.target_check = target_check
        self._queues: dict[str, deque[Delivery]] = {}
        self._held: dict[str, Delivery] = {}  # out-of-order fault: waiting for a partner
        self._inflight: dict[str, asyncio.Task[None]] = {}  # by delivery id
        self._progress: asyncio.Event | None = None  # set whenever an attempt finishes
        self._closing = False  # shutdown began: new events are journaled, not sent
        self._closed = False

    @property
    def max_attempts(self) -> int:
        return 1 + len(self.schedule)

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    # -- the Outbox -----------------------------------------------------------------------
    def send(
        self,
        account: Account,
        event: str,
        data: dict[str, Any],
        *,
        url: str | None,
        subject: str,
        payload: dict[str, Any] | None = None,
        contract: Contract | None = None,
        headers: Callable[[Delivery], dict[str, str]] | None = None,
        method: str = "POST",
    ) -> None:
        """Queue one event. v2 passes its own `payload` envelope, the `contract` that
        checks it, and `headers` computed once from the delivery (its signature)."""
        payload = payload or {"event": event, "data": data}
        target = url or account.webhook_url or self.default_url
        deferred = False
        for value in data.values():  # every event passes here: no generator
            if isinstance(value, Deferred):
                deferred = True
                break
        delivery = Delivery(
            id=self.ids.uuid(),
            seq=self.journal.next_seq(),
            event=event,
            subject=subject,
            account_key=account.key,
            url=target,
            # a deferred part (a transcript) is rendered on each attempt, never kept
            source=partial(dumps, payload) if deferred else dumps_kept(payload),
            created_at=self.clock.now(),
            method=method,
        )
        if headers is not None:
            delivery.extra_headers = headers(delivery)
        checked = stand_ins(payload) if deferred else payload  # deferred parts: see jsonio
        delivery.contract_errors = (contract or self.contract).webhook_errors(event, checked)
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
                delivery.state = State.INVALID
        if delivery.state is State.PENDING and target is None:
            delivery.state = State.NO_URL
        self.journal.add(delivery)
        if delivery.state is not State.PENDING:
            return
        if self._closing:
            self._lose(delivery, "the server was shutting down")
            return
        if self.faults.out_of_order:
            self._pair(delivery)
            return
        self._enqueue(delivery, delivery.created_at)

    def _pair(self, delivery: Delivery) -> None:
        """Out-of-order fault: hold one event, then send its successor first."""
        held = self._held.pop(delivery.subject, None)
        now = self.clock.now()
        if held is not None:
            self._cancel_timer(held)
            self._enqueue(delivery, now)
            self._enqueue(held, now)
            return
        self._held[delivery.subject] = delivery
        self._arm_release(delivery, now + int(round(OUT_OF_ORDER_HOLD_S * 1000)))

    def _arm_release(self, delivery: Delivery, due: int) -> None:
        delivery.next_attempt_at = due

        async def release() -> None:
            delivery.timer = None
            if self._held.get(delivery.subject) is delivery:
                del self._held[delivery.subject]
                self._enqueue(delivery, due)

        delivery.timer = self.clock.call_at(
            due, release, f"webhook {delivery.id} release", counted=False
        )

    def _enqueue(self, delivery: Delivery, at: int) -> None:
        queue = self._queues.setdefault(delivery.subject, deque())
        queue.append(delivery)
        if len(queue) == 1:
            self._schedule_first(delivery, at)

    def _schedule_first(self, delivery: Delivery, after: int) -> None:
        """The subject's head is due at `after` (when its predecessor settled), and no
        earlier than the delay fault allows."""
        delay = int(round(self.faults.delay_seconds * 1000))
        self._schedule(delivery, max(after, delivery.created_at + delay))

    def _schedule(self, delivery: Delivery, due: int) -> None:
        """Arm the next attempt. `due` is its virtual time and its stamp; when that is
        already past (a slow answer settled late), the timer fires at once."""
        self._cancel_timer(delivery)
        delivery.next_attempt_at = due

        async def fire() -> None:
            delivery.timer = None
            self._launch(delivery)

        delivery.timer = self.clock.call_at(
            due, fire, f"webhook {delivery.id} {delivery.event}", counted=False
        )

    @staticmethod
    def _cancel_timer(delivery: Delivery) -> None:
        if delivery.timer is not None:
            delivery.timer.cancel()
            delivery.timer = None

    # -- posting --------------------------------------------------------------------------
    def _launch(self, delivery: Delivery) -> None:
        """Start the due attempt of a subject's head as a task of its own."""
        queue = self._queues.get(delivery.subject)
        if delivery.state is not State.PENDING or not queue or queue[0] is not delivery:
            return
        if delivery.id in self._inflight or delivery.next_attempt_at is None:
            return
        due = delivery.next_attempt_at
        delivery.tries += 1
        delivery.next_attempt_at = None
        task = asyncio.get_running_loop().create_task(self._attempt(delivery, due))
        self._inflight[delivery.id] = task
        task.add_done_callback(lambda done: self._forget(delivery.id, done))

    def _forget(self, delivery_id: str, task: asyncio.Task[None]) -> None:
        """Drop a finished attempt from the in-flight set, unless its retry (already past
        due, so launched at once) has taken its place."""
        if self._inflight.get(delivery_id) is task:
            del self._inflight[delivery_id]
            if self._progress is not None:
                self._progress.set()

    async def _attempt(self, delivery: Delivery, due: int) -> None:
        task = asyncio.current_task()
        assert task is not None  # every attempt runs as a task of its own
        attempt = await self._post(delivery, Kind.DELIVERY, due)
        if delivery.state is not State.PENDING:
            return  # settled meanwhile (a redelivery succeeded): nothing left to do
        if attempt.ok:
            delivery.state = State.DELIVERED
            if self.faults.duplicate:
                await self._post(delivery, Kind.DUPLICATE, due)
            self._forget(delivery.id, task)
            self._settle(delivery, due)
            return
        # out of the in-flight set before the retry is armed: a retry already past due
        # fires at once and must find its subject free
        self._forget(delivery.id, task)
        if delivery.tries < self.max_attempts:
            wait_ms = int(round(self.schedule[delivery.tries - 1] * 1000))
            self._schedule(delivery, due + wait_ms)
            return
        delivery.state = State.FAILED
        log.warning(
            "webhook %s (%s for %s) failed after %d attempts: %s",
            delivery.id,
            delivery.event,
            delivery.subject,
            delivery.tries,
            attempt.error,
        )
        self._settle(delivery, due)

    async def _post(self, delivery: Delivery, kind: Kind, at: int) -> Attempt:
        number = len(delivery.attempts) + 1
        url = delivery.url
        assert url is not None
        refused = self.target_check(url) if self.target_check is not None else None
        if refused is not None:
            outcome = Outcome(None, f"refused, not sent: {refused}")
        elif self._closed:
            outcome = Outcome(None, "not sent: the webhook dispatcher was closed")
        else:
            outcome = await self.transport.post(
                url, delivery.source, delivery.headers(number), self.timeout, delivery.method
            )
        attempt = Attempt(number, kind, at, url, outcome.status, outcome.error)
        delivery.attempts.append(attempt)
        log.info(
            "webhook %s %s for %s #%d %s to %s: %s",
            delivery.id,
            delivery.event,
            delivery.subject,
            number,
            kind,
            url,
            outcome.error or f"{outcome.status} ok",
        )
        return attempt

    def _settle(self, delivery: Delivery, at: int) -> None:
        """`delivery` is done with (delivered or failed at virtual `at`): the subject's
        next event is due at that same instant."""
        self._cancel_timer(delivery)
        delivery.next_attempt_at = None
        self.journal.settle(delivery)
        queue = self._queues.get(delivery.subject)
        if not queue or delivery not in queue:
            return
        was_head = queue[0] is delivery
        queue.remove(delivery)
        if not queue:
            del self._queues[delivery.subject]
        elif was_head:
            self._schedule_first(queue[0], at)

    # -- waiting ----------------------------------------------------------------------------
    async def settle(self, timeout: float) -> bool:
        """Wait until no attempt is in flight and none is due by now (retries that fall
        due as answers come back included), for at most `timeout` real seconds. False
        when it stopped waiting with attempts still in flight."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.clock.run_due()
            if not self._inflight:
                due = self.clock.next_due()
                if due is None or due > self.clock.now():
                    return True
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            # one event, not a wait on every task: thousands of posts in flight would
            # make each wake-up cost a callback per task
            if self._progress is None:
                self._progress = asyncio.Event()
            self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), remaining)
            except TimeoutError:
                return False

    # -- journal and control ----------------------------------------------------------------
    def get(self, delivery_id: str) -> Delivery | None:
        return self.journal.get(delivery_id)

    def query(
        self, bot_id: str | None = None, event: str | None = None, state: str | None = None
    ) -> list[Delivery]:
        """The journal, oldest first; `bot_id` matches the subject (a bot or calendar uuid)."""
        found = self.journal.of(bot_id) if bot_id is not None else list(self.journal)
        return [
            d
            for d in found
            if (event is None or d.event == event) and (state is None or d.state == state)
        ]

    async def redeliver(self, delivery: Delivery, url: str | None = None) -> Attempt:
        """Post a delivery again now: same body, same id, outside the queue. `url`
        replaces its target from now on."""
        if url:
            delivery.url = url
        if delivery.url is None:
            raise invalid("body", "url", "this delivery had no URL; give one to redeliver it")
        now = self.clock.now()
        attempt = await self._post(delivery, Kind.REDELIVERY, now)
        if attempt.ok and delivery.state is not State.DELIVERED:
            was_pending = delivery.state is State.PENDING
            delivery.state = State.DELIVERED
            if not was_pending:
                return attempt
            if self._held.get(delivery.subject) is delivery:
                del self._held[delivery.subject]
            self._settle(delivery, now)
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
        for delivery in journal:
            self.journal.add(delivery)
        self.journal.seq = max((d.seq for d in journal), default=0)
        self._queues = {s: deque(q) for s, q in queues.items() if q}
        self._held = dict(held)

    def rearm(self, delivery: Delivery, due: int) -> None:
        """The timer a pending delivery had: its hold (out-of-order fault) or next attempt."""
        if self._held.get(delivery.subject) is delivery:
            self._arm_release(delivery, due)
        else:
            self._schedule(delivery, due)

    async def pause(self) -> None:
        """Stop the attempts in flight unrecorded, before the world is saved: the restarted
        world makes them again (at least once, never lost)."""
        tasks = dict(self._inflight)
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        for delivery_id in tasks:
            delivery = self.journal.get(delivery_id)
            if delivery is not None and delivery.state is State.PENDING:
                delivery.tries -= 1  # the cancelled attempt was never recorded
        self._inflight.clear()

    def pending(self) -> list[Delivery]:
        return [d for d in self.journal if d.state is State.PENDING]

    def _lose(self, delivery: Delivery, why: str) -> None:
        delivery.state = State.UNDELIVERED
        delivery.next_attempt_at = None
        self.journal.settle(delivery)
        log.warning(
            "webhook %s (%s for %s) undelivered at shutdown: %s; url %s; body %s",
            delivery.id,
            delivery.event,
            delivery.subject,
            why,
            delivery.url,
            delivery.body.decode(),
        )

    async def drain(self, timeout: float | None = None) -> list[Delivery]:
        """At shutdown (the clock stopped): one last attempt for every pending event,
        subjects in parallel, each subject's oldest first, within `timeout` seconds;
        what is still not delivered is journaled and logged, never lost."""
        self._closing = True
        for task in list(self._inflight.values()):
            task.cancel()  # its attempt is made again below: at least once, never lost
        await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        for delivery in self.journal:
            self._cancel_timer(delivery)
        self._held.clear()
        self._queues.clear()
        by_subject: dict[str, list[Delivery]] = {}
        for delivery in self.pending():
            by_subject.setdefault(delivery.subject, []).append(delivery)
        # the first post to each URL is a probe: when the receiver is unreachable (no
        # HTTP answer), no other event is tried there, so a stop never waits a timeout
        # per event; when it answers, the other subjects go on in parallel
        probes: dict[str, asyncio.Future[str | None]] = {}
        lost: list[Delivery] = []

        async def last_chance(deliveries: list[Delivery]) -> None:
            for index, delivery in enumerate(deliveries):
                url = delivery.url
                assert url is not None
                probe = probes.get(url)
                why = None
                if probe is None:
                    probe = probes[url] = asyncio.get_running_loop().create_future()
                elif not probe.done() or probe.result() is not None:
                    why = await asyncio.shield(probe)
                    probe = None
                else:
                    probe = None
                if why is None:
                    attempt = await self._post(delivery, Kind.SHUTDOWN, self.clock.now())
                    if probe is not None:
                        unreachable = attempt.status_code is None and not attempt.ok
                        probe.set_result(
                            f"not sent: {url} failed ({attempt.error})" if unreachable else None
                        )
                    if attempt.ok:
                        delivery.state = State.DELIVERED
                        delivery.next_attempt_at = None
                        self.journal.settle(delivery)
                        continue
                    why = attempt.error or "failed"
                self._lose(delivery, why)
                lost.append(delivery)
                for later in deliveries[index + 1 :]:
                    self._lose(later, f"not sent: an earlier event failed ({why})")
                    lost.append(later)
                return

        jobs = [asyncio.ensure_future(last_chance(group)) for group in by_subject.values()]
        if jobs:
            try:
                _done, late = await asyncio.wait(jobs, timeout=timeout)
            except asyncio.CancelledError:  # a second Ctrl-C: the caller abandons the rest
                for job in jobs:
                    job.cancel()
                raise
            for job in late:
                job.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        lost.extend(self.abandon(f"not delivered within the drain timeout ({timeout} s)"))
        if lost:
            log.warning("%d webhook deliveries undelivered at shutdown (logged above)", len(lost))
        return sorted(lost, key=lambda d: d.seq)

    def abandon(self, why: str = "the server was stopped at once") -> list[Delivery]:
        """Give up on every pending event now (a second Ctrl-C): journaled and logged."""
        self._closing = True
        for task in list(self._inflight.values()):
            task.cancel()
        lost = self.pending()
        for delivery in lost:
            self._cancel_timer(delivery)
            self._lose(delivery, why)
        return lost

    async def close(self) -> None:
        self._closed = True
        for task in list(self._inflight.values()):
            task.cancel()
        await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        await self.transport.close()
