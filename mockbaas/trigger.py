"""Make the mock send one webhook event now, the way `stripe trigger` does.

Every payload comes from the engine and goes through the normal dispatcher (journal,
retries, faults, order). Two ways:

- a subject (`bot_id`: a bot or calendar uuid) that already sent the event: its latest
  payload of that event is sent again as a new delivery (new delivery id), to `url` or
  to where the original went;
- no subject: a new one lives just far enough to send it, at the current virtual time,
  pushed through its states without moving the clock: a bot joins (`bot.status_change`
  for `joining_call`), is rejected from the waiting room (`failed`), or joins, records
  and leaves at once (`complete`; for `transcription_complete` it then sends that too);
  a calendar is connected (`calendar.sync_events`). Its events, the status changes on
  the way included, go to `url`, else to the account's URL or the server's default.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .accounts.models import Account
from .bots import lifecycle as lc
from .bots.params import BotParams
from .core import MockBaaS
from .errors import conflict, did_you_mean, invalid, not_found
from .webhooks import Delivery

#: The account a trigger uses when the caller names none (and any key is an account).
TRIGGER_KEY = "mockbaas-trigger"
EVENTS = ("bot.status_change", "failed", "complete", "transcription_complete")
CALENDAR_EVENT = "calendar.sync_events"
TRIGGER_MEETING = "https://meet.google.com/trg-germ-ock"


def account_for(mock: MockBaaS, api_key: str | None) -> Account:
    keys = mock.settings.api_keys
    return mock.accounts.authenticate(api_key or (keys[0] if keys else TRIGGER_KEY))


async def trigger(
    mock: MockBaaS, event: str, subject: str | None, url: str | None, account: Account
) -> tuple[str, list[Delivery]]:
    """Send `event`; the subject and the deliveries of `event` this made."""
    if event not in (*EVENTS, CALENDAR_EVENT):
        known = (*EVENTS, CALENDAR_EVENT)
        raise invalid("body", "event", f"one of {', '.join(known)}{did_you_mean(event, known)}")
    if url:
        refusal = mock.targets.refusal(url)
        if refusal is not None:  # never journal posts that could not be made
            raise invalid("body", "url", refusal)
    before = mock.webhooks.journal.seq  # deliveries made from here on are this trigger's
    async with mock.clock.lock:
        if subject is not None:
            subject = _replay(mock, event, subject, url)
        elif event == CALENDAR_EVENT:
            subject = _new_calendar(mock, account, url)
        else:
            subject = _new_bot(mock, event, account, url)
    wait = mock.settings.advance_wait
    await mock.webhooks.settle(wait)  # a complete due now; first attempts of what was sent
    if event == "transcription_complete" and not any(
        d.event == event for d in _since(mock, before)
    ):
        bot = mock.bots.find(subject)
        async with mock.clock.lock:
            mock.webhooks.send(
                bot.account, event, {"bot_id": bot.uuid}, url=bot.webhook_url, subject=bot.uuid
            )
        await mock.webhooks.settle(wait)
    made = [d for d in _since(mock, before) if d.event == event and d.subject == subject]
    return subject, made


def _since(mock: MockBaaS, seq: int) -> list[Delivery]:
    return [d for d in mock.webhooks.journal if d.seq > seq]


def _replay(mock: MockBaaS, event: str, subject: str, url: str | None) -> str:
    bot = mock.bots.bots.get(subject)
    owner = bot if bot is not None else mock.calendars.calendars.get(subject)
    if owner is None:
        raise not_found("bot or calendar", subject)
    sent = mock.webhooks.journal.of(subject)
    latest = next((d for d in reversed(sent) if d.event == event), None)
    if latest is None:
        events = sorted({d.event for d in sent}) or ["none"]
        raise conflict(
            f"{subject} has not sent {event} yet (it sent: {', '.join(events)}); "
            "trigger without a bot_id for a new one"
        )
    data = latest.payload["data"]
    mock.webhooks.send(owner.account, event, data, url=url or latest.url, subject=subject)
    return subject


def _new_bot(mock: MockBaaS, event: str, account: Account, url: str | None) -> str:
    params: dict[str, Any] = {
        "meeting_url": TRIGGER_MEETING,
        "bot_name": "mockbaas trigger",
        "reserved": False,
        "deduplication_key": f"mockbaas-trigger-{len(mock.bots.bots) + 1}",
        "speech_to_text": {"provider": "Default"},
        "extra": {"mockbaas_scenario": "happy_path"},
    }
    if url:
        params["webhook_url"] = url
    bot = mock.bots.join(account, BotParams.from_request(params))
    if event == "failed":
        mock.bots.push(bot.uuid, lc.IN_WAITING_ROOM)
        mock.bots.push(bot.uuid, lc.BOT_REJECTED)
    elif event in ("complete", "transcription_complete"):
        mock.bots.push(bot.uuid, lc.IN_CALL_NOT_RECORDING)
        mock.bots.push(bot.uuid, lc.IN_CALL_RECORDING)
        # processed at once: the clock does not move for a trigger
        bot.scenario = dataclasses.replace(bot.scenario, processing_ms=0)
        mock.bots.push(bot.uuid, lc.CALL_ENDED, end_reason="api_request")
    return bot.uuid


class _To:
    """An outbox that sends everything to one URL (a trigger's `url`)."""

    def __init__(self, outbox: Any, url: str) -> None:
        self.outbox, self.url = outbox, url

    def send(
        self, account: Account, event: str, data: dict[str, Any], *, url: str | None, subject: str
    ) -> None:
        self.outbox.send(account, event, data, url=self.url, subject=subject)


def _new_calendar(mock: MockBaaS, account: Account, url: str | None) -> str:
    params = {
        "platform": "Google",
        "oauth_client_id": TRIGGER_KEY,
        "oauth_client_secret": TRIGGER_KEY,
        "oauth_refresh_token": f"{TRIGGER_KEY}-{len(mock.calendars.calendars) + 1}",
    }
    outbox = mock.calendars.outbox
    if url:
        mock.calendars.outbox = _To(outbox, url)
    try:
        calendar = mock.calendars.create(account, params)  # the answer: a dict
    finally:
        mock.calendars.outbox = outbox
    uuid: str = calendar["uuid"]
    return uuid
