"""v2 scheduled bots: a bot request kept until its `join_at`, then launched as a v2 bot
with the same id.

The rules the docs state, and the mock keeps: `join_at` at least 1 minute ahead; a
scheduled bot is `scheduled` until it launches (`completed`: the bot exists and joins
at once) or cannot (`failed`: daily cap, tokens or a duplicate, checked at launch, with a
`bot.failed` webhook), or is cancelled (`cancelled`). Update and delete need `scheduled`
and a join time at least 4 minutes ahead (the lock window), else 409. Deleting a launched
bot that is still active makes it leave (before recording: `EXITING_MEETING_BEFORE_RECORD`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..accounts.models import Account
from ..bots import lifecycle as lc
from ..clock import Clock, Timer, iso, maybe_iso, parse_iso
from ..errors import MockError, invalid, not_found
from ..ids import Ids
from .listing import matches_extra, paginate, parse_bound, split_csv

if TYPE_CHECKING:
    from .models import V2Bots

#: re-arms a saved timer ({due, seq} or None) in its old place: `fn(due)` arms it
Arm = Callable[[dict[str, int] | None, Callable[[int], None]], None]
MIN_LEAD_MS = 60 * 1000  # join_at at least 1 minute ahead
LOCK_MS = 4 * 60 * 1000  # no update or delete within 4 minutes of join_at
STATUSES = ("scheduled", "cancelled", "completed", "failed")
#: launch failures (MockError code -> v2 error code)
LAUNCH_ERRORS = {
    "daily_bot_cap": "DAILY_BOT_CAP_REACHED",
    "insufficient_tokens": "INSUFFICIENT_TOKENS",
    "bot_exists": "BOT_ALREADY_EXISTS",
}


@dataclass
class ScheduledBot:
    uuid: str
    account: Account
    request: dict[str, Any]  # the create request, without join_at
    join_ms: int
    created_ms: int
    updated_ms: int
    status: str = "scheduled"
    cancelled_ms: int | None = None
    origin: str | None = None  # "calendar:<calendar>:<event>" for calendar bots
    timer: Timer | None = field(default=None, repr=False)


class Scheduler:
    def __init__(self, clock: Clock, ids: Ids, bots: V2Bots) -> None:
        self.clock = clock
        self.ids = ids
        self.bots = bots
        self.scheduled: dict[str, ScheduledBot] = {}

    # -- create ----------------------------------------------------------------------------
    def join_time(self, request: dict[str, Any], lead_ms: int = MIN_LEAD_MS) -> int:
        """`join_at`, at least `lead_ms` ahead (1 minute to create, 4 to move)."""
        try:
            join_ms = parse_iso(request["join_at"])
        except (ValueError, TypeError):
            raise invalid("body", "join_at", "not an ISO 8601 date-time") from None
        if join_ms < self.clock.now() + lead_ms:
            ahead = "1 minute" if lead_ms == MIN_LEAD_MS else "4 minutes"
            error = invalid(
                "body", "join_at", f"must be at least {ahead} ahead (now is {self.clock.now_iso()})"
            )
            error.behaviour = True  # a rule of time, not of the contract
            raise error
        return join_ms

    def create(
        self, account: Account, request: dict[str, Any], origin: str | None = None
    ) -> ScheduledBot:
        join_ms = self.join_time(request)
        self.bots.check_platform(request["meeting_url"])
        now = self.clock.now()
        bot = ScheduledBot(
            uuid=self.ids.uuid(),
            account=account,
            request={k: v for k, v in request.items() if k != "join_at"},
            join_ms=join_ms,
            created_ms=now,
            updated_ms=now,
            origin=origin,
        )
        self.scheduled[bot.uuid] = bot
        self.arm(bot)
        return bot

    def add(
        self, account: Account, request: dict[str, Any], join_ms: int, origin: str | None = None
    ) -> ScheduledBot:
        """A bot that joins at `join_ms` (a calendar event's start), already checked."""
        now = self.clock.now()
        bot = ScheduledBot(
            uuid=self.ids.uuid(),
            account=account,
            request=request,
            join_ms=join_ms,
            created_ms=now,
            updated_ms=now,
            origin=origin,
        )
        self.scheduled[bot.uuid] = bot
        self.arm(bot)
        return bot

    def batch(self, account: Account, requests: list[dict[str, Any]]) -> dict[str, Any]:
        return self.bots.batch(account, requests, create=lambda r: self.create(account, r).uuid)

    def arm(self, bot: ScheduledBot) -> None:
        if bot.timer is not None:
            bot.timer.cancel()

        async def launch() -> None:
            bot.timer = None
            self.launch(bot)

        bot.timer = self.clock.call_at(bot.join_ms, launch, f"scheduled bot {bot.uuid}")

    def launch(self, bot: ScheduledBot) -> None:
        """Join time: the daily cap, tokens and dedup are checked now."""
        if bot.status != "scheduled":
            return
        bot.updated_ms = self.clock.now()
        try:
            self.bots.create(bot.account, bot.request, uuid=bot.uuid)
        except MockError as error:
            bot.status = "failed"
            code = LAUNCH_ERRORS.get(error.code, "BOT_CREATE_FAILED")
            self.bots.launch_failed(bot.account, bot.uuid, bot.request, code, error.message)
            return
        bot.status = "completed"

    # -- lookups and views -----------------------------------------------------------------
    def get(self, account: Account, bot_id: str) -> ScheduledBot:
        bot = self.scheduled.get(bot_id)
        if bot is None or bot.account is not account:
            raise not_found("scheduled bot", bot_id)
        return bot

    def details(self, bot: ScheduledBot) -> dict[str, Any]:
        r = bot.request
        image = r.get("bot_image")
        timeouts = r.get("timeout_config") or {}
        transcription = r.get("transcription_config") or {}
        streaming = r.get("streaming_config") or {}
        callback = r.get("callback_config") or {}
        zoom = r.get("zoom_config")
        return {
            "bot_id": bot.uuid,
            "bot_name": r["bot_name"],
            "bot_image": image[0] if isinstance(image, list) else image,
            "meeting_url": r["meeting_url"],
            "meeting_platform": lc.platform_of(r["meeting_url"]),
            "recording_mode": r.get("recording_mode", "speaker_view"),
            "join_at": iso(bot.join_ms),
            "status": bot.status,
            "created_at": iso(bot.created_ms),
            "updated_at": iso(bot.updated_ms),
            "cancelled_at": maybe_iso(bot.cancelled_ms),
            "allow_multiple_bots": r.get("allow_multiple_bots", True),
            "entry_message": r.get("entry_message"),
            "timeout_config": {
                "waiting_room_timeout": timeouts.get("waiting_room_timeout", 600),
                "no_one_joined_timeout": timeouts.get("no_one_joined_timeout", 600),
            },
            "transcription_config": {
                "enabled": True,
                "provider": transcription.get("provider", "gladia"),
                "custom_params": transcription.get("custom_params"),
            }
            if r.get("transcription_enabled")
            else None,
            "streaming_config": {
                "enabled": True,
                "input_url": streaming.get("input_url"),
                "output_url": streaming.get("output_url"),
                "audio_frequency": streaming.get("audio_frequency"),
            }
            if r.get("streaming_enabled")
            else None,
            "callback_config": {
                "enabled": True,
                "url": callback["url"],
                "secret": callback.get("secret"),
                "method": callback.get("method", "POST"),
            }
            if r.get("callback_enabled") and callback.get("url")
            else None,
            "extra": r.get("extra"),
            "zoom_config": None
            if not zoom
            else {
                k: zoom.get(k)
                for k in ("credential_id", "credential_user_id", "obf_token_url", "zak_token_url")
            },
        }

    def summary(self, bot: ScheduledBot) -> dict[str, Any]:
        r = bot.request
        return {
            "bot_id": bot.uuid,
            "bot_name": r["bot_name"],
            "meeting_url": r["meeting_url"],
            "meeting_platform": lc.platform_of(r["meeting_url"]),
            "join_at": iso(bot.join_ms),
            "status": bot.status,
            "extra": r.get("extra"),
            "created_at": iso(bot.created_ms),
            "updated_at": iso(bot.updated_ms),
        }

    def list(self, account: Account, query: dict[str, Any]) -> dict[str, Any]:

        def contains(name: str) -> Callable[[str], bool]:
            wanted = (query.get(name) or "").lower()
            return lambda text: wanted in text.lower()

        name, ident, url = contains("bot_name"), contains("bot_id"), contains("meeting_url")
        statuses = split_csv(query.get("status"))
        platforms = split_csv(query.get("meeting_platform"))
        after = parse_bound(query, "scheduled_after")
        before = parse_bound(query, "scheduled_before")

        def keep(bot: ScheduledBot) -> bool:
            r = bot.request
            return (
                bot.account is account
                and name(r["bot_name"])
                and ident(bot.uuid)
                and url(r["meeting_url"])
                and (not statuses or bot.status in statuses)
                and (not platforms or lc.platform_of(r["meeting_url"]) in platforms)
                and (after is None or bot.join_ms > after)
                and (before is None or bot.join_ms < before)
                and matches_extra(r.get("extra"), query.get("extra"))
            )

        bots = sorted(
            (b for b in self.scheduled.values() if keep(b)), key=lambda b: (b.join_ms, b.uuid)
        )
        return paginate(bots, lambda b: (b.join_ms, b.uuid), self.summary, query, descending=False)

    # -- changes ---------------------------------------------------------------------------
    def _unlocked(self, bot: ScheduledBot, verb: str) -> None:
        if bot.status != "scheduled":
            raise MockError(
                "bot_status",
                f"scheduled bot {bot.uuid} is {bot.status}; only a scheduled one can be {verb}",
            )
        left = bot.join_ms - self.clock.now()
        if left < LOCK_MS:
            raise MockError(
                "bot_status",
                f"scheduled bot {bot.uuid} joins at {iso(bot.join_ms)}, within the 4-minute "
                f"lock window: it can no longer be {verb}",
            )

    def update(self, account: Account, bot_id: str, changes: dict[str, Any]) -> None:
        bot = self.get(account, bot_id)
        self._unlocked(bot, "updated")
        join_ms = self.join_time(changes, LOCK_MS) if "join_at" in changes else bot.join_ms
        if "meeting_url" in changes:
            self.bots.check_platform(changes["meeting_url"])
        bot.request = bot.request | {k: v for k, v in changes.items() if k != "join_at"}
        bot.updated_ms = self.clock.now()
        if join_ms != bot.join_ms:
            bot.join_ms = join_ms
            self.arm(bot)

    def delete(self, account: Account, bot_id: str) -> str:
        bot = self.get(account, bot_id)
        if bot.status == "completed":
            launched = self.bots.engine.bots.get(bot.uuid)
            if launched is None or launched.ended:
                raise MockError(
                    "bot_status", f"scheduled bot {bot_id} already ran; its bot has ended"
                )
            self.bots.leave(account, bot.uuid)
            return "The bot is leaving the meeting"
        self._unlocked(bot, "deleted")
        self.cancel(bot)
        return "Scheduled bot cancelled"

    def cancel(self, bot: ScheduledBot) -> None:
        if bot.timer is not None:
            bot.timer.cancel()
            bot.timer = None
        now = self.clock.now()
        bot.status = "cancelled"
        bot.cancelled_ms = now
        bot.updated_ms = now

    # -- state -----------------------------------------------------------------------------
    def dump(self) -> list[dict[str, Any]]:
        return [
            {
                "uuid": b.uuid,
                "account": b.account.key,
                "request": b.request,
                "join_ms": b.join_ms,
                "created_ms": b.created_ms,
                "updated_ms": b.updated_ms,
                "status": b.status,
                "cancelled_ms": b.cancelled_ms,
                "origin": b.origin,
                "timer": None
                if b.timer is None or b.timer.cancelled
                else {"due": b.timer.due, "seq": b.timer.seq},
            }
            for b in self.scheduled.values()
        ]

    def load(
        self, items: list[dict[str, Any]], accounts: dict[str, Account], arm: Arm | None = None
    ) -> None:
        for item in items:
            bot = ScheduledBot(
                uuid=item["uuid"],
                account=accounts[item["account"]],
                request=item["request"],
                join_ms=int(item["join_ms"]),
                created_ms=int(item["created_ms"]),
                updated_ms=int(item["updated_ms"]),
                status=item["status"],
                cancelled_ms=item["cancelled_ms"],
                origin=item.get("origin"),
            )
            self.scheduled[bot.uuid] = bot
            if bot.status == "scheduled":
                if arm is None:
                    self.arm(bot)
                else:
                    arm(item.get("timer"), lambda _due, b=bot: self.arm(b))
