"""BotParams: the wire read once, written back unchanged.

Requests are drawn from the contract's own schemas (`openapi.json`), walked into
hypothesis strategies here and kept only when the contract's validator accepts them, so
every field, null and absence the contract allows is tried.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from support import ROOT

from mockbaas.bots.params import BotParams, from_calendar, patch_calendar, scheduled_join
from mockbaas.bots.views import scheduled_bot_param

DOC = json.loads((ROOT / "openapi.json").read_text())
URI = "urn:mockbaas:openapi"
JSON_LEAF = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8)
JSON = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@cache
def validator(name: str) -> Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(
        URI, Resource.from_contents(DOC, default_specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": f"{URI}#/components/schemas/{name}"}, registry=registry)


def _schema(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = DOC["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def from_schema(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of the subset of JSON Schema the contract's request bodies use; objects
    name only their declared properties (any subset), free-form objects take any JSON."""
    node = _schema(node)
    if "anyOf" in node:
        return st.one_of([from_schema(n) for n in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    types = node.get("type")
    if isinstance(types, list):
        return st.one_of([from_schema({**node, "type": t}) for t in types])
    if types == "null":
        return st.none()
    if types == "boolean":
        return st.booleans()
    if types == "integer":
        return st.integers(node.get("minimum", -(2**31)), node.get("maximum", 2**31))
    if types == "string":
        if node.get("format") == "uri":
            return st.sampled_from(["https://example.com/bot.png", "http://127.0.0.1/x.jpg"])
        return st.text(min_size=node.get("minLength", 0), max_size=12)
    if types == "object" and "properties" not in node:
        return st.dictionaries(st.text(max_size=6), JSON, max_size=3)
    props = node.get("properties", {})
    required = set(node.get("required", ()))
    return st.fixed_dictionaries(
        {k: from_schema(v) for k, v in props.items() if k in required},
        optional={k: from_schema(v) for k, v in props.items() if k not in required},
    )


def valid(name: str) -> st.SearchStrategy[dict[str, Any]]:
    check = validator(name)
    return from_schema({"$ref": f"#/components/schemas/{name}"}).filter(check.is_valid)


PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)


@PROPERTY
@given(valid("JoinRequest"))
def test_a_join_request_comes_back_key_for_key(body: dict[str, Any]) -> None:
    params = BotParams.from_request(body)
    assert params.to_request() == body
    assert BotParams.from_request(params.saved()) == params


@PROPERTY
@given(valid("BotParam2"))
def test_a_scheduled_bot_is_stored_as_a_valid_bot_param_and_reads_back_the_same(
    body: dict[str, Any],
) -> None:
    stored = scheduled_bot_param(from_calendar(body))
    assert validator("BotParam").is_valid(stored)
    assert scheduled_bot_param(from_calendar(stored)) == stored  # a saved world's events


@PROPERTY
@given(valid("BotParam2"), valid("BotParam3"))
def test_a_patch_changes_what_it_names_and_keeps_the_rest(
    body: dict[str, Any], patch: dict[str, Any]
) -> None:
    before = scheduled_bot_param(from_calendar(body))
    after = scheduled_bot_param(patch_calendar(from_calendar(body), patch))
    named = {k for k in patch if not (k == "bot_name" and patch[k] is None)}
    if "speech_to_text" in named:
        named |= {"speech_to_text_provider", "speech_to_text_api_key"}
    for key, value in before.items():
        if key not in named:
            assert after[key] == value, key
    named_name = patch.get("bot_name")
    assert after["bot_name"] == (body["bot_name"] if named_name is None else named_name)


def test_a_scheduled_join_is_a_reserved_bot_for_the_event() -> None:
    stored = from_calendar(
        {
            "bot_name": "Notes",
            "speech_to_text": "Default",
            "streaming_audio_frequency": "16khz",
            "waiting_room_timeout": 0,
            "noone_joined_timeout": 120,
            "webhook_url": "",
        }
    )
    join = scheduled_join(stored, "https://meet.google.com/abc-defg-hij", 1_000, "ev-1")
    assert join.to_request() == {
        "meeting_url": "https://meet.google.com/abc-defg-hij",
        "bot_name": "Notes",
        "reserved": True,
        "start_time": 1_000,
        "speech_to_text": {"provider": "Default", "api_key": None},
        "transcription_custom_parameters": {},
        # a zero timeout is the default one; a frequency without a stream streams nothing
        "automatic_leave": {"noone_joined_timeout": 120},
        "deduplication_key": "ev-1",
        "extra": {},
    }
    assert join.event_uuid == "ev-1"
    assert join.timeout("waiting_room_timeout") == 600
    assert join.timeout("noone_joined_timeout") == 120


def test_a_change_is_a_new_object_counted_as_given() -> None:
    params = BotParams.from_request({"meeting_url": "https://x.zoom.us/j/1", "bot_name": "B"})
    changed = params.but(extra={"a": 1})
    assert params.extra is None and changed.extra == {"a": 1}
    assert changed.to_request() == {
        "meeting_url": "https://x.zoom.us/j/1",
        "bot_name": "B",
        "extra": {"a": 1},
    }


def test_fields_are_in_request_order_as_from_request_builds_them_by_position() -> None:
    from mockbaas.bots.params import REQUEST_FIELDS

    names = BotParams._fields
    assert names == (*REQUEST_FIELDS, "event_uuid", "v2", "given")
