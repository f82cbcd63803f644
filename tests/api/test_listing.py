"""bots_with_metadata pages with a keyset cursor: whatever happens between two pages,
paging never repeats a bot nor skips one that existed when paging began."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockbaas.bots.listing import BotQuery
from mockbaas.testing import MockClient

MEET = "https://meet.google.com/abc-defg-hij"


def create(api: MockClient, name: str, **fields: Any) -> str:
    body = {"meeting_url": MEET, "bot_name": name, "reserved": False, **fields}
    resp = api.request("POST", "/bots/", json_body=body)
    assert resp.status == 200, resp.body
    return resp.json()["bot_id"]


def page(api: MockClient, **params: Any) -> dict[str, Any]:
    resp = api.request("GET", "/bots/bots_with_metadata", params=params)
    assert resp.status == 200, resp.body
    return resp.json()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    existing=st.integers(min_value=0, max_value=25),
    limit=st.integers(min_value=1, max_value=7),
    inserts=st.lists(st.integers(min_value=0, max_value=4), max_size=8),
    advance=st.booleans(),
)
def test_paging_never_repeats_or_skips_with_inserts_between_pages(
    mockbaas: MockClient, existing: int, limit: int, inserts: list[int], advance: bool
):
    api = mockbaas
    api.reset()
    before = [create(api, f"bot {i}", deduplication_key=f"k{i}") for i in range(existing)]
    seen: list[str] = []
    cursor = None
    step = 0
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        got = page(api, **params)
        seen += [b["uuid"] for b in got["bots"]]
        cursor = got["next_cursor"]
        # bots created between pages are newer than every bot already paged through
        for n in range(inserts[step] if step < len(inserts) else 0):
            create(api, f"late {step}.{n}", deduplication_key=f"late{step}.{n}")
        if advance:
            api.advance(1)
        step += 1
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "a bot was listed twice"
    assert seen == list(reversed(before)), "newest first, each bot once, none skipped"


def test_a_cursor_is_refused_with_other_filters_but_limit_may_change(mockbaas: MockClient):
    api = mockbaas
    for i in range(5):
        create(api, f"Standup {i}", deduplication_key=str(i), extra={"team": "a"})
    first = page(api, limit=2, bot_name="standup")
    assert [b["bot_name"] for b in first["bots"]] == ["Standup 4", "Standup 3"]
    wider = page(api, limit=3, bot_name="standup", cursor=first["next_cursor"])
    assert [b["bot_name"] for b in wider["bots"]] == ["Standup 2", "Standup 1", "Standup 0"]
    resp = api.request(
        "GET",
        "/bots/bots_with_metadata",
        params={"limit": 2, "bot_name": "retro", "cursor": first["next_cursor"]},
    )
    assert resp.status == 400
    [detail] = resp.json()["details"]
    assert detail["path"] == "cursor" and "other filters" in detail["message"]


def test_sorted_by_extra_pages_in_the_same_order_as_one_page(mockbaas: MockClient):
    api = mockbaas
    for i, rank in enumerate([3, 1, None, 2, 1, 5, None]):
        extra = {} if rank is None else {"rank": rank}
        create(api, f"b{i}", deduplication_key=str(i), extra=extra)
    whole = [b["bot_name"] for b in page(api, limit=50, sort_by_extra="rank:desc")["bots"]]
    assert whole == ["b5", "b0", "b3", "b4", "b1", "b6", "b2"]
    paged: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "sort_by_extra": "rank:desc"}
        if cursor:
            params["cursor"] = cursor
        got = page(api, **params)
        paged += [b["bot_name"] for b in got["bots"]]
        cursor = got["next_cursor"]
        if cursor is None:
            break
    assert paged == whole


def test_date_filters_and_cursor_bound_the_scan(mockbaas: MockClient):
    api = mockbaas
    ids = []
    for i in range(6):
        ids.append(create(api, f"b{i}", deduplication_key=str(i)))
        api.advance(60)
    start = api.clock()["start"]
    # created at +0, +60, ... +300 s; keep +60 .. +180
    got = page(
        api,
        limit=2,
        created_after=start[:11] + "09:01:00Z",
        created_before=start[:11] + "09:03:00Z",
    )
    assert [b["uuid"] for b in got["bots"]] == [ids[3], ids[2]]
    rest = page(
        api,
        limit=2,
        created_after=start[:11] + "09:01:00Z",
        created_before=start[:11] + "09:03:00Z",
        cursor=got["next_cursor"],
    )
    assert [b["uuid"] for b in rest["bots"]] == [ids[1]] and rest["next_cursor"] is None


def test_hand_made_and_older_cursors(mockbaas: MockClient):
    """An offset cursor (what earlier versions issued) still works; junk, huge or
    deeply nested cursors are a 400 naming the parameter, never a 500."""
    api = mockbaas
    for i in range(3):
        create(api, f"b{i}", deduplication_key=str(i))
    offset = base64.urlsafe_b64encode(json.dumps({"offset": 1}).encode()).decode()
    assert [b["bot_name"] for b in page(api, limit=5, cursor=offset)["bots"]] == ["b1", "b0"]
    nested = base64.urlsafe_b64encode(("[" * 1500 + "]" * 1500).encode()).decode()
    shallow = base64.urlsafe_b64encode(("[" * 80 + "]" * 80).encode()).decode()
    for junk in ("x" * 4000, nested, shallow, "e30", "eyJhZnRlciI6LTF9", "bnVsbA"):
        resp = api.request("GET", "/bots/bots_with_metadata", params={"cursor": junk})
        assert resp.status == 400, (junk[:20], resp.status)
        assert resp.json()["details"][0]["path"] == "cursor"


def test_sort_by_extra_compares_as_strings_as_the_reference_says(mockbaas: MockClient):
    """ "String comparison is used for sorting": rank 10 sorts before rank 9."""
    api = mockbaas
    for i, rank in enumerate([9, 10, "b", True]):
        create(api, f"r{i}", deduplication_key=f"r{i}", extra={"rank": rank})
    names = [b["bot_name"] for b in page(api, limit=10, sort_by_extra="rank")["bots"]]
    assert names == ["r1", "r0", "r2", "r3"]  # "10" < "9" < "b" < "true"


@pytest.mark.parametrize("params", [{}, {"limit": 7}])
def test_a_limit_only_query_is_shared_and_reads_as_a_fresh_one(params: dict[str, Any]) -> None:
    """The usual poll names no filter: one frozen query per limit serves every call,
    its next-page fingerprint worked out once, the same as a query parsed afresh."""
    shared = BotQuery.read(params)
    assert BotQuery.read(dict(params)) is shared
    fresh = BotQuery._parse(dict(params))
    assert replace(shared, filters=None) == fresh
    assert shared.filters == fresh.fingerprint()


def test_a_cursor_from_a_limit_only_page_reads_the_next_page(mockbaas: MockClient) -> None:
    ids = [create(mockbaas, f"b{n}", deduplication_key=f"k{n}") for n in range(5)]
    first = page(mockbaas, limit=3)
    second = page(mockbaas, limit=3, cursor=first["next_cursor"])
    assert [b["uuid"] for b in first["bots"] + second["bots"]] == ids[::-1]
    assert second["next_cursor"] is None
