"""Query helpers shared by list endpoints: opaque cursors and ISO date filters."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from .clock import parse_iso
from .errors import invalid


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


#: Far longer than any cursor this server issues: longer ones are refused unparsed.
MAX_CURSOR = 256


def decode_cursor(cursor: str | None) -> int:
    """The offset inside a cursor this server issued; a 400 for anything else."""
    if not cursor:
        return 0
    if len(cursor) > MAX_CURSOR:  # bounded before parsing: no deep or huge JSON inside
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
