"""JSON as the mock writes it: compact, and the same bytes for the same value."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson


class Deferred:
    """A value rendered as JSON text only when the document holding it is written: a
    large part (a transcript) is then neither built nor kept until it is sent.
    `stand_in` is a small value of the same schema, for checks made before that.
    (Not a dataclass: orjson would serialise a dataclass's fields itself.)"""

    __slots__ = ("render", "stand_in")

    def __init__(self, render: Callable[[], bytes], stand_in: Any = None) -> None:
        self.render = render
        self.stand_in = stand_in


def _deferred(value: Any) -> Any:
    if isinstance(value, Deferred):
        return orjson.Fragment(value.render())
    raise TypeError


def _stdlib_deferred(value: Any) -> Any:
    if isinstance(value, Deferred):
        return json.loads(value.render())
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(payload: Any) -> bytes:
    """Compact JSON. orjson is ~10x faster on the hot path and byte-identical to the
    stdlib's compact output for what we send; the stdlib handles what orjson refuses
    (integers beyond 64 bits that a caller put in `extra`)."""
    try:
        return orjson.dumps(payload, default=_deferred)
    except TypeError:
        text = json.dumps(
            payload, separators=(",", ":"), ensure_ascii=False, default=_stdlib_deferred
        )
        return text.encode()


def dumps_kept(payload: Any) -> bytes:
    """`dumps` for bytes held for long (a journaled webhook body). orjson returns its
    bytes in the buffer it wrote them into, at least 4 KiB: a 160-byte status change
    held 4 KiB of memory. A copy holds its own size."""
    return memoryview(dumps(payload)).tobytes()


def stand_ins(payload: Any) -> Any:
    """`payload` with every Deferred replaced by its stand-in (for schema checks)."""
    if isinstance(payload, Deferred):
        return payload.stand_in
    if isinstance(payload, dict):
        return {key: stand_ins(value) for key, value in payload.items()}
    if isinstance(payload, list):
        return [stand_ins(value) for value in payload]
    return payload


#: every digit read as a zero, so that a run of 19 zeros finds a long integer (below)
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * 19


def has_long_number(raw: bytes) -> bool:
    """Whether `raw` may hold an integer beyond 64 bits, which orjson would silently read
    as a float: a run of 19 digits or more (two C passes over the bytes; a regular
    expression tried at every byte cost 8% of a POST /bots/)."""
    return _LONG_RUN in raw.translate(_DIGITS_AS_ZEROS)


def loads(data: bytes | str) -> Any:
    """The inverse of `dumps`, for bodies the mock wrote itself: exact, an integer of
    any size in `extra` included (the journal's payloads, a re-sent webhook)."""
    raw = data.encode() if isinstance(data, str) else data
    if has_long_number(raw):
        return json.loads(raw)
    return orjson.loads(raw)
