"""v2 bots: the engine's `Bot` seen through v2 (status names, envelopes, error codes),
the v2-only behaviour (dedup on request, leave before recording fails, chat, callbacks),
and the v2 webhooks the engine's events become.

HTTP-free like the engine. A v2 bot is an engine bot whose params carry the v2 request
under `_v2`; the engine's events for it are translated here instead of going out as v1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..accounts.models import Account
from ..bots import lifecycle as lc
from ..bots import transcript as tx
from ..bots.models import DEDUP_WINDOW_MS, Bot, BotBackend
from ..bots.params import V2_KEY, AutomaticLeave, BotParams, SpeechToText
from ..clock import Clock, iso, maybe_iso, parse_iso
from ..contract import Contract
from ..errors import MockError, invalid, not_found
from ..webhooks import Delivery, WebhookDispatcher
from .calendars import Calendars
from .credentials import Credentials
from .limits import Limits
from .listing import matches_extra, paginate, parse_bound, split_csv
from .scheduled import Arm, Scheduler
from .signing import CALLBACK_SECRET_HEADER, account_secret, svix_headers

V2_FIELD = V2_KEY
LINK_TTL_MS = 4 * 60 * 60 * 1000  # v2 artifact links last 4 hours
CHAT_STATES = frozenset(
    {lc.IN_CALL_NOT_RECORDING, lc.IN_CALL_RECORDING, lc.RECORDING_PAUSED, lc.RECORDING_RESUMED}
)
PAUSABLE = frozenset({lc.IN_CALL_RECORDING, lc.RECORDING_RESUMED})
#: the engine's (v1) error types as v2 error codes
ERROR_CODES = {
    "BotNotAccepted": "BOT_NOT_ACCEPTED",
    "TimeoutWaitingToStart": "TIMEOUT_WAITING_TO_START",
    "InvalidMeetingUrl": "INVALID_MEETING_URL",
    "BotRemoved": "BOT_REMOVED",
    "InternalError": "INTERNAL_ERROR",
    "CannotJoinMeeting": "CANNOT_JOIN_MEETING",
}
LEFT_EARLY = "EXITING_MEETING_BEFORE_RECORD"
LEFT_EARLY_MESSAGE = "The bot was asked to leave before it started recording"
CHAT_DISABLED_FIELD = "mockbaas_chat_disabled"


@dataclass
class V2State:
    """What v2 knows of a bot beyond the engine."""

    left_before_record: bool = False
    final: tuple[str, dict[str, Any]] | None = None  # (event, data) of bot.completed/failed
    chat: list[dict[str, Any]] = field(default_factory=list)
    messages: int = 0


class V2Bots:
    """The v2 surface of the bot engine, and the engine's outbox for v2 bots."""

    def __init__(
        self,
        clock: Clock,
        engine: BotBackend,
        dispatcher: WebhookDispatcher,
        contract: Contract,
        seed: int,
    ) -> None:
        self.clock = clock
        self.engine = engine
        self.dispatcher = dispatcher
        self.contract = contract
        self.seed = seed
        self.states: dict[str, V2State] = {}
        self._created = 0
        self.limits = Limits()
        self.scheduler = Scheduler(clock, engine.ids, self)
        self.credentials = Credentials(clock, engine.ids)
        self.calendars = Calendars(clock, engine.ids, self)

    # -- lookups ------------------------------------------------------------------------
    def get(self, account: Account, bot_id: str) -> Bot:
        bot = self.engine.bots.get(bot_id)
        if bot is None or bot.account is not account or bot.params.v2 is None:
            raise not_found("bot", bot_id)
        return bot

    def state(self, bot: Bot) -> V2State:
        return self.states.setdefault(bot.uuid, V2State())

    def secret(self, account: Account | str) -> str:
        key = account if isinstance(account, str) else account.key
        return account_secret(self.seed, key)

    # -- create ---------------------------------------------------------------------------
    @staticmethod
    def check_platform(url: str) -> None:
        if lc.platform_of(url) is None:
            raise invalid(
                "body",
                "meeting_url",
                "not a Zoom, Google Meet or Teams meeting link (INVALID_MEETING_PLATFORM)",
            )

    def create(self, account: Account, request: dict[str, Any], uuid: str | None = None) -> Bot:
        """One bot joins now: platform, daily cap, tokens, then dedup, as the docs order
        them; `uuid` is a scheduled bot's id, kept when it launches."""
        url = request["meeting_url"]
        self.check_platform(url)
        now = self.clock.now()
        self.limits.check_bot(account.key, now)
        if request.get("allow_multiple_bots") is False:
            for other in self.engine.bots.values():
                if (
                    other.account is account
                    and other.params.v2 is not None
                    and other.meeting_url == url
                    and other.created_ms > now - DEDUP_WINDOW_MS
                ):
                    raise MockError(
                        "bot_exists",
                        f"bot {other.uuid} was sent to {url} less than 5 minutes ago "
                        "(allow_multiple_bots is false)",
                    )
        timeouts = request.get("timeout_config") or {}
        transcribed = bool(request.get("transcription_enabled"))
        self._created += 1
        params = BotParams(
            meeting_url=url,
            bot_name=request["bot_name"],
            recording_mode=request.get("recording_mode", "speaker_view"),
            entry_message=request.get("entry_message"),
            extra=request.get("extra"),
            automatic_leave=AutomaticLeave(
                waiting_room_timeout=timeouts.get("waiting_room_timeout", 600),
                noone_joined_timeout=timeouts.get("no_one_joined_timeout", 600),
            ),
            # v2 dedups on request (above); the engine's own v1 dedup must never fire
            deduplication_key=f"{V2_FIELD}:{self._created}",
            speech_to_text=SpeechToText("Default") if transcribed else None,
            v2=request,
        )
        bot = self.engine.join(account, params, uuid=uuid)
        self.limits.take_bot(account.key, now)
        return bot

    def batch(
        self,
        account: Account,
        requests: list[dict[str, Any]],
        create: Callable[[dict[str, Any]], str] | None = None,
    ) -> dict[str, Any]:
        """Each item on its own; `create` makes one and returns its id (a bot by default)."""
        make = create or (lambda request: self.create(account, request).uuid)
        data, errors = [], []
        for index, request in enumerate(requests):
            extra = request.get("extra")
            try:
                bot_id = make(request)
            except MockError as error:
                code = {
                    "bot_exists": "BOT_ALREADY_EXISTS",
                    "daily_bot_cap": "DAILY_BOT_CAP_REACHED",
                    "insufficient_tokens": "INSUFFICIENT_TOKENS",
                    "validation_error": "INVALID_MEETING_PLATFORM"
                    if error.details and error.details[0].path == "meeting_url"
                    else "VALIDATION_ERROR",
                }.get(error.code, "BOT_CREATE_FAILED")
                details = "; ".join(f"{d.path}: {d.message}" for d in error.details) or None
                errors.append(
                    {
                        "index": index,
                        "code": code,
                        "message": error.message,
                        "details": details,
                        "extra": extra,
                    }
                )
                continue
            data.append({"index": index, "bot_id": bot_id, "extra": extra})
        return {"success": True, "data": data, "errors": errors}

    # -- views ------------------------------------------------------------------------------
    def status(self, bot: Bot) -> str:
        if bot.outcome == "complete":
            return "failed" if self.state(bot).left_before_record else "completed"
        if bot.outcome == "failed":
            return "failed"
        if bot.ended:
            return "transcribing" if bot.wants_transcript else lc.CALL_ENDED
        return bot.status or "queued"

    def error(self, bot: Bot) -> tuple[str | None, str | None]:
        if self.status(bot) != "failed":
            return None, None
        if self.state(bot).left_before_record:
            return LEFT_EARLY, LEFT_EARLY_MESSAGE
        return ERROR_CODES.get(bot.error_type or "", "INTERNAL_ERROR"), bot.error_message

    def _people(self, bot: Bot) -> list[dict[str, Any]]:
        """Who was in the call: the engine's speakers (seeded per bot, the scenario's
        when it names them), known once the bot got in, transcript or not."""
        if bot.data_deleted or not any(e["code"] == lc.IN_CALL_NOT_RECORDING for e in bot.history):
            return []
        names = bot.speakers or tx.speakers_for(bot.seed, bot.scenario.speakers)
        return [{"name": name, "id": n} for n, name in enumerate(names, start=1)]

    def _times(self, bot: Bot) -> tuple[str | None, str | None]:
        joined = next(
            (e["created_at"] for e in bot.history if e["code"] == lc.IN_CALL_NOT_RECORDING), None
        )
        return maybe_iso(joined), maybe_iso(bot.ended_ms if joined is not None else None)

    def _link(self, bot: Bot) -> tuple[str | None, str | None]:
        """(video, audio): 4-hour signed links to what was recorded."""
        if bot.outcome != "complete" or bot.data_deleted or self.state(bot).left_before_record:
            return None, None
        path = self.engine.media_path(bot, bot.recording_name)
        expires = self.clock.now() + LINK_TTL_MS
        signature = self.engine.signer.sign(path, expires)
        url = f"{self.engine.public_url}{path}?X-Amz-Expires={expires}&X-Amz-Signature={signature}"
        return (None, url) if bot.audio_only else (url, None)

    def details(self, bot: Bot) -> dict[str, Any]:
        request = _v2_request(bot)
        joined, exited = self._times(bot)
        video, audio = self._link(bot)
        code, message = self.error(bot)
        done = bot.outcome == "complete" and not self.state(bot).left_before_record
        zoom = request.get("zoom_config")
        return {
            "bot_id": bot.uuid,
            "bot_name": request["bot_name"],
            "meeting_url": bot.meeting_url,
            "meeting_platform": lc.platform_of(bot.meeting_url),
            "recording_mode": bot.params.recording_mode,
            "status": self.status(bot),
            "created_at": iso(bot.created_ms),
            "joined_at": joined,
            "exited_at": exited,
            "duration_seconds": bot.recorded_until(self.clock.now()) // 1000 if done else None,
            "participants": self._people(bot),
            "speakers": self._people(bot),
            "artifacts_deleted": bot.data_deleted,
            "video": video,
            "audio": audio,
            "diarization": None,
            "raw_transcription": None,
            "transcription": None,
            "chat_messages": None,
            "transcription_ids": None,
            "transcription_provider": "gladia" if bot.wants_transcript else None,
            "error_code": code,
            "error_message": message,
            "tokens": None,
            "extra": bot.params.extra,
            "zoom_config": None
            if not zoom
            else {
                "credential_id": zoom.get("credential_id"),
                "credential_user_id": zoom.get("credential_user_id"),
                "obf_token_url": zoom.get("obf_token_url"),
                "zak_token_url": zoom.get("zak_token_url"),
            },
        }

    def summary(self, bot: Bot) -> dict[str, Any]:
        joined, exited = self._times(bot)
        code, message = self.error(bot)
        return {
            "bot_id": bot.uuid,
            "bot_name": bot.params.bot_name,
            "meeting_url": bot.meeting_url,
            "meeting_platform": lc.platform_of(bot.meeting_url),
            "extra": bot.params.extra,
            "duration": bot.recorded_until(self.clock.now()) // 1000 if bot.ended else None,
            "created_at": iso(bot.created_ms),
            "ended_at": maybe_iso(bot.ended_ms),
            "joined_at": joined,
            "exited_at": exited,
            "status": self.status(bot),
            "error_code": code,
            "error_message": message,
            "tokens": None,
        }

    def status_view(self, bot: Bot) -> dict[str, Any]:
        if not bot.wants_transcript:
            transcription = "not-applicable"
        elif bot.outcome == "complete":
            transcription = "done"
        elif bot.ended:
            transcription = "processing"
        else:
            transcription = "not-started"
        updated = bot.history[-1]["created_at"] if bot.history else bot.created_ms
        if bot.ended_ms is not None:
            updated = max(updated, bot.ended_ms)
        return {
            "bot_id": bot.uuid,
            "status": self.status(bot),
            "transcription_status": transcription,
            "updated_at": iso(updated),
        }

    def list(self, account: Account, query: dict[str, Any]) -> dict[str, Any]:
        keep = self._filter(query)
        bots = [
            b
            for b in self.engine.bots.values()
            if b.account is account and b.params.v2 is not None and keep(b)
        ]
        bots.sort(key=lambda b: (b.created_ms, b.uuid), reverse=True)
        return paginate(bots, lambda b: (b.created_ms, b.uuid), self.summary, query)

    def _filter(self, query: dict[str, Any]) -> Callable[[Bot], bool]:
        def contains(name: str) -> Callable[[str], bool]:
            wanted = (query.get(name) or "").lower()
            return lambda text: wanted in text.lower()

        name, ident, url = contains("bot_name"), contains("bot_id"), contains("meeting_url")
        participant = (query.get("participant_name") or "").lower()
        platforms = split_csv(query.get("meeting_platform"))
        statuses = split_csv(query.get("status"))
        bounds = {
            k: parse_bound(query, k) for k in ("created_before", "created_after", "ended_after")
        }

        def keep(bot: Bot) -> bool:
            if not (name(bot.params.bot_name) and ident(bot.uuid) and url(bot.meeting_url)):
                return False
            people = self._people(bot) if participant else []
            if participant and not any(participant in p["name"].lower() for p in people):
                return False
            if platforms and lc.platform_of(bot.meeting_url) not in platforms:
                return False
            if statuses and self.status(bot) not in statuses:
                return False
            before, after = bounds["created_before"], bounds["created_after"]
            if before is not None and bot.created_ms >= before:
                return False
            if after is not None and bot.created_ms <= after:
                return False
            ended_after = bounds["ended_after"]
            if ended_after is not None and (bot.ended_ms is None or bot.ended_ms <= ended_after):
                return False
            return matches_extra(bot.params.extra, query.get("extra"))

        return keep

    def screenshots(self, account: Account, bot_id: str, query: dict[str, Any]) -> dict[str, Any]:
        bot = self.get(account, bot_id)
        shots = [] if bot.data_deleted else list(range(len(bot.screenshots)))

        def view(n: int) -> dict[str, Any]:
            return {
                "screenshot_id": n + 1,
                "url": self.engine.signed_url(bot, f"screenshot-{n}.png"),
            }

        return paginate(
            shots, lambda n: (bot.screenshots[n], f"{n:06d}"), view, query, descending=False
        )

    # -- actions ----------------------------------------------------------------------------
    def leave(self, account: Account, bot_id: str) -> None:
        waiting = self.scheduler.scheduled.get(bot_id)
        if waiting is not None and waiting.account is account and waiting.status == "scheduled":
            self.scheduler.cancel(waiting)  # a scheduled bot not launched yet: cancelled
            return
        bot = self.get(account, bot_id)
        if bot.ended:
            raise MockError(
                "bot_status", f"bot {bot_id} is {self.status(bot)}; only an active bot can leave"
            )
        if bot.recording_started is None:
            self.state(bot).left_before_record = True
        self.engine.leave(account, bot_id)

    def pause(self, account: Account, bot_id: str, resume: bool) -> None:
        bot = self.get(account, bot_id)
        wanted = {lc.RECORDING_PAUSED} if resume else PAUSABLE
        if bot.ended or bot.status not in wanted:
            verb = "resume" if resume else "pause"
            need = "recording_paused" if resume else "in_call_recording or recording_resumed"
            raise MockError(
                "bot_status",
                f"bot {bot_id} is {self.status(bot)}; it can {verb} only when {need}",
            )
        self.engine.push(bot_id, "resume" if resume else "pause")

    def send_chat(self, account: Account, bot_id: str, message: str) -> None:
        bot = self.get(account, bot_id)
        if bot.ended or bot.status not in CHAT_STATES:
            raise MockError(
                "bot_status",
                f"bot {bot_id} is {self.status(bot)}; it can chat only while in the call",
            )
        if (bot.params.extra or {}).get(CHAT_DISABLED_FIELD) is True:
            raise MockError("chat_disabled", "chat is disabled in this meeting")
        self.state(bot).chat.append({"text": message, "at": self.clock.now()})

    def update_extra(self, account: Account, bot_id: str, extra: dict[str, Any] | None) -> None:
        bot = self.get(account, bot_id)
        if extra is None:
            return
        merged = {**(bot.params.extra or {}), **extra}
        bot.params = bot.params.but(extra=merged)

    def delete_data(self, account: Account, bot_id: str) -> str:
        self.get(account, bot_id)
        outcome = self.engine.delete_data(account, bot_id)
        return {
            "deleted": "Bot data deleted",
            "partiallyDeleted": "Bot data deleted; the bot is still in its call",
            "alreadyDeleted": "Bot data was already deleted",
            "noDataFound": "The bot has no data to delete",
        }[outcome]

    def resend(self, account: Account, bot_id: str) -> None:
        bot = self.get(account, bot_id)
        final = self.state(bot).final
        if final is None:
            raise MockError(
                "bot_status", f"bot {bot_id} is {self.status(bot)}; it has no final webhook yet"
            )
        event, data = final
        self._webhook(bot, event, data | {"sent_at": iso(self.clock.now())})

    def retry_callback(
        self, account: Account, bot_id: str, override: dict[str, Any] | None
    ) -> None:
        bot = self.get(account, bot_id)
        final = self.state(bot).final
        if final is None:
            raise MockError(
                "bot_status", f"bot {bot_id} is {self.status(bot)}; it has not ended yet"
            )
        if not bot.wants_transcript:  # the docs: it retries the transcription callback
            raise MockError(
                "bot_status",
                f"bot {bot_id} had no transcription; only a transcription callback is retried",
            )
        config = override or self._callback_config(bot)
        if config is None:
            raise MockError(
                "bot_status", f"bot {bot_id} has no callback configured; give one in the body"
            )
        event, data = final
        self._callback(bot, config, event, data | {"sent_at": iso(self.clock.now())})

    def chat_from_participant(self, bot_id: str, sender: str, text: str) -> None:
        """A participant writes in the meeting's chat (the control API's way in)."""
        bot = self.engine.find(bot_id)
        if bot.params.v2 is None:
            raise invalid("path", "uuid", "not a v2 bot")
        if bot.ended or bot.status not in CHAT_STATES:
            raise MockError("conflict", f"bot {bot_id} is not in the call")
        state = self.state(bot)
        state.messages += 1
        data = {
            "bot_id": bot.uuid,
            "event_id": None,
            "message_id": f"{bot.uuid}-{state.messages}",
            "sender_name": sender,
            "sender_id": None,
            "text": text,
            "sent_at": iso(self.clock.now()),
        }
        self._webhook(bot, "bot.chat_message", data)

    # -- the engine's outbox ---------------------------------------------------------------
    def send(
        self,
        account: Account,
        event: str,
        data: dict[str, Any],
        *,
        url: str | None,
        subject: str,
    ) -> None:
        bot = self.engine.bots.get(subject)
        if bot is None or bot.params.v2 is None:
            self.dispatcher.send(account, event, data, url=url, subject=subject)
            return
        if event == "bot.status_change":
            entry = data["status"]
            status: dict[str, Any] = {"code": entry["code"], "created_at": entry["created_at"]}
            if "start_time" in entry:
                status["start_time"] = int(parse_iso(entry["start_time"]) // 1000)
            if "error_message" in entry:
                status["error_message"] = entry["error_message"]
            self._webhook(bot, event, {"bot_id": bot.uuid, "event_id": None, "status": status})
        elif event in ("complete", "failed"):
            self._final(bot)
        # transcription_complete is v1-only (retranscribe has no v2 operation)

    def _final(self, bot: Bot) -> None:
        now = iso(self.clock.now())
        code, message = self.error(bot)
        if code is not None:
            event = "bot.failed"
            data: dict[str, Any] = {
                "bot_id": bot.uuid,
                "event_id": None,
                "error_message": message or code,
                "error_code": code,
                "sent_at": now,
            }
        else:
            joined, exited = self._times(bot)
            video, audio = self._link(bot)
            event = "bot.completed"
            data = {
                "bot_id": bot.uuid,
                "event_id": None,
                "participants": self._people(bot),
                "speakers": self._people(bot),
                "duration_seconds": bot.recorded_ms // 1000,
                "joined_at": joined,
                "exited_at": exited,
                "data_deleted": bot.data_deleted,
                "video": video,
                "audio": audio,
                "diarization": None,
                "raw_transcription": None,
                "transcription": None,
                "transcription_provider": "gladia" if bot.wants_transcript else None,
                "transcription_ids": None,
                "sent_at": now,
            }
        self.state(bot).final = (event, data)
        self._webhook(bot, event, data)
        config = self._callback_config(bot)
        if config is not None:
            self._callback(bot, config, event, data)

    def _callback_config(self, bot: Bot) -> dict[str, Any] | None:
        request = _v2_request(bot)
        if not request.get("callback_enabled"):
            return None
        config: dict[str, Any] | None = request.get("callback_config")
        return config

    def launch_failed(
        self, account: Account, bot_id: str, request: dict[str, Any], code: str, message: str
    ) -> None:
        """A scheduled bot that could not join: `bot.failed` (and its callback)."""
        data = {
            "bot_id": bot_id,
            "event_id": None,
            "error_message": message,
            "error_code": code,
            "sent_at": iso(self.clock.now()),
        }
        extra = request.get("extra")
        self.notify(account, bot_id, extra, "bot.failed", data)
        if request.get("callback_enabled") and request.get("callback_config"):
            self.call_back(account, bot_id, extra, request["callback_config"], "bot.failed", data)

    def _webhook(self, bot: Bot, event: str, data: dict[str, Any]) -> None:
        self.notify(bot.account, bot.uuid, bot.params.extra, event, data)

    def notify(
        self,
        account: Account,
        subject: str,
        extra: Any,
        event: str,
        data: dict[str, Any],
        with_extra: bool = True,
    ) -> None:
        """One Svix-signed v2 webhook to the account's URL (calendar events carry no
        `extra`)."""
        payload = {"event": event, "data": data}
        if with_extra:
            payload["extra"] = extra
        secret = self.secret(account)

        def sign(delivery: Delivery) -> dict[str, str]:
            msg_id = "msg_" + delivery.id.replace("-", "")
            return svix_headers(secret, msg_id, delivery.created_at // 1000, delivery.body)

        self.dispatcher.send(
            account,
            event,
            data,
            url=None,
            subject=subject,
            payload=payload,
            contract=self.contract,
            headers=sign,
        )

    def _callback(self, bot: Bot, config: dict[str, Any], event: str, data: dict[str, Any]) -> None:
        self.call_back(bot.account, bot.uuid, bot.params.extra, config, event, data)

    def call_back(
        self,
        account: Account,
        bot_id: str,
        extra: Any,
        config: dict[str, Any],
        event: str,
        data: dict[str, Any],
    ) -> None:
        """The bot's own callback, with its `x-mb-secret`."""
        secret = config.get("secret")
        self.dispatcher.send(
            account,
            event,
            data,
            url=config["url"],
            subject=f"{bot_id}:callback",
            payload={"event": event, "data": data, "extra": extra},
            contract=self.contract,
            headers=(lambda _d: {CALLBACK_SECRET_HEADER: secret}) if secret else None,
            method=config.get("method", "POST"),
        )

    # -- state (`serve --state`) -----------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        """What v2 knows beyond the engine's bots, as plain data."""
        return {
            "created": self._created,
            "bots": {
                uuid: {
                    "left_before_record": s.left_before_record,
                    "final": list(s.final) if s.final else None,
                    "chat": s.chat,
                    "messages": s.messages,
                }
                for uuid, s in self.states.items()
            },
            "limits": self.limits.dump(),
            "scheduled": self.scheduler.dump(),
            "credentials": self.credentials.dump(),
            "calendars": self.calendars.dump(),
        }

    def load(
        self, data: dict[str, Any], accounts: dict[str, Account], arm: Arm | None = None
    ) -> None:
        """The inverse of `dump`; `arm(saved, fn)` re-arms a timer in its old place."""
        self._created = int(data["created"])
        for uuid, s in data["bots"].items():
            final = s["final"]
            self.states[uuid] = V2State(
                left_before_record=bool(s["left_before_record"]),
                final=(final[0], final[1]) if final else None,
                chat=list(s["chat"]),
                messages=int(s["messages"]),
            )
        self.limits.load(data["limits"])
        self.scheduler.load(data["scheduled"], accounts, arm)
        self.credentials.load(data["credentials"], accounts)
        self.calendars.load(data["calendars"], accounts)


def _v2_request(bot: Bot) -> dict[str, Any]:
    """The v2 request of a bot the v2 surface made (callers checked it is one)."""
    request = bot.params.v2
    assert request is not None
    return request
