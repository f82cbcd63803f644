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
    `schedule[k-1]` virtual seconds after attempt k was due. The default schedule
    (2, 4, 8, 16) makes 5 attempts at +0, +2, +6, +14 and +30 s. When the last one fails
    the delivery is `failed` (logged, kept in the journal, redeliverable) and the
    subject's next event is due at that same virtual instant.
    Virtual time decides when an attempt is due; the POST itself runs concurrently with
    everything else (at most one per subject, `DEFAULT_CONNECTIONS_PER_HOST` per
    receiver), so a slow or dead receiver never holds back the clock, another subject's
    events or an API answer. The journal stamps each attempt with its due time, whatever
    the receiver's speed, so the same seed and requests give the same bodies, attempts
    and stamps in the same per-subject order. `advance` waits (up to a bound) for the
    attempts it made due, retries falling due in its window included, and says when it
    stopped waiting; a realtime clock never waits.

Journal
    Every event, delivered or not: id, seq, event, subject, url, state (`pending`,
    `delivered`, `failed`, `no_url`, `invalid`, `undelivered_at_shutdown`),
    created_at, next_attempt_at, payload and every attempt (number, kind, virtual time,
    url, status_code, error). Kinds: `delivery` (scheduled attempts and retries),
    `duplicate` (the duplicate fault), `redelivery` (asked for), `shutdown` (the last
    chance). Bounded: pending deliveries are always kept; settled ones are dropped,
    oldest settled first, past `--journal-limit` entries (default 10,000) or 64 MB of
    bodies. A redelivery posts the same bytes with the same delivery id, at once and
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
    `drain` gives every pending event (held, queued, waiting for a retry, in flight)
    one last attempt, subjects in parallel and each subject's events oldest first,
    within `--drain-timeout` seconds. Order still holds: after a subject's event fails,
    its later events are not sent; after a receiver times out or refuses, other events
    for that URL are not tried. What is not delivered is journaled
    `undelivered_at_shutdown` and logged with its body; `abandon` (a second Ctrl-C) does
    the same at once.

Contract
    Every payload is checked against the `webhooks` schemas of openapi.json. A breach is
    a mock bug: it is logged at ERROR and listed in the journal entry's
    `contract_errors`; in strict mode the event is not sent (state `invalid`), otherwise
    it is sent as is.
"""

from __future__ import annotations

from .dispatcher import (
    DEFAULT_SCHEDULE,
    DEFAULT_TIMEOUT,
    OUT_OF_ORDER_HOLD_S,
    Faults,
    WebhookDispatcher,
)
from .http1 import Http1Transport
from .journal import (
    ATTEMPT_HEADER,
    DELIVERY_HEADER,
    STATES,
    Attempt,
    Delivery,
    Journal,
    Kind,
    State,
)
from .transport import MemoryTransport, Outcome, Transport

__all__ = [
    "ATTEMPT_HEADER",
    "DEFAULT_SCHEDULE",
    "DEFAULT_TIMEOUT",
    "DELIVERY_HEADER",
    "OUT_OF_ORDER_HOLD_S",
    "STATES",
    "Http1Transport",
    "Attempt",
    "Delivery",
    "Faults",
    "Journal",
    "Kind",
    "MemoryTransport",
    "Outcome",
    "State",
    "Transport",
    "WebhookDispatcher",
]
