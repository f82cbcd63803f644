"""The seam between what happens (bots, calendars) and how it is told (webhooks).

The engine calls `Outbox.send`; webhook delivery implements it. Tests and the engine's
own unit checks can plug in a list-backed outbox.
"""

from __future__ import annotations

from typing import Any, Protocol

from .accounts.models import Account
from .contract.jsonio import dumps, loads


class Outbox(Protocol):
    def send(
        self,
        account: Account,
        event: str,
        data: dict[str, Any],
        *,
        url: str | None,
        subject: str,
    ) -> None:
        """Queue one webhook event. `url` overrides the account's; `subject` (a bot or
        calendar uuid) orders: one subject's events reach the receiver in send order.
        Must not raise: the engine calls it in the middle of a state change. A value of
        `data` may be a `jsonio.Deferred` (a transcript): render it with `jsonio.dumps`
        when the body is written."""


class ListOutbox:
    """Keeps events in memory, as the JSON a receiver would decode; for embedding the
    engine without HTTP."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any], str | None]] = []

    def send(
        self,
        account: Account,
        event: str,
        data: dict[str, Any],
        *,
        url: str | None,
        subject: str,
    ) -> None:
        self.sent.append((account.key, event, loads(dumps(data)), url))
