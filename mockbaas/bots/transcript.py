"""What a bot heard: speakers and a word-timed transcript, generated from a seed.

Faker gives plausible speaker names; sentences draw from the word list shipped in
`data/words.txt`. Both are drawn once per process into fixed pools (from a fixed seed).
A transcript is rendered as JSON text from a layout: the seed picks one of `VARIANTS`
word-and-timing layouts for the recorded length, built once (then cached: 256 at most,
~60 KB each) with each segment's speaker left as a slot that the bot's names fill. So a
`complete` webhook costs tens of microseconds and no stored transcript, and 10,000 bots
ending together neither freeze the loop nor hold their transcripts in memory. Long
meetings are sampled (at most `MAX_SEGMENTS` segments) so payloads stay small. Reads
decode the same text: the webhook and the API can never disagree.
"""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path
from typing import Any

from faker import Faker

from ..contract.jsonio import dumps, loads

WORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "words.txt"

MAX_SEGMENTS = 120
WORD_MS = 320
GAP_MS = 40
POOL_SEED = 0x6D6F636B  # the pools are the same in every process
SENTENCE_POOL = 4096
NAME_POOL = 512
VARIANTS = 64  # layouts per (recorded length, number of speakers)
SPEAKER_SLOT = "\x00speaker\x00"  # never in a word: words come from data/words.txt

#: a sentence as word timings relative to its start: (start ms, end ms, word)
Template = tuple[tuple[int, int, str], ...]


def seeded_faker(seed: int) -> Faker:
    """A faker whose output depends on `seed` alone (bots here, calendars too)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


@lru_cache(maxsize=1)
def _name_faker() -> Faker:
    """One faker for speaker names, reseeded per bot: building one costs ~1 ms."""
    return Faker("en_US")


@lru_cache(maxsize=1)
def vocabulary() -> tuple[str, ...]:
    lines = WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(w for line in lines if not line.startswith("#") for w in line.split())


def sentence(rng: random.Random, count: int) -> str:
    words = rng.choices(vocabulary(), k=count)
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


@lru_cache(maxsize=1)
def _sentences() -> tuple[Template, ...]:
    rng = random.Random(POOL_SEED)
    pool = []
    for _ in range(SENTENCE_POOL):
        words = sentence(rng, rng.randint(4, 14)).split()
        starts = range(0, len(words) * (WORD_MS + GAP_MS), WORD_MS + GAP_MS)
        pool.append(tuple((at, at + WORD_MS, w) for at, w in zip(starts, words, strict=True)))
    return tuple(pool)


@lru_cache(maxsize=1)
def _names() -> tuple[str, ...]:
    fake = _name_faker()
    fake.seed_instance(POOL_SEED)
    names: dict[str, None] = {}
    while len(names) < NAME_POOL:
        names[fake.name()] = None
    return tuple(names)


def speakers_for(seed: int, given: list[str] | None = None) -> list[str]:
    if given:
        return list(given)
    rng = random.Random(seed)
    return rng.sample(_names(), rng.randint(2, 4))


def _words(text: str, offset: float) -> list[dict[str, Any]]:
    """Word timings in whole milliseconds (so every value prints with at most three
    decimals), each word `WORD_MS` long with `GAP_MS` of silence after it."""
    words = []
    at = round(offset * 1000)
    for word in text.split():
        end = at + WORD_MS
        words.append({"start": at / 1000, "end": end / 1000, "word": word})
        at = end + GAP_MS
    return words


def generate(
    seed: int,
    recorded_seconds: float,
    speakers: list[str],
    lines: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Segments shaped like the `complete` webhook's transcript (see `render`)."""
    segments: list[dict[str, Any]] = loads(render(seed, recorded_seconds, speakers, lines))
    return segments


def render(
    seed: int,
    recorded_seconds: float,
    speakers: list[str],
    lines: list[dict[str, Any]] | None = None,
) -> bytes:
    """The transcript as the compact JSON array the `complete` webhook carries.

    Only what was recorded is heard: a word that would end after `recorded_seconds` is
    dropped, fixed `lines` included, and so is a segment left without words.
    """
    if lines:
        return dumps(_scripted(lines, recorded_seconds))
    recorded_ms = round(recorded_seconds * 1000)
    if recorded_ms < 1000 or not speakers:
        return b"[]"
    chunks, slots = _layout(seed % VARIANTS, recorded_ms, len(speakers))
    names = [dumps(name) for name in speakers]
    parts = [chunks[0]]
    for index, slot in enumerate(slots, 1):
        parts += (names[slot], chunks[index])
    return b"".join(parts)


def _scripted(lines: list[dict[str, Any]], recorded_seconds: float) -> list[dict[str, Any]]:
    segments = []
    at = 1.0
    for line in lines:
        offset = round(float(line.get("at", at)), 3)
        words = _words(line["text"], offset)
        at = round(words[-1]["end"] + 0.5, 3)  # the script's own timing, heard or not
        heard = [w for w in words if w["end"] <= recorded_seconds]
        if heard:
            segments.append({"speaker": line["speaker"], "offset": offset, "words": heard})
    return segments


@lru_cache(maxsize=256)
def _layout(
    variant: int, recorded_ms: int, speakers: int
) -> tuple[tuple[bytes, ...], tuple[int, ...]]:
    """One layout as the JSON text around each segment's speaker, and which speaker (by
    index) goes between chunk i and i+1: everyone speaks once first, then at random."""
    rng = random.Random(variant * 1_000_003 + recorded_ms * 7 + speakers)
    pool = _sentences()
    recorded_seconds = recorded_ms / 1000
    budget = min(MAX_SEGMENTS, max(1, int(recorded_seconds // 12)))
    stride = recorded_seconds / budget
    segments = []
    slots = []
    for index in range(budget):
        offset = round(index * stride + rng.uniform(0.2, 1.0), 3)
        if offset >= recorded_seconds:
            break
        base = round(offset * 1000)
        words = [
            {"start": (base + start) / 1000, "end": (base + end) / 1000, "word": word}
            for start, end, word in pool[int(rng.random() * SENTENCE_POOL)]
            if base + end <= recorded_ms
        ]
        if words:
            slots.append(index if index < speakers else rng.randrange(speakers))
            segments.append({"speaker": SPEAKER_SLOT, "offset": offset, "words": words})
    return tuple(dumps(segments).split(dumps(SPEAKER_SLOT))), tuple(slots)
