"""The meeting's audio: deterministic, speech-like 16-bit PCM that follows the transcript.

A user's VAD or speech pipeline must hear talk exactly where the transcript says there
is talk, so the signal is built from the words' timing: each word is a voiced sound (a
harmonic source near the speaker's pitch under a syllable-rate envelope), silence lies
between words. Pure Python: a word's waveform depends only on (pitch, variant, rate,
length), so templates built once per process from pitch periods and shared by every bot
cover every stream; a chunk is then a few byte-slice copies (the streaming bench
measures that it keeps pace).
"""

from __future__ import annotations

import bisect
import math
import random
import sys
from array import array
from dataclasses import dataclass
from functools import lru_cache

#: The documented `audio_frequency` values and their sample rates (v2 adds 32 and 48 kHz).
RATES = {"16khz": 16000, "24khz": 24000, "32khz": 32000, "48khz": 48000}
DEFAULT_FREQUENCY = "24khz"  # the docs' default
SAMPLE_BYTES = 2  # 16-bit little-endian, mono

#: Speaker pitches (Hz): low male to high female voices; a speaker keeps one all meeting.
PITCHES = (98, 110, 123, 131, 147, 165, 175, 196, 208, 220, 233, 247)
VARIANTS = 8
PEAK = 9000  # well above any VAD threshold, far from clipping
HARMONICS = (1.0, 0.55, 0.35, 0.22, 0.12, 0.07)
LEVELS = 32  # amplitude steps of the envelope


def rate_of(frequency: str | None) -> int:
    return RATES[frequency or DEFAULT_FREQUENCY]


def pcm_bytes(ms: int, rate: int) -> int:
    """Bytes of `ms` milliseconds of audio at `rate` (both rates are whole samples per ms)."""
    return ms * rate // 1000 * SAMPLE_BYTES


@lru_cache(maxsize=256)
def _periods(f0: int, rate: int) -> tuple[bytes, ...]:
    """One pitch period of the voiced source (a sum of harmonics), at every level."""
    period = max(2, round(rate / f0))
    base = [
        sum(amp * math.sin(2 * math.pi * h * i / period) for h, amp in enumerate(HARMONICS, 1))
        for i in range(period)
    ]
    gain = PEAK / max(abs(x) for x in base)
    out = []
    for level in range(LEVELS + 1):
        wave = array("h", (int(x * gain * level / LEVELS) for x in base))
        if sys.byteorder == "big":  # the wire format is little-endian
            wave.byteswap()
        out.append(wave.tobytes())
    return tuple(out)


@lru_cache(maxsize=1024)
def word_wave(pitch: int, variant: int, rate: int, samples: int) -> bytes:
    """One spoken word: pitch periods under a syllable envelope, faded in and out.

    Built from whole periods at quantised levels, so a word is a join of byte strings
    (no per-sample Python work): the first stream does not stall the event loop.
    """
    f0 = round(pitch * (1 + 0.05 * (variant % 3 - 1)))  # the variant moves the pitch a little
    periods = _periods(f0, rate)
    period = len(periods[0]) // SAMPLE_BYTES
    syllables = 1 + variant % 3
    fade = rate * 0.015
    parts = []
    at = 0
    while at < samples:
        t = (at + period / 2) / samples
        syllable = math.sin(math.pi * ((t * syllables) % 1.0)) ** 2
        edge = min(1.0, at / fade, max(0, samples - at - period) / fade)  # silent ends
        parts.append(periods[round(LEVELS * (0.2 + 0.8 * syllable) * edge)])
        at += period
    return b"".join(parts)[: samples * SAMPLE_BYTES]


@dataclass(frozen=True)
class Word:
    start: int  # first sample
    end: int  # one past the last sample
    pitch: int
    variant: int


class Synth:
    """The whole recording as PCM, rendered on demand: `render(a, n)` is samples
    [a, a+n) as bytes, the same bytes for the same words whatever the chunking."""

    def __init__(self, rate: int, words: list[Word]) -> None:
        self.rate = rate
        self.words = sorted(words, key=lambda w: w.start)
        self._starts = [w.start for w in self.words]
        self._longest = max((w.end - w.start for w in self.words), default=0)

    def render(self, start: int, count: int) -> bytes:
        end = start + count
        buf = bytearray(count * SAMPLE_BYTES)
        first = bisect.bisect_left(self._starts, start - self._longest)
        for word in self.words[first:]:
            if word.start >= end:
                break
            if word.end <= start:
                continue
            wave = word_wave(word.pitch, word.variant, self.rate, word.end - word.start)
            lo = max(start, word.start)
            hi = min(end, word.end)
            buf[(lo - start) * SAMPLE_BYTES : (hi - start) * SAMPLE_BYTES] = wave[
                (lo - word.start) * SAMPLE_BYTES : (hi - word.start) * SAMPLE_BYTES
            ]
        return bytes(buf)


def speaker_pitches(seed: int, speakers: list[str]) -> list[int]:
    """A distinct pitch per speaker (while there are enough), drawn from the bot's seed."""
    rng = random.Random(seed ^ 0xA0D10)
    pool = list(PITCHES)
    rng.shuffle(pool)
    return [pool[i % len(pool)] for i in range(len(speakers))]
