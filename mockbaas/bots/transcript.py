"""What a bot heard: speakers and a word-timed transcript, generated from a seed.

Faker gives plausible names and sentences; the seed makes them the same on every run.
Long meetings are sampled (at most `MAX_SEGMENTS` segments) so payloads stay small.
"""

from __future__ import annotations

import random
from typing import Any

from faker import Faker

MAX_SEGMENTS = 120
WORD_SECONDS = 0.32


def seeded_faker(seed: int) -> Faker:
    """A faker whose output depends on `seed` alone (bots here, calendars too)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


def speakers_for(seed: int, given: list[str] | None = None) -> list[str]:
    if given:
        return list(given)
    fake = seeded_faker(seed)
    count = random.Random(seed).randint(2, 4)
    names: list[str] = []
    while len(names) < count:
        name = fake.name()
        if name not in names:
            names.append(name)
    return names


def _words(text: str, offset: float) -> list[dict[str, Any]]:
    words = []
    at = offset
    for word in text.split():
        end = round(at + WORD_SECONDS, 3)
        words.append({"start": round(at, 3), "end": end, "word": word})
        at = end + 0.04
    return words


def generate(
    seed: int,
    recorded_seconds: float,
    speakers: list[str],
    lines: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Segments shaped like the `complete` webhook's transcript.

    Only what was recorded is heard: a word that would end after `recorded_seconds` is
    dropped, fixed `lines` included, and so is a segment left without words.
    """
    if lines:
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
    if recorded_seconds < 1 or not speakers:
        return []
    fake = seeded_faker(seed + 1)
    rng = random.Random(seed + 2)
    budget = min(MAX_SEGMENTS, max(1, int(recorded_seconds // 12)))
    stride = recorded_seconds / budget
    segments = []
    for index in range(budget):
        offset = round(index * stride + rng.uniform(0.2, 1.0), 3)
        if offset >= recorded_seconds:
            break
        text = fake.sentence(nb_words=rng.randint(4, 14))
        words = _words(text, offset)
        while words and words[-1]["end"] > recorded_seconds:
            words.pop()
        if words:
            # everyone speaks once first, then at random
            speaker = speakers[index] if index < len(speakers) else rng.choice(speakers)
            segments.append({"speaker": speaker, "offset": offset, "words": words})
    return segments
