"""A bot as the API shows it: BotWithParams, transcripts rows, listing rows, the control
view. Pure functions of a bot (and the time): the engine decides, these only render, and
their key order is part of the answer's bytes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..clock import iso, maybe_iso
from .params import ZOOM_TOKEN_FIELDS, AutomaticLeave, BotParams, SpeechToText, Streaming

if TYPE_CHECKING:
    from .models import Bot


def bot_with_params(bot: Bot) -> dict[str, Any]:
    """BotWithParams: built once per params object (meeting_data is the hot read), with
    the fields that change over the bot's life filled in on every call."""
    if bot.static_view is None or bot.static_view[0] is not bot.params:
        bot.static_view = (bot.params, _static_params(bot))
    view = dict(bot.static_view[1])
    view["bot_exited_at"] = maybe_iso(bot.exited_ms)
    view["bot_joined_at"] = maybe_iso(bot.joined_ms)
    view["ended_at"] = maybe_iso(bot.ended_ms)
    view["is_stopped"] = bot.ended
    view["errors"] = bot.error_type
    view["mp4_s3_path"] = "" if bot.data_deleted else f"{bot.uuid}/{bot.recording_name}"
    view["webhook_url"] = bot.params.webhook_url or bot.account.webhook_url or ""
    return view


def _static_params(bot: Bot) -> dict[str, Any]:
    """The fields only params decide; those `bot_with_params` fills in are here too,
    as placeholders that fix the key order (the bytes of the answer)."""
    p = bot.params
    streaming = p.streaming or Streaming()
    leave = p.automatic_leave or AutomaticLeave()
    return {
        "account_id": bot.account.number,
        "bot_exited_at": None,
        "bot_image": p.bot_image,
        "bot_joined_at": None,
        "bot_name": p.bot_name,
        "bot_param_id": bot.id,
        "created_at": iso(bot.created_ms),
        "deduplication_key": p.deduplication_key,
        "diarization_fails": None,
        "diarization_v2": False,
        "ended_at": None,
        "enter_message": p.entry_message,
        "errors": None,
        "event_id": None,
        "extra": bot.extra,
        "id": bot.id,
        "is_stopped": False,
        "meeting_url": p.meeting_url,
        "mp4_s3_path": "",
        "noone_joined_timeout": leave.noone_joined_timeout,
        "recording_mode": p.recording_mode,
        "reserved": p.reserved,
        "scheduled_bot_id": None,
        "session_id": None,
        "silence_timeout": leave.silence_timeout,
        **_speech_to_text_fields(p.speech_to_text),
        "streaming_audio_frequency": streaming.audio_frequency,
        "streaming_input": streaming.input,
        "streaming_output": streaming.output,
        "transcription_custom_parameters": p.transcription_custom_parameters or {},
        "transcription_fails": None,
        "transcription_payloads": None,
        "user_reported_error": None,
        "uuid": bot.uuid,
        "waiting_room_timeout": leave.waiting_room_timeout,
        "webhook_url": "",
        **{k: getattr(p, k) for k in ZOOM_TOKEN_FIELDS},
        "zoom_sdk_id": p.zoom_sdk_id,
        "zoom_sdk_pwd": p.zoom_sdk_pwd,
    }


def scheduled_bot_param(p: BotParams) -> dict[str, Any]:
    """A calendar event's bot as the API shows it (BotParam): flat, keys in order, and
    an unset extra, custom parameters or webhook URL as {} / {} / ""."""
    streaming = p.streaming or Streaming()
    leave = p.automatic_leave or AutomaticLeave()
    return {
        "bot_image": p.bot_image,
        "bot_name": p.bot_name,
        "deduplication_key": p.deduplication_key,
        "enter_message": p.entry_message,
        "extra": {} if p.extra is None else p.extra,
        "noone_joined_timeout": leave.noone_joined_timeout,
        "recording_mode": p.recording_mode,
        "silence_timeout": leave.silence_timeout,
        **_speech_to_text_fields(p.speech_to_text),
        "streaming_audio_frequency": streaming.audio_frequency,
        "streaming_input": streaming.input,
        "streaming_output": streaming.output,
        "transcription_custom_parameters": (
            {} if p.transcription_custom_parameters is None else p.transcription_custom_parameters
        ),
        "waiting_room_timeout": leave.waiting_room_timeout,
        "webhook_url": p.webhook_url or "",
        **{k: getattr(p, k) for k in ZOOM_TOKEN_FIELDS},
        "zoom_sdk_id": p.zoom_sdk_id,
        "zoom_sdk_pwd": p.zoom_sdk_pwd,
    }


def transcripts(bot: Bot, segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """meeting_data's transcripts: the generated segments as the API's rows."""
    out = []
    word_id = 0
    for index, segment in enumerate(segments, start=1):
        words = []
        for word in segment["words"]:
            word_id += 1
            words.append(
                {
                    "bot_id": bot.id,
                    "id": word_id,
                    "start_time": word["start"],
                    "end_time": word["end"],
                    "text": word["word"],
                    "user_id": None,
                }
            )
        out.append(
            {
                "bot_id": bot.id,
                "id": index,
                "speaker": segment["speaker"],
                "start_time": segment["offset"],
                "end_time": words[-1]["end_time"] if words else segment["offset"],
                "lang": "en",
                "user_id": None,
                "words": words,
            }
        )
    return out


def recent_entry(bot: Bot, now: int) -> dict[str, Any]:
    """A bots_with_metadata row."""
    return {
        "access_count": bot.access_count,
        "bot_name": bot.params.bot_name,
        "created_at": iso(bot.created_ms),
        "duration": bot.recorded_until(now) // 1000,
        "ended_at": maybe_iso(bot.ended_ms),
        "extra": bot.extra,
        "id": bot.id,
        "last_accessed_at": maybe_iso(bot.last_accessed_ms),
        "meeting_url": bot.meeting_url,
        "session_id": None,
        "speakers": list(bot.speakers),
        "uuid": bot.uuid,
    }


def describe(bot: Bot, now: int, allowed_next: list[str]) -> dict[str, Any]:
    """The control API's view of a bot: its state, history and pending timers."""
    pending = []
    if bot.step_timer is not None and not bot.step_timer.cancelled:
        pending.append({"status": bot.plan[bot.plan_index].status, "due": iso(bot.step_timer.due)})
    if bot.guard_timer is not None and not bot.guard_timer.cancelled:
        pending.append({"status": "timeout", "due": iso(bot.guard_timer.due)})
    if bot.silence_timer is not None and not bot.silence_timer.cancelled:
        pending.append({"status": "silence_timeout", "due": iso(bot.silence_timer.due)})
    return {
        "bot_id": bot.uuid,
        "account_id": bot.account.number,
        "scenario": bot.scenario.name,
        "status": bot.status,
        "outcome": bot.outcome,
        "error_type": bot.error_type,
        "end_reason": bot.end_reason,
        "created_at": iso(bot.created_ms),
        "join_at": iso(bot.join_ms),
        "ended_at": maybe_iso(bot.ended_ms),
        "recorded_seconds": bot.recorded_until(now) / 1000,
        "data_deleted": bot.data_deleted,
        "history": [rendered(e) for e in bot.history],
        "pending": pending,
        "allowed_next": allowed_next,
    }


def _speech_to_text_fields(stt: SpeechToText | None) -> dict[str, Any]:
    return {
        "speech_to_text_api_key": None if stt is None else stt.api_key,
        "speech_to_text_provider": None if stt is None else stt.provider,
    }


def rendered(entry: dict[str, Any]) -> dict[str, Any]:
    """A history entry as the API shows it: its virtual times as ISO strings."""
    return {k: (iso(v) if k in ("created_at", "start_time") else v) for k, v in entry.items()}
