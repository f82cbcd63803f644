"""JSON as the mock writes it: compact, and the same bytes for the same value."""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(payload: Any) -> bytes:
    """Compact JSON. orjson is ~10x faster on the hot path and byte-identical to the
    stdlib's compact output for what we send; the stdlib handles what orjson refuses
    (integers beyond 64 bits that a caller put in `extra`)."""
    try:
        return orjson.dumps(payload)
    except TypeError:
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def loads(data: bytes | str) -> Any:
    """The inverse of `dumps`, for bodies the mock wrote itself."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:  # integers beyond 64 bits
        return json.loads(data)
