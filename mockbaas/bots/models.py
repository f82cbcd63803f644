"""The bot engine: bots living their scenario on the virtual clock.

Knows nothing of HTTP. Every status change is a clock timer, so the same requests and
seed give the same history, timestamps and webhooks, at any speed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..accounts.models import Account
from ..clock import Clock, Timer, iso
from ..contract.jsonio import Deferred, dumps
from ..errors import MockError, bad_input, conflict, did_you_mean, not_found, one_of
from ..events import Outbox
from ..ids import Ids
from ..scenarios import SCENARIO_FIELD, Scenario, ScenarioBook, Step
from . import error_codes as ec
from . import files, listing, views
from . import lifecycle as lc
from . import transcript as tx
from .media import LINK_TTL_MS, MEDIA_PREFIX, Signer
from .params import BotParams, SpeechToText

DEDUP_WINDOW_MS = 5 * 60 * 1000
RESERVED_LEAD_MS = 4 * 60 * 1000  # reserved bots join 4 minutes before start_time
INVALID_URL_DELAY_MS = 2000
RETRANSCRIBE_MS = 30_000
DELETE_DATA_PER_MINUTE = 5
PUSHABLE = frozenset(lc.STATUS_CODES) | frozenset(lc.ACTIONS)
PROCESSED = lc.Processed()
#: what a bot sent to a URL no platform hosts does, whatever its scenario
INVALID_URL_PLAN = (
    Step(lc.JOINING_CALL),
    Step(lc.INVALID_MEETING_URL, after_ms=INVALID_URL_DELAY_MS),
)
GUARDS = lc.GUARDS  # the timeout each state arms (a saved world's timers are checked with it)


@dataclass
class Retranscription:
    """A POST /bots/retranscribe not done yet: plain data, so a saved world can re-arm it."""

    due: int
    attempt: int
    speech_to_text: Any
    webhook_url: str | None
    timer: Timer | None = field(default=None, repr=False)


TRANSCRIPT_CACHE = 64
#: meeting_data transcripts kept as JSON text (~100-400 kB each for a half-hour meeting)
ROWS_CACHE = 16


@dataclass(slots=True)
class Bot:
    uuid: str
    id: int
    account: Account
    params: BotParams
    scenario: Scenario
    seed: int
    created_ms: int
    join_ms: int
    status: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    outcome: str | None = None  # complete | failed
    ended_ms: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    end_reason: str | None = None
    recorded_ms: int = 0
    recording_since: int | None = None
    recording_started: int | None = None
    speakers: list[str] = field(default_factory=list)
    #: the seed of the current transcript (None: none made): it is generated from it
    #: when read, never stored, so a finished bot stays small
    transcript_seed: int | None = None
    screenshots: list[int] = field(default_factory=list)
    data_deleted: bool = False
    retranscriptions: int = 0
    plan: tuple[Step, ...] = ()  # the scenario's steps, shared (a saved world's: its own)
    plan_index: int = 0
    step_timer: Timer | None = None
    guard_timer: Timer | None = None  # waiting-room or no-one-joined timeout
    complete_timer: Timer | None = None  # call_ended -> complete, after processing
    retranscriptions_due: list[Retranscription] = field(default_factory=list)
    silence_timer: Timer | None = None  # automatic_leave.silence_timeout
    joined_ms: int | None = None  # entered the call
    exited_ms: int | None = None  # left the call
    access_count: int = 0
    last_accessed_ms: int | None = None
    #: (params it was built from, the part of BotWithParams that only params decide)
    static_view: tuple[BotParams, dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def meeting_url(self) -> str:
        return self.params.meeting_url

    @property
    def webhook_url(self) -> str | None:
        return self.params.webhook_url or None

    @property
    def wants_transcript(self) -> bool:
        return self.params.wants_transcript

    @property
    def audio_only(self) -> bool:
        return self.params.audio_only

    @property
    def recording_name(self) -> str:
        return "recording.mp3" if self.audio_only else "recording.mp4"

    @property
    def extra(self) -> Any:
        extra = self.params.extra
        return {} if extra is None else extra

    @property
    def ended(self) -> bool:
        return self.ended_ms is not None

    def recorded_until(self, now_ms: int) -> int:
        extra = now_ms - self.recording_since if self.recording_since is not None else 0
        return self.recorded_ms + extra

    def timeout(self, name: str) -> int:
        return self.params.timeout(name)


class BotBackend:
    """All bots of all accounts, and the rules of their lives."""

    def __init__(
        self,
        clock: Clock,
        ids: Ids,
        scenarios: ScenarioBook,
        outbox: Outbox,
        public_url: str,
        signer: Signer,
        link_ttl_ms: int = LINK_TTL_MS,
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.scenarios = scenarios
        self.outbox = outbox
        self.public_url = public_url.rstrip("/")
        self.signer = signer
        self.link_ttl_ms = link_ttl_ms
        self.bots: dict[str, Bot] = {}
        #: called after each status change (the bot, its new status): live streams, etc.
        self.listeners: list[Callable[[Bot, str], None]] = []
        #: each account's bots in creation order (ids and creation times ascending)
        self.by_account: dict[int, list[Bot]] = {}
        #: (account, meeting URL, deduplication key) -> when the last such bot was made
        self._dedup: dict[tuple[int, str, str | None], int] = {}
        self._transcript_cache: OrderedDict[tuple[str, int], list[dict[str, Any]]] = OrderedDict()
        self._rows_cache: OrderedDict[tuple[str, int], bytes] = OrderedDict()

    # -- lookups ------------------------------------------------------------------------
    def get(self, account: Account, uuid: str) -> Bot:
        bot = self.bots.get(uuid)
        if bot is None or bot.account is not account:
            raise not_found("bot", uuid)
        return bot

    def find(self, uuid: str) -> Bot:
        bot = self.bots.get(uuid)
        if bot is None:
            raise not_found("bot", uuid)
        return bot

    # -- join / leave -------------------------------------------------------------------
    def join(self, account: Account, params: BotParams, uuid: str | None = None) -> Bot:
        """A bot is sent; `uuid` keeps an id drawn earlier (a v2 scheduled bot's)."""
        now = self.clock.now()
        url = params.meeting_url
        dedup = (account.number, url, params.deduplication_key)
        last = self._dedup.get(dedup)
        if last is not None and last > now - DEDUP_WINDOW_MS:
            raise conflict(
                f"a bot was already sent to {url} less than 5 minutes ago "
                "(set a different deduplication_key to send another)"
            )
        extra = params.extra
        requested = extra.get(SCENARIO_FIELD) if isinstance(extra, dict) else None
        if requested is not None and not isinstance(requested, str):
            raise bad_input(f"extra.{SCENARIO_FIELD}", "must be a scenario name")
        try:
            scenario = self.scenarios.choose(requested, url, params.bot_name)
        except KeyError as exc:
            raise bad_input(f"extra.{SCENARIO_FIELD}", str(exc.args[0])) from None
        try:
            ec.requested(extra)
        except ValueError as exc:
            raise bad_input(f"extra.{ec.VOCABULARY_FIELD}", str(exc)) from None
        join_ms = now
        if params.start_time is not None:
            join_ms = max(now, params.start_time - RESERVED_LEAD_MS)
        elif params.reserved:
            join_ms = now + RESERVED_LEAD_MS
        bot = Bot(
            uuid=uuid or self.ids.uuid(),
            id=self.ids.next_int("bot"),
            account=account,
            params=params,
            scenario=scenario,
            seed=self.ids.child_seed(),
            created_ms=now,
            join_ms=join_ms,
        )
        if lc.platform_of(url) is None:
            bot.plan = INVALID_URL_PLAN
        else:
            bot.plan = scenario.steps
        self.add(bot)
        if join_ms == now and bot.plan[0].after_ms == 0:
            # joining_call happens within the request: a DELETE or a push that follows
            # at once finds the bot joining, whatever the event loop did in between
            self._run_step(bot, bot.plan[0])
        else:
            self._schedule_step(bot, base=join_ms)
        return bot

    def add(self, bot: Bot) -> None:
        """Index a new bot, or a bot of a loaded world: every bot comes through here, in
        creation order."""
        self.bots[bot.uuid] = bot
        self.by_account.setdefault(bot.account.number, []).append(bot)
        p = bot.params
        self._dedup[(bot.account.number, p.meeting_url, p.deduplication_key)] = bot.created_ms

    def leave(self, account: Account, uuid: str) -> Bot:
        bot = self.get(account, uuid)
        if not bot.ended:
            self._drop_plan(bot)
            self._apply(bot, lc.CALL_ENDED, end_reason="api_request")
        return bot

    # -- the state machine --------------------------------------------------------------
    def _schedule_step(self, bot: Bot, base: int | None = None) -> None:
        if bot.plan_index >= len(bot.plan) or bot.ended:
            bot.step_timer = None
            return
        step = bot.plan[bot.plan_index]
        self.arm_step(bot, (self.clock.now() if base is None else base) + step.after_ms)

    def arm_step(self, bot: Bot, due: int) -> None:
        """The timer of the bot's next plan step (`plan[plan_index]`), due at `due`."""
        step = bot.plan[bot.plan_index]

        async def run() -> None:
            self._run_step(bot, step)

        bot.step_timer = self.clock.call_at(due, run, f"bot {bot.uuid} -> {step.status}")

    def _run_step(self, bot: Bot, step: Step) -> None:
        bot.step_timer = None
        bot.plan_index += 1
        if not lc.is_legal(bot.status, step.status):
            # a pushed transition moved the bot elsewhere: the plan no longer applies
            self._drop_plan(bot)
            return
        self._apply(bot, step.status, **step.data)
        self._schedule_step(bot)

    def _drop_plan(self, bot: Bot) -> None:
        if bot.step_timer is not None:
            bot.step_timer.cancel()
            bot.step_timer = None
        bot.plan_index = len(bot.plan)

    def arm_guard(self, bot: Bot, due: int) -> None:
        """The timeout its current state arms (`GUARDS`), due at `due`."""
        if bot.guard_timer is not None:
            bot.guard_timer.cancel()
        guard = GUARDS[bot.status or ""]

        async def fire() -> None:
            bot.guard_timer = None
            if lc.is_legal(bot.status, guard.status) and not bot.ended:
                self._drop_plan(bot)
                self._apply(bot, guard.status, **guard.data)

        bot.guard_timer = self.clock.call_at(due, fire, f"bot {bot.uuid} timeout")

    def rearm_silence(self, bot: Bot) -> None:
        """A loaded world's silence timeout (state.py)."""
        self._silence_guard(bot)

    def _silence_guard(self, bot: Bot) -> None:
        """automatic_leave.silence_timeout: a call that stays silent that long while
        recording ends (`no_speaker`). Silence is what the scenario says (`silent_from`:
        seconds into the recording after which nobody speaks); recording time counts,
        paused time does not."""
        if bot.silence_timer is not None:
            bot.silence_timer.cancel()
            bot.silence_timer = None
        silent_from = bot.scenario.silent_from_ms
        if silent_from is None or bot.status not in lc.RECORDING_STATES:
            return
        recorded = bot.recorded_until(self.clock.now())
        due_in = max(0, silent_from + bot.timeout("silence_timeout") * 1000 - recorded)

        async def fire() -> None:
            bot.silence_timer = None
            if lc.is_legal(bot.status, lc.CALL_ENDED) and not bot.ended:
                self._drop_plan(bot)
                self._apply(bot, lc.CALL_ENDED, end_reason="no_speaker")

        bot.silence_timer = self.clock.call_later(
            due_in / 1000, fire, f"bot {bot.uuid} silence timeout"
        )

    def push(self, uuid: str, status: str, /, **data: Any) -> Bot:
        """A transition asked for from outside the scenario (the control API, whose
        body is `status` plus `data`: any field name, checked here).

        The scenario resumes after its first remaining step with the same status (the
        next step's `after` counts from the push), or is dropped when it has none: the
        caller now drives this bot. A refused push (4xx) changes nothing.
        """
        if not isinstance(status, str) or status not in PUSHABLE:
            raise bad_input(
                "status",
                f"unknown status or action {status!r}; " + one_of(str(status), PUSHABLE),
            )
        status = lc.ACTIONS.get(status, status)
        unknown = set(data) - set(lc.STEP_DATA)
        if unknown:
            raise bad_input(sorted(unknown)[0], "unknown field")
        kinds = {"error_type": lc.ERROR_TYPES, "end_reason": lc.END_REASONS}
        for name, value in data.items():
            if value is None:
                continue
            if not isinstance(value, str) or not value:
                raise bad_input(name, "must be a non-empty string")
            if name in kinds and value not in kinds[name]:
                raise bad_input(
                    name, f"one of {', '.join(kinds[name])}{did_you_mean(value, kinds[name])}"
                )
        misplaced = lc.misplaced_data(status, data)
        if misplaced is not None:
            raise bad_input(*misplaced)
        bot = self.find(uuid)
        allowed = self.allowed_pushes(bot)
        if status not in allowed:
            state = bot.status or "not joined yet"
            if bot.ended:
                state += f", ended ({bot.outcome or 'processing'})"
            raise conflict(
                f"bot {uuid} is {state}; {status} is not a legal next state "
                f"(allowed: {', '.join(allowed) or 'none'})"
            )
        start = bot.plan_index
        self._drop_plan(bot)
        follow = next(
            (i for i in range(start, len(bot.plan)) if bot.plan[i].status == status), None
        )
        if follow is not None:
            data = bot.plan[follow].data | {k: v for k, v in data.items() if v is not None}
            bot.plan_index = follow + 1
        if status == lc.JOINING_CALL:
            bot.join_ms = self.clock.now()
        self._apply(bot, status, **data)
        self._schedule_step(bot)
        return bot

    def allowed_pushes(self, bot: Bot) -> list[str]:
        """What the control API may push now: LEGAL moves of a live bot. A bot that has
        not joined yet may only be made to join (DELETE /bots/{uuid} cancels it)."""
        if bot.ended:
            return []
        if bot.status is None:
            return [lc.JOINING_CALL]
        return sorted(lc.LEGAL[bot.status])

    def _apply(
        self,
        bot: Bot,
        status: str,
        error_type: str | None = None,
        error_message: str | None = None,
        end_reason: str | None = None,
    ) -> None:
        """Move the bot to `status`: `lifecycle.settle` decides what follows, this applies it."""
        self._settle(bot, lc.enter(status, error_type, error_message, end_reason))

    def _settle(self, bot: Bot, event: lc.Event) -> None:
        recorded = bot.recording_started is not None
        for effect in lc.settle_at(bot.status, recorded, bot.ended, bot.outcome, event).effects:
            if isinstance(effect, lc.Entered):
                self._enter(bot, effect.status, effect.data)
            elif isinstance(effect, lc.ArmGuard):
                self.arm_guard(bot, self.clock.now() + bot.timeout(effect.guard.setting) * 1000)
            elif isinstance(effect, lc.StopGuard):
                if bot.guard_timer is not None:
                    bot.guard_timer.cancel()
                    bot.guard_timer = None
            elif isinstance(effect, lc.Ended):
                bot.end_reason = effect.end_reason
                bot.ended_ms = self.clock.now()
                self._drop_plan(bot)
            elif isinstance(effect, lc.Fail):
                if effect.error_message:
                    bot.error_message = effect.error_message
                self._fail(bot, effect.error_type)
            elif isinstance(effect, lc.Process):
                self.arm_complete(bot, self.clock.now() + bot.scenario.processing_ms)
            else:
                self._complete(bot)

    def _enter(self, bot: Bot, status: str, data: dict[str, str]) -> None:
        """The bot is in `status` now: its times, history, webhook and listeners."""
        now = self.clock.now()
        entry: dict[str, Any] = {"code": status, "created_at": now}
        if status in lc.RECORDING_STATES:
            if bot.recording_since is None:
                bot.recording_since = now
            if bot.recording_started is None:
                bot.recording_started = now
            if status == lc.IN_CALL_RECORDING:
                entry["start_time"] = now
        elif bot.recording_since is not None:
            bot.recorded_ms += now - bot.recording_since
            bot.recording_since = None
        entry.update(data)
        bot.status = status
        if status in lc.IN_CALL_STATES:
            bot.joined_ms = now if bot.joined_ms is None else bot.joined_ms
        elif bot.joined_ms is not None and bot.exited_ms is None:
            bot.exited_ms = now
        if bot.silence_timer is not None or bot.scenario.silent_from_ms is not None:
            self._silence_guard(bot)
        bot.history.append(entry)
        self._send_status(bot, entry)
        for listener in self.listeners:
            listener(bot, status)
        if status in lc.SCREENSHOT_STATES:
            bot.screenshots.append(now)

    def arm_complete(self, bot: Bot, due: int) -> None:
        """The end of processing after call_ended: `complete` at `due`."""

        async def complete() -> None:
            bot.complete_timer = None
            self._settle(bot, PROCESSED)

        bot.complete_timer = self.clock.call_at(due, complete, f"bot {bot.uuid} complete")

    def _fail(self, bot: Bot, error_type: str) -> None:
        if bot.ended_ms is None:
            bot.ended_ms = self.clock.now()
        bot.outcome = "failed"
        bot.error_type = error_type
        bot.error_message = bot.error_message or lc.ERROR_MESSAGES[error_type]
        self._drop_plan(bot)  # _apply already stopped the guard: no failure status arms one
        error = ec.failed_error(error_type, bot.extra, bot.scenario.error_vocabulary)
        data = {
            "bot_id": bot.uuid,
            "event_uuid": bot.params.event_uuid,  # event_uuid and extra: the 2026 reference
            "error": error,
            "message": bot.error_message,
            "extra": bot.extra,
        }
        self.outbox.send(bot.account, "failed", data, url=bot.webhook_url, subject=bot.uuid)

    def _complete(self, bot: Bot) -> None:
        bot.outcome = "complete"
        if bot.wants_transcript and not bot.data_deleted:
            self._transcribe(bot, bot.seed)
        data: dict[str, Any] = {
            "bot_id": bot.uuid,
            "event_uuid": bot.params.event_uuid,  # event_uuid, audio, extra: the 2026 reference
            # data deleted while processing: still well-formed links, which answer 404
            "mp4": self.signed_url(bot, bot.recording_name),
            "audio": self.signed_url(bot, files.AUDIO),
            "speakers": list(bot.speakers),
        }
        if bot.wants_transcript:
            data["transcript"] = self.deferred_transcript(bot)
        data["event"] = "complete"  # as every webhook reference page shows it (README)
        data["extra"] = bot.extra
        self.outbox.send(bot.account, "complete", data, url=bot.webhook_url, subject=bot.uuid)

    def _transcribe(self, bot: Bot, seed: int) -> None:
        """Speakers and a transcript of what was recorded (`seed` varies the words)."""
        bot.speakers = tx.speakers_for(bot.seed, bot.scenario.speakers)
        bot.transcript_seed = seed

    def deferred_transcript(self, bot: Bot) -> Deferred:
        """The transcript as it stands now, rendered only when a webhook body is written
        (10,000 pending `complete` events hold no transcript text)."""
        if bot.transcript_seed is None:
            return Deferred(lambda: b"[]", [])
        args = (bot.transcript_seed, bot.recorded_ms / 1000, list(bot.speakers))
        return Deferred(partial(tx.render, *args, bot.scenario.transcript), [])

    def transcript(self, bot: Bot) -> list[dict[str, Any]]:
        """The bot's transcript segments, generated from its seed when read (the last
        few are cached: a `complete` webhook and the reads that follow it)."""
        if bot.transcript_seed is None:
            return []
        key = (bot.uuid, bot.transcript_seed)
        segments = self._transcript_cache.get(key)
        if segments is None:
            segments = tx.generate(
                bot.transcript_seed, bot.recorded_ms / 1000, bot.speakers, bot.scenario.transcript
            )
            self._transcript_cache[key] = segments
            if len(self._transcript_cache) > TRANSCRIPT_CACHE:
                self._transcript_cache.popitem(last=False)
        return segments

    def _send_status(self, bot: Bot, entry: dict[str, Any]) -> None:
        self.outbox.send(
            bot.account,
            "bot.status_change",
            {"bot_id": bot.uuid, "status": views.rendered(entry)},
            url=bot.webhook_url,
            subject=bot.uuid,
        )

    # -- what a bot produced ------------------------------------------------------------
    def media_path(self, bot: Bot, name: str) -> str:
        return f"{MEDIA_PREFIX}/{bot.uuid}/{name}"

    def signed_url(self, bot: Bot, name: str) -> str:
        path = self.media_path(bot, name)
        expires = self.clock.now() + self.link_ttl_ms
        signature = self.signer.sign(path, expires)
        return f"{self.public_url}{path}?X-Amz-Expires={expires}&X-Amz-Signature={signature}"

    def recording_url(self, bot: Bot) -> str | None:
        if bot.outcome != "complete" or bot.data_deleted:
            return None
        return self.signed_url(bot, bot.recording_name)

    def screenshot_list(self, account: Account, uuid: str) -> list[dict[str, str]]:
        bot = self.get(account, uuid)
        if bot.data_deleted:
            return []
        return [
            {"date": iso(at), "url": self.signed_url(bot, f"screenshot-{n}.png")}
            for n, at in enumerate(bot.screenshots)
        ]

    def media(self, uuid: str, name: str, expires: int, signature: str) -> tuple[Bot, int | None]:
        """The bot and screenshot index behind a signed link, or why it cannot be served."""
        bot = self.bots.get(uuid)
        if bot is None or bot.data_deleted:
            raise not_found("media", name)
        if not self.signer.verify(self.media_path(bot, name), expires, signature):
            raise MockError("forbidden", "the signature of this link does not match")
        if self.clock.now() > expires:
            raise MockError(
                "forbidden", f"this link has expired (links last {_duration(self.link_ttl_ms)})"
            )
        if (name == bot.recording_name or name in files.EXTRA_FILES) and bot.outcome == "complete":
            return bot, None
        if name.startswith("screenshot-") and name.endswith(".png"):
            index = name[len("screenshot-") : -len(".png")]
            if index.isdigit() and int(index) < len(bot.screenshots):
                return bot, int(index)
        raise not_found("media", name)

    # -- reads ----------------------------------------------------------------------------
    def transcript_rows(self, bot: Bot) -> Deferred:
        """meeting_data's `transcripts` as JSON text, built once per transcript: a client
        polling a finished bot reads the same bytes again (building the rows of a
        half-hour meeting took ~0.3 ms of Python per read). The last few are kept."""
        if bot.transcript_seed is None:
            return Deferred(lambda: b"[]", [])
        key = (bot.uuid, bot.transcript_seed)
        rows = self._rows_cache.get(key)
        if rows is None:
            rows = dumps(views.transcripts(bot, self.transcript(bot)))
            self._rows_cache[key] = rows
            if len(self._rows_cache) > ROWS_CACHE:
                self._rows_cache.popitem(last=False)
        else:
            self._rows_cache.move_to_end(key)
        return Deferred(lambda: rows, [])

    def meeting_data(
        self, account: Account, uuid: str, include_transcripts: bool, counted: bool = True
    ) -> dict[str, Any]:
        """`counted`: a read of the data (GET), which the bot's access count records; a
        look at its headers (HEAD) is not one."""
        bot = self.get(account, uuid)
        if counted:
            bot.access_count += 1
            bot.last_accessed_ms = self.clock.now()
        transcripts: Any = []
        if include_transcripts and not bot.data_deleted:
            transcripts = self.transcript_rows(bot)
        mp4 = self.recording_url(bot)
        recorded = mp4 is not None
        return {
            "bot_data": {
                "bot": views.bot_with_params(bot),
                "event_uuid": bot.params.event_uuid,
                "transcripts": transcripts,
            },
            "duration": bot.recorded_until(self.clock.now()) // 1000,
            "mp4": mp4 or "",
            **{
                key: self.signed_url(bot, name) if recorded and name else ""
                for key, name in files.FIELDS.items()
            },
        }

    def list_bots(self, account: Account, query: listing.BotQuery) -> dict[str, Any]:
        """bots_with_metadata (listing.py)."""
        page, cursor = listing.page(self.by_account.get(account.number, []), query)
        return {
            "bots": [views.recent_entry(b, self.clock.now()) for b in page],
            "last_updated": self.clock.now_iso(),
            "next_cursor": cursor,
        }

    # -- writes on recorded data ----------------------------------------------------------
    def delete_data(self, account: Account, uuid: str) -> str:
        wait = account.take("delete_data", self.clock.now(), DELETE_DATA_PER_MINUTE)
        if wait is not None:
            raise MockError(
                "rate_limited",
                f"delete_data is limited to {DELETE_DATA_PER_MINUTE} requests a minute per "
                f"API key; retry in {wait} s",
                retry_after=wait,
            )
        bot = self.get(account, uuid)
        if bot.data_deleted:
            return "alreadyDeleted"
        if bot.recording_started is None and bot.outcome != "complete":
            return "noDataFound"
        bot.data_deleted = True
        bot.transcript_seed = None
        bot.speakers = []
        bot.screenshots = []
        return "deleted" if bot.ended else "partiallyDeleted"

    def retranscribe(
        self, account: Account, uuid: str, speech_to_text: Any, webhook_url: str | None
    ) -> Bot:
        bot = self.get(account, uuid)
        if bot.outcome != "complete" or bot.data_deleted:
            raise not_found("recording of bot", uuid)
        bot.retranscriptions += 1
        job = Retranscription(
            self.clock.now() + RETRANSCRIBE_MS, bot.retranscriptions, speech_to_text, webhook_url
        )
        bot.retranscriptions_due.append(job)
        self.arm_retranscription(bot, job)
        return bot

    def arm_retranscription(self, bot: Bot, job: Retranscription) -> None:
        async def done() -> None:
            job.timer = None
            bot.retranscriptions_due.remove(job)
            if bot.data_deleted:
                return
            if job.speech_to_text or not bot.wants_transcript:
                provider = job.speech_to_text or {"provider": "Default"}
                bot.params = bot.params.but(speech_to_text=SpeechToText.read(provider))
            self._transcribe(bot, bot.seed + job.attempt * 7919)
            self.outbox.send(
                bot.account,
                "transcription_complete",
                {"bot_id": bot.uuid},
                url=job.webhook_url or bot.webhook_url,
                subject=bot.uuid,
            )

        job.timer = self.clock.call_at(job.due, done, f"bot {bot.uuid} retranscribe")

    # -- control view -----------------------------------------------------------------------
    def describe(self, bot: Bot) -> dict[str, Any]:
        return views.describe(bot, self.clock.now(), self.allowed_pushes(bot))


def _duration(ms: int) -> str:
    """7200000 -> "2 hours", 90000 -> "90 seconds": how long links last, in words."""
    seconds = ms / 1000
    if seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{seconds:g} seconds"
