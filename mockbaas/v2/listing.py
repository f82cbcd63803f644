"""v2 listings: keyset cursors and the query filters every v2 list shares."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from ..clock import iso, parse_iso
from ..errors import invalid

Key = tuple[int, str]


def paginate(
    items: list[Any],
    key: Callable[[Any], Key],
    view: Callable[[Any], dict[str, Any]],
    query: dict[str, Any],
    descending: bool = True,
) -> dict[str, Any]:
    """v2 keyset cursors: base64 of `<iso date>::<id>` naming the first item of the next
    page; `-` + a cursor pages backward from the item it names. `items` are in page
    order. A cursor need not name an item that still exists: it is a position."""
    limit = query.get("limit", 50)
    cursor = query.get("cursor")
    start, end = 0, limit
    if cursor:
        backward = cursor.startswith("-")
        at = _decode(cursor[1:] if backward else cursor)
        first = sum(1 for i in items if (key(i) > at if descending else key(i) < at))
        start, end = (max(0, first - limit), first) if backward else (first, first + limit)
    return {
        "success": True,
        "data": [view(i) for i in items[start:end]],
        "cursor": _encode(key(items[end])) if end < len(items) else None,
        "prev_cursor": "-" + _encode(key(items[start])) if 0 < start < len(items) else None,
    }


def _encode(at: Key) -> str:
    return base64.urlsafe_b64encode(f"{iso(at[0])}::{at[1]}".encode()).decode()


def _decode(cursor: str) -> Key:
    try:
        moment, sep, ident = base64.urlsafe_b64decode(cursor.encode()).decode().partition("::")
        if not sep:
            raise ValueError(cursor)
        return parse_iso(moment), ident
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        raise invalid("query", "cursor", "not a cursor this API returned") from None


def split_csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def matches_extra(extra: Any, wanted: str | None) -> bool:
    """The `extra=field:value[,field:value]` filter: every pair matches exactly."""
    values = extra if isinstance(extra, dict) else {}
    for pair in (wanted or "").split(","):
        if pair:  # the contract's pattern made each a non-empty `field:value`
            key, _, value = pair.partition(":")
            if key not in values or _text(values[key]) != value:
                return False
    return True


def parse_bound(query: dict[str, Any], name: str) -> int | None:
    text = query.get(name)
    if not text:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        raise invalid("query", name, "not an ISO 8601 date-time") from None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
