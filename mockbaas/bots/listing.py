"""bots_with_metadata: an account's bots filtered, ordered and paged.

Keyset paging: a page starts after the last bot of the previous one, so bots created
between pages are never repeated nor skipped (they are newer than the cursor, so they
belong to pages already read), and the cost of a page does not grow with the number of
bots. An account's bots are kept in creation order, so ids and creation times are sorted
and the cursor and the date filters are bisections.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..query import Keyset, decode_keyset, encode_keyset, filters_fingerprint, query_date

if TYPE_CHECKING:
    from .models import Bot


@dataclass(frozen=True, slots=True)
class BotQuery:
    """What a bots_with_metadata call asks for, typed: names and URLs as lowercase
    substrings, dates as milliseconds, `extra` conditions as (dotted key, text) pairs."""

    limit: int = 10
    start: Keyset = Keyset()
    #: the fingerprint of the filters, which a cursor remembers (None: not worked out)
    filters: str | None = None
    bot_name: str = ""
    meeting_url: str = ""
    speaker_name: str = ""
    created_after: int | None = None
    created_before: int | None = None
    ended_after: int | None = None
    extra: tuple[tuple[str, str], ...] = ()
    sort_by_extra: str | None = None  # "field" or "field:asc|desc"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def read(cls, query: Mapping[str, Any]) -> BotQuery:
        """The contract-checked query parameters; a bad cursor or date is a 400."""
        if query.keys() <= {"limit"}:  # the usual poll: one immutable query per limit
            limit = query.get("limit", 10)
            plain = _PLAIN.get(limit)
            if plain is None:
                plain = cls._parse({"limit": limit} if "limit" in query else {})
                plain = replace(plain, filters=plain.fingerprint())  # for its next cursor
                if len(_PLAIN) < PLAIN_QUERIES:
                    _PLAIN[limit] = plain
            return plain
        return cls._parse(dict(query))

    @classmethod
    def _parse(cls, params: dict[str, Any]) -> BotQuery:
        cursor = params.get("cursor")
        filters = _fingerprint(params) if cursor else None
        start = decode_keyset(cursor, filters or "")
        conditions = params.get("filter_by_extra")
        return cls(
            limit=params.get("limit", 10),
            start=start,
            filters=filters,
            bot_name=(params.get("bot_name") or "").lower(),
            meeting_url=(params.get("meeting_url") or "").lower(),
            speaker_name=(params.get("speaker_name") or "").lower(),
            created_after=query_date(params, "created_after"),
            created_before=query_date(params, "created_before"),
            ended_after=query_date(params, "ended_after"),
            extra=tuple(
                (key.strip(), expected.strip())
                for key, _, expected in (c.partition(":") for c in conditions.split(","))
            )
            if conditions
            else (),
            sort_by_extra=params.get("sort_by_extra") or None,
            raw=params,
        )

    def fingerprint(self) -> str:
        """The filters' fingerprint, worked out when a page needs a cursor."""
        return _fingerprint(self.raw)


def _fingerprint(query: dict[str, Any]) -> str:
    return filters_fingerprint(query, ("cursor", "limit"))


#: queries that name no parameter but `limit`, by limit (BotQuery is frozen: shared safely)
_PLAIN: dict[Any, BotQuery] = {}
PLAIN_QUERIES = 256


def page(mine: list[Bot], query: BotQuery) -> tuple[list[Bot], str | None]:
    """The page `query` asks for among `mine` (an account's bots, creation order), and
    the cursor of the next page (None on the last)."""
    limit = query.limit
    start = query.start
    keep = _bot_filter(query)
    if query.sort_by_extra:
        ordered: Iterable[Bot] = _after(_by_extra(mine, query.sort_by_extra), start)
    else:
        ordered = _newest_first(mine, start, query)
    found: list[Bot] = []
    skip = start.offset  # an offset cursor counts the bots that pass the filters
    for bot in ordered:
        if keep is not None and not keep(bot):
            continue
        if skip:
            skip -= 1
            continue
        if len(found) == limit:
            return found, encode_keyset(found[-1].id, query.filters or query.fingerprint())
        found.append(bot)
    return found, None


def _newest_first(mine: list[Bot], start: Keyset, query: BotQuery) -> Iterator[Bot]:
    """An account's bots newest first, from the cursor on."""
    end = len(mine)
    if start.after is not None:
        end = bisect_left(mine, start.after, key=lambda b: b.id)
    before = query.created_before
    if before is not None:
        end = min(end, bisect_right(mine, before, key=lambda b: b.created_ms))
    after = query.created_after
    first = 0 if after is None else bisect_left(mine, after, key=lambda b: b.created_ms)
    for index in range(end - 1, first - 1, -1):
        yield mine[index]


def _by_extra(mine: list[Bot], sort: str) -> list[Bot]:
    """Bots with the `extra` field sorted by its value (ties newest first: the sort
    is stable, reversed too), then the bots without it, newest first."""
    field_name, _, direction = sort.partition(":")
    newest = list(reversed(mine))
    keyed = [(_extra_value(b, field_name), b) for b in newest]
    present = [(v, b) for v, b in keyed if v is not None]
    # the reference: "String comparison is used for sorting" (so 10 sorts before 9)
    present.sort(key=lambda vb: _as_text(vb[0]), reverse=direction == "desc")
    return [b for _, b in present] + [b for v, b in keyed if v is None]


def _after(ordered: Iterable[Bot], start: Keyset) -> Iterator[Bot]:
    """The bots of a sorted listing that come after the cursor's bot."""
    items = iter(ordered)
    if start.after is not None:
        for bot in items:
            if bot.id == start.after:
                break
    yield from items


def _extra_value(bot: Bot, name: str) -> Any:
    node: Any = bot.extra
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _bot_filter(query: BotQuery) -> Callable[[Bot], bool] | None:
    """The filters of a bots_with_metadata query, as one test per bot (None: no filter,
    every bot is kept)."""
    name, url, speaker = query.bot_name, query.meeting_url, query.speaker_name
    after, before, ended_after = query.created_after, query.created_before, query.ended_after
    conditions = query.extra

    dates = (after, before, ended_after)
    if not (name or url or speaker or conditions) and dates == (None, None, None):
        return None

    def keep(bot: Bot) -> bool:
        if name and name not in bot.params.bot_name.lower():
            return False
        if url and url not in bot.meeting_url.lower():
            return False
        if speaker and not any(speaker in s.lower() for s in bot.speakers):
            return False
        if after is not None and bot.created_ms < after:
            return False
        if before is not None and bot.created_ms > before:
            return False
        if ended_after is not None and (bot.ended_ms is None or bot.ended_ms < ended_after):
            return False
        for key, expected in conditions:
            value = _extra_value(bot, key)
            if value is None or _as_text(value) != expected:
                return False
        return True

    return keep
