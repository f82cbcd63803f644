"""Query helpers shared by list endpoints: opaque cursors and ISO date filters."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .clock import parse_iso
from .errors import invalid


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """The offset inside a cursor this server issued; a 400 for anything else."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = value["offset"]
        if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0:
            return offset
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        pass
    raise invalid("query", "cursor", "not a cursor this server returned")


def query_date(query: dict[str, Any], name: str) -> int | None:
    text = query.get(name)
    if not text:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        raise invalid("query", name, f"{text!r} is not an ISO-8601 date-time") from None
