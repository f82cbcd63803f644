"""What a bot is sent with, typed once, whichever way it is sent.

A v1 join (`JoinRequest`), a bot scheduled on a calendar event (`BotParam2`, changed by
`BotParam3`, stored as `BotParam`), a v2 bot and `mockbaas trigger` all become one
`BotParams` after the contract validated the request: the engine reads fields, never
wire keys. `views.py` renders it back (BotWithParams, a calendar event's BotParam);
`to_request` gives back the JoinRequest it was read from, key for key (absent stays
absent, null stays null), which is what a saved world stores. (Keys the contract lets a
nested object carry beyond its own, e.g. `streaming.foo`, mean nothing to the mock and
are not kept.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

DEFAULT_TIMEOUT_S = 600
#: 2026 join fields the mock stores and echoes (it contacts no Zoom URL)
ZOOM_TOKEN_FIELDS = (
    "zoom_access_token_url",
    "zoom_obf_token",
    "zoom_obf_token_url",
    "zoom_obf_token_user_id",
)
ZOOM_FIELDS = ("zoom_sdk_id", "zoom_sdk_pwd", *ZOOM_TOKEN_FIELDS)
LEAVE_FIELDS = ("noone_joined_timeout", "waiting_room_timeout", "silence_timeout")
STREAM_FIELDS = ("input", "output", "audio_frequency")
#: the engine's own keys in a saved bot's params (not part of any request)
EVENT_KEY, V2_KEY = "_event_uuid", "_v2"


#: every distinct set of given keys, kept once: bots sent alike share it
_GIVEN: dict[frozenset[str], frozenset[str]] = {}


def _shared(keys: frozenset[str]) -> frozenset[str]:
    return _GIVEN.setdefault(keys, keys)


def _emit(
    names: Iterable[str], values: Mapping[str, Any], given: frozenset[str] | None
) -> dict[str, Any]:
    """`names` in order: those given, or (built in code, `given` None) those set."""
    if given is None:
        return {n: values[n] for n in names if values[n] is not None}
    return {n: values[n] for n in names if n in given}


class SpeechToText(NamedTuple):
    """A transcription provider, given by name (`"Default"`) or as an object."""

    provider: str
    api_key: str | None = None
    by_name: bool = False  # spelled as a bare provider name
    key_given: bool = False  # the object named `api_key` (maybe null)

    @classmethod
    def read(cls, value: Any) -> SpeechToText | None:
        if value is None:
            return None
        if isinstance(value, str):
            return cls(value, by_name=True)
        return cls(value["provider"], value.get("api_key"), key_given="api_key" in value)

    def wire(self) -> Any:
        if self.by_name:
            return self.provider
        out: dict[str, Any] = {"provider": self.provider}
        if self.key_given or self.api_key is not None:
            out["api_key"] = self.api_key
        return out


class Streaming(NamedTuple):
    """Live audio: where the meeting's audio goes (`input`), what the bot plays (`output`)."""

    input: str | None = None
    output: str | None = None
    audio_frequency: str | None = None
    given: frozenset[str] | None = None

    @classmethod
    def read(cls, value: Mapping[str, Any] | None) -> Streaming | None:
        if value is None:
            return None
        return cls(**{k: value.get(k) for k in STREAM_FIELDS}, given=_shared(frozenset(value)))

    def wire(self) -> dict[str, Any]:
        return _emit(STREAM_FIELDS, self.as_dict(), self.given)

    def as_dict(self) -> dict[str, Any]:
        return {"input": self.input, "output": self.output, "audio_frequency": self.audio_frequency}


class AutomaticLeave(NamedTuple):
    """The leave timeouts, in seconds; None: the default (600)."""

    noone_joined_timeout: int | None = None
    waiting_room_timeout: int | None = None
    silence_timeout: int | None = None
    given: frozenset[str] | None = None

    @classmethod
    def read(cls, value: Mapping[str, Any] | None) -> AutomaticLeave | None:
        if value is None:
            return None
        return cls(**{k: value.get(k) for k in LEAVE_FIELDS}, given=_shared(frozenset(value)))

    def wire(self) -> dict[str, Any]:
        values = {k: getattr(self, k) for k in LEAVE_FIELDS}
        return _emit(LEAVE_FIELDS, values, self.given)


#: JoinRequest's fields, in the contract's order; those read as they are
REQUEST_FIELDS = (
    "meeting_url",
    "bot_name",
    "reserved",
    "start_time",
    "bot_image",
    "entry_message",
    "recording_mode",
    "speech_to_text",
    "transcription_custom_parameters",
    "streaming",
    "automatic_leave",
    "webhook_url",
    "deduplication_key",
    "extra",
    *ZOOM_FIELDS,
)
_TYPED: dict[str, Any] = {
    "speech_to_text": SpeechToText,
    "streaming": Streaming,
    "automatic_leave": AutomaticLeave,
}
_TYPED_AT = tuple((REQUEST_FIELDS.index(name), kind) for name, kind in _TYPED.items())
_RESERVED = REQUEST_FIELDS.index("reserved")
_REQUEST_NAMES = frozenset(REQUEST_FIELDS)
#: a body's keys, in order -> the request fields among them (bodies sent alike share it)
_GIVEN_BY_KEYS: dict[tuple[str, ...], frozenset[str]] = {}


def _given(keys: tuple[str, ...]) -> frozenset[str]:
    given = _GIVEN_BY_KEYS.get(keys)
    if given is None:
        given = _shared(frozenset(k for k in keys if k in _REQUEST_NAMES))
        if len(_GIVEN_BY_KEYS) < 1024:  # key orders are few; a fuzzer's are not kept
            _GIVEN_BY_KEYS[keys] = given
    return given


class BotParams(NamedTuple):
    """A bot's parameters. Immutable: a change (a retranscription's provider, v2 chat's
    extra) is a new object, so views cached per params object stay right.

    A named tuple, not a frozen dataclass: a frozen dataclass sets each of its 27 fields
    through `object.__setattr__`, which made building one ~10x slower (6 us of every
    POST /bots/ on the bench machine); a tuple is built in one C call. `given` takes
    part in equality: two params read from different keys are different requests."""

    meeting_url: str
    bot_name: str
    reserved: bool = False
    start_time: int | None = None  # ms epoch
    bot_image: str | None = None
    entry_message: str | None = None
    recording_mode: str | None = None
    speech_to_text: SpeechToText | None = None
    transcription_custom_parameters: dict[str, Any] | None = None
    streaming: Streaming | None = None
    automatic_leave: AutomaticLeave | None = None
    webhook_url: str | None = None
    deduplication_key: str | None = None
    extra: dict[str, Any] | None = None
    zoom_sdk_id: str | None = None
    zoom_sdk_pwd: str | None = None
    zoom_access_token_url: str | None = None
    zoom_obf_token: str | None = None
    zoom_obf_token_url: str | None = None
    zoom_obf_token_user_id: str | None = None
    #: the calendar event that scheduled the bot
    event_uuid: str | None = None
    #: a v2 bot's own request (v2/models.py reads it)
    v2: dict[str, Any] | None = None
    #: the request keys that were given (None: built in code, the non-null ones count)
    given: frozenset[str] | None = None

    # -- JoinRequest ---------------------------------------------------------------------
    @classmethod
    def from_request(cls, body: Mapping[str, Any]) -> BotParams:
        """A contract-valid JoinRequest (or a saved bot's params, with the engine's keys)."""
        # positional, in field order (every POST /bots/ comes through here)
        values = list(map(body.get, REQUEST_FIELDS))
        values[_RESERVED] = bool(values[_RESERVED])
        for index, kind in _TYPED_AT:
            if values[index] is not None:
                values[index] = kind.read(values[index])
        values += (body.get(EVENT_KEY), body.get(V2_KEY), _given(tuple(body)))
        return cls._make(values)

    def to_request(self) -> dict[str, Any]:
        """The JoinRequest these params were read from (built in code: the set fields)."""
        values: dict[str, Any] = {}
        for name in REQUEST_FIELDS:
            value = getattr(self, name)
            values[name] = value.wire() if name in _TYPED and value is not None else value
        if self.given is None and not self.reserved:
            values["reserved"] = None
        return _emit(REQUEST_FIELDS, values, self.given)

    def saved(self) -> dict[str, Any]:
        """The params as a saved world holds them: the request, and the engine's keys."""
        out = self.to_request()
        if self.event_uuid is not None:
            out[EVENT_KEY] = self.event_uuid
        if self.v2 is not None:
            out[V2_KEY] = self.v2
        return out

    def but(self, **changes: Any) -> BotParams:
        """A copy with `changes` set (and counted as given)."""
        given = None if self.given is None else self.given | set(changes)
        return self._replace(**changes, given=given)

    # -- what the engine asks --------------------------------------------------------------
    @property
    def wants_transcript(self) -> bool:
        return self.speech_to_text is not None

    @property
    def audio_only(self) -> bool:
        return self.recording_mode == "audio_only"

    def timeout(self, name: str) -> int:
        """An `automatic_leave` timeout in seconds (`name` of LEAVE_FIELDS)."""
        value = None if self.automatic_leave is None else getattr(self.automatic_leave, name)
        return DEFAULT_TIMEOUT_S if value is None else int(value)


# -- calendar events: BotParam2 / BotParam3 in, BotParam stored ----------------------------
#: BotParam's flat fields that are BotParams fields of the same name
CALENDAR_PLAIN = (
    "bot_image",
    "bot_name",
    "deduplication_key",
    "extra",
    "recording_mode",
    "transcription_custom_parameters",
    "webhook_url",
    *ZOOM_FIELDS,
)


def _calendar_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """The BotParams fields a calendar body (BotParam2/3, or a stored BotParam) names."""
    out: dict[str, Any] = {k: body[k] for k in CALENDAR_PLAIN if k in body}
    if "enter_message" in body:
        out["entry_message"] = body["enter_message"]
    if "speech_to_text" in body:
        out["speech_to_text"] = SpeechToText.read(body["speech_to_text"])
    elif "speech_to_text_provider" in body:  # a stored BotParam
        provider = body["speech_to_text_provider"]
        key = body.get("speech_to_text_api_key")
        out["speech_to_text"] = None if provider is None else SpeechToText(provider, key)
    return out


def _flat(body: Mapping[str, Any], keys: tuple[str, ...], prefix: str) -> dict[str, Any]:
    return {k: body.get(prefix + k) for k in keys}


def from_calendar(body: Mapping[str, Any]) -> BotParams:
    """A bot to schedule on an event (BotParam2), or one a saved world stored (BotParam)."""
    fields = _calendar_fields(body)
    fields["streaming"] = Streaming(**_flat(body, STREAM_FIELDS, "streaming_"))
    fields["automatic_leave"] = AutomaticLeave(**_flat(body, LEAVE_FIELDS, ""))
    return BotParams(meeting_url="", **fields)


def patch_calendar(params: BotParams, body: Mapping[str, Any]) -> BotParams:
    """BotParam3 over a scheduled bot: the fields it names replace, the rest are kept (a
    null bot_name keeps the name)."""
    fields = _calendar_fields(body)
    if fields.get("bot_name", "") is None:
        del fields["bot_name"]
    stream = {k: body["streaming_" + k] for k in STREAM_FIELDS if "streaming_" + k in body}
    if stream:
        fields["streaming"] = (params.streaming or Streaming())._replace(**stream)
    leave = {k: body[k] for k in LEAVE_FIELDS if k in body}
    if leave:
        fields["automatic_leave"] = (params.automatic_leave or AutomaticLeave())._replace(**leave)
    return params._replace(**fields)


def scheduled_join(
    params: BotParams, meeting_url: str, start_ms: int, event_uuid: str
) -> BotParams:
    """The bot a calendar event sends: reserved for the event's start, deduplicated by
    event unless a key was given; it streams only when a stream URL was given, and a
    zero timeout is the default one, as the service reads its stored BotParam."""
    stt = params.speech_to_text
    if stt is not None:  # as an object with its key
        stt = SpeechToText(stt.provider, stt.api_key, key_given=True)
    stream = params.streaming
    leave = params.automatic_leave
    leave_values = {k: getattr(leave, k) or None for k in LEAVE_FIELDS} if leave else {}
    return BotParams(
        meeting_url=meeting_url,
        bot_name=params.bot_name,
        reserved=True,
        start_time=start_ms,
        bot_image=params.bot_image,
        entry_message=params.entry_message,
        recording_mode=params.recording_mode,
        speech_to_text=stt,
        transcription_custom_parameters=params.transcription_custom_parameters or {},
        streaming=stream if stream and (stream.input or stream.output) else None,
        automatic_leave=AutomaticLeave(**leave_values) if any(leave_values.values()) else None,
        webhook_url=params.webhook_url or None,
        deduplication_key=params.deduplication_key or event_uuid,
        extra={} if params.extra is None else params.extra,
        zoom_sdk_id=params.zoom_sdk_id,
        zoom_sdk_pwd=params.zoom_sdk_pwd,
        zoom_access_token_url=params.zoom_access_token_url,
        zoom_obf_token=params.zoom_obf_token,
        zoom_obf_token_url=params.zoom_obf_token_url,
        zoom_obf_token_user_id=params.zoom_obf_token_user_id,
        event_uuid=event_uuid,
    )
