"""The bot state machine as the docs describe it: codes, legal moves, endings.

Pure data and rules, shared by the engine (which also checks the control API's pushes
with them) and the scenario loader (which replays a file's steps through `LEGAL` before
accepting it).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

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

STATUS_CODES = (
    JOINING_CALL,
    IN_WAITING_ROOM,
    IN_CALL_NOT_RECORDING,
    IN_CALL_RECORDING,
    RECORDING_PAUSED,
    RECORDING_RESUMED,
    CALL_ENDED,
    BOT_REJECTED,
    BOT_REMOVED,
    WAITING_ROOM_TIMEOUT,
    INVALID_MEETING_URL,
    MEETING_ERROR,
)

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
FAILURE_ERRORS = {
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


def is_legal(current: str | None, nxt: str) -> bool:
    return nxt in LEGAL.get(current, frozenset())


def misplaced_data(status: str, data: dict[str, Any]) -> tuple[str, str] | None:
    """The first step datum given with a status it does not fit, and why; None if all fit."""
    for name, applies_to in STEP_DATA.items():
        if data.get(name) is not None and status not in applies_to:
            return name, f"only applies to {' and '.join(applies_to)}"
    return None


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
