"""The other files of a recording (2026 meeting_data fields): audio, participants and
speaker activity, served by the mock like the recording itself.

The audio is a short valid silent WAV (a stand-in, as the MP4 is); the JSON files are
derived from the bot's speakers and transcript, so they agree with what `complete` said.
"""

from __future__ import annotations

import io
import json
import wave
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from . import transcript as tx

if TYPE_CHECKING:
    from .models import Bot

AUDIO = "audio.wav"
PARTICIPANTS = "participants.json"
DIARIZATION = "speaker_diarization.json"
EXTRA_FILES = (AUDIO, PARTICIPANTS, DIARIZATION)

#: meeting_data field -> file name ("" for a file the mock never has)
FIELDS = {
    "audio": AUDIO,
    "meeting_participants_file": PARTICIPANTS,
    "speaker_diarization_file": DIARIZATION,
    "speaker_diarization_file_network": "",
}


@lru_cache(maxsize=1)
def silent_wav(seconds: int = 1, rate: int = 16_000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\x00\x00" * rate * seconds)
    return out.getvalue()


def _speakers(bot: Bot) -> list[str]:
    return bot.speakers or tx.speakers_for(bot.seed, bot.scenario.speakers)


def participants(bot: Bot) -> list[dict[str, Any]]:
    return [{"id": n + 1, "name": name} for n, name in enumerate(_speakers(bot))]


def diarization(bot: Bot, transcript: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Speaking on/off marks (milliseconds into the recording) from the transcript's word
    timing; empty without a transcript (nothing says who spoke when)."""
    ids = {p["name"]: p["id"] for p in participants(bot)}
    marks: list[dict[str, Any]] = []
    for segment in transcript:
        words = segment.get("words") or []
        if not words:
            continue
        speaker = segment["speaker"]
        for at, speaking in ((words[0]["start"], True), (words[-1]["end"], False)):
            marks.append(
                {
                    "id": ids.get(speaker, 0),
                    "isSpeaking": speaking,
                    "name": speaker,
                    "timestamp": int(round(at * 1000)),
                }
            )
    return marks


def file_bytes(bot: Bot, name: str, transcript: list[dict[str, Any]]) -> bytes:
    """`transcript`: the bot's segments as the engine generates them on read."""
    if name == AUDIO:
        return silent_wav()
    data = participants(bot) if name == PARTICIPANTS else diarization(bot, transcript)
    return json.dumps(data, separators=(",", ":")).encode()
