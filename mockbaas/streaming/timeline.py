"""Who speaks when in a streamed meeting: the words and turns behind the audio and the
diarization messages, computed from (bot seed, scenario, recording length) alone.

The final transcript is generated at completion for the length actually recorded
(`bots/transcript.py`); a live stream needs it from the first second. So the stream uses
the transcript generated the same way for the *planned* length: what the scenario's
remaining steps will record from the moment recording starts. When the recording then
lasts as planned (the bot follows its scenario), the streamed words, turns and speakers
are exactly those of the final transcript; fixed scenario transcripts match whatever the
length (their timing is absolute). A scenario without an end (`until_removed`) or a bot
taken off its plan (DELETE, a pushed transition) streams the planned meeting: each word
it streamed is heard where it was planned, and the final transcript, generated for the
actual length, may place its words differently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..bots import lifecycle as lc
from ..bots import transcript as tx
from ..bots.models import Bot

#: An endless scenario is streamed as consecutive planned meetings of this length.
BLOCK_MS = 30 * 60 * 1000
ENDINGS = frozenset(lc.STATUS_CODES) - lc.IN_CALL_STATES - {lc.JOINING_CALL, lc.IN_WAITING_ROOM}


@dataclass(frozen=True)
class Turn:
    speaker: int  # index into the speakers
    start_ms: int  # recording offset of its first word
    end_ms: int  # recording offset where its last word ends
    words: tuple[tuple[int, int], ...]  # (start_ms, end_ms) of each word


def planned_ms(bot: Bot) -> int | None:
    """What the bot will have recorded when its scenario ends, read at the moment it
    (re)starts recording; None when the plan never stops recording."""
    recorded = bot.recorded_ms
    state = bot.status
    for step in bot.plan[bot.plan_index :]:
        if state in lc.RECORDING_STATES:
            recorded += step.after_ms
        state = step.status
        if state in ENDINGS:
            return recorded
    return None if state in lc.RECORDING_STATES else recorded


def speakers_of(bot: Bot) -> list[str]:
    """The speakers the final transcript names (same seed, same scenario)."""
    return tx.speakers_for(bot.seed, bot.scenario.speakers)


def turns_for(bot: Bot, planned: int | None) -> list[Turn]:
    """The planned meeting's turns, in order (see the module's note on consistency)."""
    speakers = speakers_of(bot)
    index = {name: i for i, name in enumerate(speakers)}
    if planned is not None:
        blocks = [(0, planned, bot.seed)]
    else:  # endless: one planned meeting per block, as far as anyone will listen (a day)
        blocks = [(k * BLOCK_MS, BLOCK_MS, bot.seed + k) for k in range(48)]
    turns = []
    for base, length, seed in blocks:
        segments = tx.generate(seed, length / 1000, speakers, bot.scenario.transcript)
        for segment in segments:
            words = tuple(
                (base + round(w["start"] * 1000), base + round(w["end"] * 1000))
                for w in segment["words"]
            )
            if words:
                speaker = index.setdefault(segment["speaker"], len(index))
                turns.append(Turn(speaker, words[0][0], words[-1][1], words))
        if bot.scenario.transcript:
            break  # a fixed transcript is heard once
    turns.sort(key=lambda t: t.start_ms)
    return turns


def diarization(turns: list[Turn]) -> list[tuple[int, list[tuple[int, bool]]]]:
    """Speaker changes by recording offset: (offset_ms, [(speaker, is_speaking)])."""
    changes: dict[int, list[tuple[int, bool]]] = {}
    for turn in turns:
        changes.setdefault(turn.start_ms, []).append((turn.speaker, True))
        changes.setdefault(turn.end_ms, []).append((turn.speaker, False))
    return [(at, sorted(changes[at], key=lambda c: (c[1], c[0]))) for at in sorted(changes)]


def diarization_message(
    speakers: list[str], changes: list[tuple[int, bool]], timestamp_ms: int
) -> str:
    """The text frame: a JSON array with each speaker whose state changed, as the docs
    describe the speaker data (name, id, timestamp, speaking status)."""
    entries: list[dict[str, Any]] = [
        {
            "name": speakers[i] if i < len(speakers) else f"Speaker {i + 1}",
            "id": i + 1,
            "timestamp": timestamp_ms,
            "isSpeaking": speaking,
        }
        for i, speaking in changes
    ]
    return json.dumps(entries, separators=(",", ":"))
