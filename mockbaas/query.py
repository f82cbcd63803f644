"""Query helpers shared by list endpoints: opaque cursors and ISO date filters."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import orjson

from .clock import parse_iso
from .errors import invalid

#: No cursor this server issues is longer; a longer one is refused before decoding.
MAX_CURSOR_LENGTH = 256


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """The offset inside a cursor this server issued; a 400 for anything else."""
    if not cursor:
        return 0
    if len(cursor) > MAX_CURSOR_LENGTH:  # bounded before parsing: no deep or huge JSON inside
        raise invalid("query", "cursor", "not a cursor this server returned (too long)")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = value["offset"]
        if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0:
            return offset
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        pass
    raise invalid("query", "cursor", "not a cursor this server returned")


@dataclass(frozen=True)
class Keyset:
    """Where a page starts: after the bot with id `after` in the listing's order, for
    the filters whose fingerprint is `filters` (None in a hand-made cursor), or at
    position `offset` (the cursors older versions issued)."""

    after: int | None = None
    filters: str | None = None
    offset: int = 0


def filters_fingerprint(query: dict[str, Any], ignore: tuple[str, ...]) -> str:
    """A short digest of a listing's filters: a cursor remembers what it was issued for."""
    items = sorted((k, str(v)) for k, v in query.items() if k not in ignore and v is not None)
    return hashlib.sha256(orjson.dumps(items)).hexdigest()[:16]


def encode_keyset(after: int, filters: str) -> str:
    raw = orjson.dumps({"after": after, "q": filters})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_keyset(cursor: str | None, filters: str) -> Keyset:
    """A keyset cursor this server issued, checked against the filters it is used with;
    a 400 naming the problem for anything else."""
    if not cursor:
        return Keyset()
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid("query", "cursor", "not a cursor this server returned (too long)")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        value = None
    if isinstance(value, dict) and set(value) == {"offset"}:
        return Keyset(offset=decode_cursor(cursor))
    after = value.get("after") if isinstance(value, dict) else None
    issued_for = value.get("q") if isinstance(value, dict) else None
    if (
        not isinstance(after, int)
        or isinstance(after, bool)
        or after < 0
        or not (issued_for is None or isinstance(issued_for, str))
        or set(value) - {"after", "q"}
    ):
        raise invalid("query", "cursor", "not a cursor this server returned")
    if issued_for is not None and issued_for != filters:
        raise invalid(
            "query",
            "cursor",
            "this cursor was issued for other filters; repeat the first page's filters "
            "(only limit may change) or start again without a cursor",
        )
    return Keyset(after=after, filters=issued_for)


_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?"
)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).

    Linear in `day`, so a day past the end of its month simply rolls over.
    """
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def filter_ms(text: str) -> int:
    """Milliseconds of a date filter the contract's pattern admits, without refusing any.

    The pattern is the rule, so what it lets through must work: year 0000 and a day past
    the month's end (2025-02-30 is 2025-03-02, as in JavaScript) are accepted, not 400.
    """
    match = _ISO.fullmatch(text.strip())
    if match is None:
        return parse_iso(text)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    ms = _days_from_civil(int(year), int(month), int(day)) * 86_400_000
    ms += int(hour or 0) * 3_600_000 + int(minute or 0) * 60_000 + int(second or 0) * 1000
    ms += int((fraction or "0")[:3].ljust(3, "0"))
    if offset and offset != "Z":
        sign = -1 if offset[0] == "+" else 1
        ms += sign * (int(offset[1:3]) * 3_600_000 + int(offset[4:6]) * 60_000)
    return ms


def query_date(query: dict[str, Any], name: str) -> int | None:
    text = query.get(name)
    if not text:
        return None
    try:
        return filter_ms(text)
    except ValueError:
        raise invalid("query", name, f"{text!r} is not an ISO-8601 date-time") from None
