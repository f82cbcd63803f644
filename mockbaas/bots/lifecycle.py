"""The bot's whole life as data: codes, legal moves, what each status arms, sends and
ends in, and `settle`, the pure function that says what an event does to a bot.

Shared by the engine (which applies what `settle` returns and checks the control API's
pushes with `LEGAL`) and the scenario loader (which replays a file's steps through
`LEGAL` before accepting it). Nothing here knows the clock, the bot object or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit


class Status(StrEnum):
    """The documented status codes (plain strings on the wire and in saved worlds)."""

    JOINING_CALL = "joining_call"
    IN_WAITING_ROOM = "in_waiting_room"
    IN_CALL_NOT_RECORDING = "in_call_not_recording"
    IN_CALL_RECORDING = "in_call_recording"
    RECORDING_PAUSED = "recording_paused"
    RECORDING_RESUMED = "recording_resumed"
    CALL_ENDED = "call_ended"
    BOT_REJECTED = "bot_rejected"
    BOT_REMOVED = "bot_removed"
    WAITING_ROOM_TIMEOUT = "waiting_room_timeout"
    INVALID_MEETING_URL = "invalid_meeting_url"
    MEETING_ERROR = "meeting_error"


JOINING_CALL = Status.JOINING_CALL
IN_WAITING_ROOM = Status.IN_WAITING_ROOM
IN_CALL_NOT_RECORDING = Status.IN_CALL_NOT_RECORDING
IN_CALL_RECORDING = Status.IN_CALL_RECORDING
RECORDING_PAUSED = Status.RECORDING_PAUSED
RECORDING_RESUMED = Status.RECORDING_RESUMED
CALL_ENDED = Status.CALL_ENDED
BOT_REJECTED = Status.BOT_REJECTED
BOT_REMOVED = Status.BOT_REMOVED
WAITING_ROOM_TIMEOUT = Status.WAITING_ROOM_TIMEOUT
INVALID_MEETING_URL = Status.INVALID_MEETING_URL
MEETING_ERROR = Status.MEETING_ERROR

STATUS_CODES = tuple(Status)

ERROR_TYPES = (
    "CannotJoinMeeting",
    "TimeoutWaitingToStart",
    "BotNotAccepted",
    "BotRemoved",
    "InternalError",
    "InvalidMeetingUrl",
)

END_REASONS = (
    "bot_removed",
    "no_attendees",
    "no_speaker",
    "recording_timeout",
    "api_request",
    "meeting_error",
)

#: The human text of each error type, from the docs' error table.
ERROR_MESSAGES = {
    "CannotJoinMeeting": "The bot could not join the meeting URL provided.",
    "TimeoutWaitingToStart": "The bot has quit after waiting to be accepted.",
    "BotNotAccepted": "The bot has been refused in the meeting.",
    "BotRemoved": "The bot was removed from the meeting by a participant.",
    "InternalError": "An unexpected error occurred.",
    "InvalidMeetingUrl": "The meeting URL provided is not a valid (Zoom, Meet, Teams) URL.",
}

_IN_CALL_EXITS = {BOT_REMOVED, MEETING_ERROR, CALL_ENDED}

#: status -> the statuses that may follow it. `None` is a bot that has not joined yet.
LEGAL: dict[str | None, frozenset[str]] = {
    # a bot that never joined can still be told to leave (DELETE /bots/{uuid})
    None: frozenset({JOINING_CALL, CALL_ENDED}),
    JOINING_CALL: frozenset(
        {
            IN_WAITING_ROOM,
            IN_CALL_NOT_RECORDING,
            BOT_REJECTED,
            INVALID_MEETING_URL,
            MEETING_ERROR,
            CALL_ENDED,
        }
    ),
    IN_WAITING_ROOM: frozenset(
        {IN_CALL_NOT_RECORDING, BOT_REJECTED, WAITING_ROOM_TIMEOUT, MEETING_ERROR, CALL_ENDED}
    ),
    IN_CALL_NOT_RECORDING: frozenset({IN_CALL_RECORDING} | _IN_CALL_EXITS),
    IN_CALL_RECORDING: frozenset({RECORDING_PAUSED} | _IN_CALL_EXITS),
    RECORDING_PAUSED: frozenset({RECORDING_RESUMED} | _IN_CALL_EXITS),
    RECORDING_RESUMED: frozenset({RECORDING_PAUSED} | _IN_CALL_EXITS),
    # after a removal or an error the bot only leaves (when it had recorded something)
    BOT_REMOVED: frozenset({CALL_ENDED}),
    MEETING_ERROR: frozenset({CALL_ENDED}),
    CALL_ENDED: frozenset(),
    BOT_REJECTED: frozenset(),
    WAITING_ROOM_TIMEOUT: frozenset(),
    INVALID_MEETING_URL: frozenset(),
}

#: Failure statuses that end the bot with a `failed` event, and their error type.
FAILURE_ERRORS: dict[str, str] = {
    BOT_REJECTED: "BotNotAccepted",
    WAITING_ROOM_TIMEOUT: "TimeoutWaitingToStart",
    INVALID_MEETING_URL: "InvalidMeetingUrl",
}

#: A call that ends before anything was recorded fails, by end reason. Other reasons
#: (api_request, no_speaker, recording_timeout) complete with the (empty) data so far.
UNRECORDED_FAILURES = {
    "no_attendees": "TimeoutWaitingToStart",
    "bot_removed": "BotRemoved",
    "meeting_error": "InternalError",
}

#: Optional data of a step (scenario file or control push) and the statuses it fits.
STEP_DATA = {
    "error_type": (MEETING_ERROR,),
    "error_message": (MEETING_ERROR,),
    "end_reason": (CALL_ENDED,),
}

#: Statuses after which the engine finishes the bot itself (a removal or an error goes on
#: to its own `call_ended` or `failed`), so nothing may follow them in a scenario.
ENDING_STATES = frozenset({BOT_REMOVED, MEETING_ERROR}).union(
    s for s, nxt in LEGAL.items() if s is not None and not nxt
)
RECORDING_STATES = frozenset({IN_CALL_RECORDING, RECORDING_RESUMED})
IN_CALL_STATES = frozenset(
    {IN_CALL_NOT_RECORDING, IN_CALL_RECORDING, RECORDING_PAUSED, RECORDING_RESUMED}
)

#: Names the control API accepts for pushing a transition, besides raw status codes.
ACTIONS = {
    "admit": IN_CALL_NOT_RECORDING,
    "start_recording": IN_CALL_RECORDING,
    "pause": RECORDING_PAUSED,
    "resume": RECORDING_RESUMED,
    "reject": BOT_REJECTED,
    "remove": BOT_REMOVED,
    "error": MEETING_ERROR,
    "end": CALL_ENDED,
    "timeout": WAITING_ROOM_TIMEOUT,
}


#: statuses in which the bot takes a screenshot on entering
SCREENSHOT_STATES = frozenset({IN_CALL_NOT_RECORDING, IN_CALL_RECORDING})
#: a removal or an error after recording started ends the call, with this end reason
ENDS_THE_CALL: dict[str, str] = {BOT_REMOVED: "bot_removed", MEETING_ERROR: "meeting_error"}
#: ... and before it, the bot fails with this error type (None: the step's own)
FAILS_UNRECORDED: dict[str, str | None] = {BOT_REMOVED: "BotRemoved", MEETING_ERROR: None}
DEFAULT_END_REASON = "no_attendees"


@dataclass(frozen=True, slots=True)
class Guard:
    """A timeout a status arms: after `automatic_leave.<setting>` seconds in it, the bot
    moves to `status` (with `data`), unless it left that status first."""

    setting: str
    status: str
    data: dict[str, Any] = field(default_factory=dict)


#: status -> the timeout entering it arms; entering any other status stops it
GUARDS: dict[str, Guard] = {
    IN_WAITING_ROOM: Guard("waiting_room_timeout", WAITING_ROOM_TIMEOUT),
    IN_CALL_NOT_RECORDING: Guard(
        "noone_joined_timeout", CALL_ENDED, {"end_reason": "no_attendees"}
    ),
}


# -- settle: an event in, the next state and its effects out ---------------------------------
@dataclass(frozen=True, slots=True)
class Life:
    """Where a bot stands, as far as its life's rules care."""

    status: str | None = None  # None: not joined yet
    recorded: bool = False  # recording started at least once
    ended: bool = False  # left the call (or never will join)
    outcome: str | None = None  # complete | failed: nothing happens after it


@dataclass(frozen=True, slots=True)
class Enter:
    """Event: the bot moves to `status` (a plan step, a push, a timeout, a DELETE)."""

    status: str
    error_type: str | None = None
    error_message: str | None = None
    end_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Processed:
    """Event: processing after call_ended is over."""


Event = Enter | Processed


@dataclass(frozen=True, slots=True)
class Entered:
    """Effect: the status is entered; its history entry and its `bot.status_change`
    webhook carry `data` (the error type and message, or the end reason, defaults
    filled in)."""

    status: str
    data: dict[str, str]


@dataclass(frozen=True, slots=True)
class ArmGuard:
    """Effect: start the status's timeout (replacing any other)."""

    guard: Guard


@dataclass(frozen=True, slots=True)
class StopGuard:
    """Effect: no timeout runs any more."""


@dataclass(frozen=True, slots=True)
class Ended:
    """Effect: the bot left the call (or gave up joining) with this end reason."""

    end_reason: str


@dataclass(frozen=True, slots=True)
class Fail:
    """Effect: the life ends with the `failed` webhook and this error (message: the
    type's own unless the step gave one)."""

    error_type: str
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class Process:
    """Effect: processing starts; `Processed` follows after the scenario's time."""


@dataclass(frozen=True, slots=True)
class Complete:
    """Effect: the life ends with the `complete` webhook and what was recorded."""


Effect = Entered | ArmGuard | StopGuard | Ended | Fail | Process | Complete


@dataclass(frozen=True, slots=True)
class Settled:
    life: Life
    effects: tuple[Effect, ...] = ()
    refused: bool = False  # not a legal move now: nothing happened


def settle(life: Life, event: Event) -> Settled:
    """What `event` does to a bot at `life`: its next life and the effects, in order.

    An illegal move (not in `LEGAL`, or anything once the bot ended) is refused and
    changes nothing; the engine checks legality first to say why.
    """
    if isinstance(event, Processed):
        if not life.ended or life.outcome is not None or life.status != CALL_ENDED:
            return Settled(life, refused=True)
        return Settled(Life(life.status, life.recorded, True, "complete"), (Complete(),))
    status = event.status
    if life.ended or not is_legal(life.status, status):
        return Settled(life, refused=True)
    data: dict[str, str] = {}
    if status == MEETING_ERROR:
        in_call = life.status in IN_CALL_STATES
        error_type = event.error_type or ("InternalError" if in_call else "CannotJoinMeeting")
        data["error_type"] = error_type
        data["error_message"] = event.error_message or ERROR_MESSAGES[error_type]
    if status == CALL_ENDED:
        data["end_reason"] = event.end_reason or DEFAULT_END_REASON
    recorded = life.recorded or status in RECORDING_STATES
    now = Life(status, recorded)
    effects: list[Effect] = [Entered(status, data)]
    guard = GUARDS.get(status)
    effects.append(StopGuard() if guard is None else ArmGuard(guard))
    if status in FAILURE_ERRORS:
        return _failed(now, effects, FAILURE_ERRORS[status])
    if status in ENDS_THE_CALL:
        if recorded:
            after = settle(now, Enter(CALL_ENDED, end_reason=ENDS_THE_CALL[status]))
            return Settled(after.life, (*effects, *after.effects))
        kind = FAILS_UNRECORDED[status] or data["error_type"]
        return _failed(now, effects, kind, event.error_message)
    if status == CALL_ENDED:
        reason = data["end_reason"]
        effects.append(Ended(reason))
        failure = UNRECORDED_FAILURES.get(reason)
        if not recorded and failure is not None:
            return _failed(Life(status, recorded, True), effects, failure)
        effects.append(Process())
        return Settled(Life(status, recorded, True), tuple(effects))
    return Settled(now, tuple(effects))


@lru_cache(maxsize=4096)
def enter(
    status: str,
    error_type: str | None = None,
    error_message: str | None = None,
    end_reason: str | None = None,
) -> Enter:
    """The `Enter` event, shared: a frozen dataclass costs a microsecond to build, and
    every status change of every bot makes one of a few dozen alike."""
    return Enter(status, error_type, error_message, end_reason)


@lru_cache(maxsize=4096)
def settle_at(
    status: str | None, recorded: bool, ended: bool, outcome: str | None, event: Event
) -> Settled:
    """`settle` for the life those four values make, remembered: bots live the same few
    lives, so after warm-up every status change finds its answer here (the `Settled` and
    its effects are shared: nothing may change them)."""
    return settle(Life(status, recorded, ended, outcome), event)


def _failed(life: Life, effects: list[Effect], kind: str, message: str | None = None) -> Settled:
    ended = Life(life.status, life.recorded, True, "failed")
    return Settled(ended, (*effects, Fail(kind, message)))


def is_legal(current: str | None, nxt: str) -> bool:
    return nxt in LEGAL.get(current, frozenset())


def misplaced_data(status: str, data: dict[str, Any]) -> tuple[str, str] | None:
    """The first step datum given with a status it does not fit, and why; None if all fit."""
    for name, applies_to in STEP_DATA.items():
        if data.get(name) is not None and status not in applies_to:
            return name, f"only applies to {' and '.join(applies_to)}"
    return None


@lru_cache(maxsize=4096)  # bots sent alike share a URL: parsed once
def platform_of(meeting_url: str) -> str | None:
    """`zoom`, `meet` or `teams` for a URL the real bots can join; None otherwise.

    An http(s) URL on a Zoom, Google Meet or Teams host (`teams.live.com` included, as
    the changelog says) that names a meeting: a bare host has no meeting to join.
    """
    try:
        parts = urlsplit(meeting_url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or not parts.path.strip("/"):
        return None
    if host == "zoom.us" or host.endswith(".zoom.us"):
        return "zoom"
    if host == "meet.google.com":
        return "meet"
    if host in ("teams.microsoft.com", "teams.live.com"):
        return "teams"
    return None
