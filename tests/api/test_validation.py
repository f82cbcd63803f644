"""Bad input, class by class: a clear 4xx JSON error naming what is wrong, and no state
change. Never a 500, never a hang. Ends with a property test that throws arbitrary JSON
and bytes at the creating routes."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import CREDS, JOIN, MEET_URL, assert_conforms

from mockbaas.config import Settings
from mockbaas.contract import Contract, v2_path
from mockbaas.testing import BackgroundServer, MockClient, Response

UNKNOWN = "7c65c1e5-82e2-4662-b728-b4fa42485e3a"
JSON = {"content-type": "application/json"}


def world(api: MockClient) -> tuple[int, int]:
    """How many bots and calendars exist, across all accounts."""
    bots = len(api._control("GET", "/bots")["bots"])
    calendars = len(api.request("GET", "/calendars/").json())
    return bots, calendars


def error(
    contract: Contract, op_id: str | None, resp: Response, status: int, code: str
) -> dict[str, Any]:
    """A JSON error of the shared shape; conforming to the operation when there is one."""
    assert resp.status == status, (resp.status, resp.body)
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert body["error"] == code and body["message"]
    if op_id is not None:
        assert_conforms(contract, op_id, resp)
    return body


def detail(body: dict[str, Any], location: str, path: str) -> dict[str, Any]:
    found = [d for d in body.get("details", []) if (d["location"], d["path"]) == (location, path)]
    assert found, f"no detail for {location} {path!r} in {body}"
    return found[0]


def join_raw(api: MockClient, data: bytes, headers: dict[str, str] | None = None) -> Response:
    return api.request("POST", "/bots/", data=data, headers=JSON if headers is None else headers)


# --------------------------------------------------------------------------- bodies


@pytest.mark.parametrize(
    "data", [b"{", b"{'a': 1}", b'{"meeting_url": }', b"\xff\xfe", b"[1,]", b'{"a":1}{"b":2}']
)
def test_malformed_json_is_400(api, contract, data):
    body = error(contract, "join", join_raw(api, data), 400, "invalid_json")
    assert body["message"].startswith("request body is not valid JSON")
    assert world(api) == (0, 0)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_nan_and_infinity_are_not_json(api, contract, constant):
    data = b'{"meeting_url": "%s", "bot_name": "b", "reserved": false, "start_time": %s}' % (
        MEET_URL.encode(),
        constant.encode(),
    )
    body = error(contract, "join", join_raw(api, data), 400, "invalid_json")
    assert constant in body["message"]
    assert world(api) == (0, 0)


@pytest.mark.parametrize(
    "text",
    ["a\\ud800b", "\\uDC00", "\\ud83d", "x\\ude00\\ud83d"],
    ids=["high", "low", "end", "swapped"],
)
def test_unpaired_surrogates_are_not_text(api, contract, text):
    """Legal JSON syntax, but not a string that could ever be stored and sent back."""
    for field in (f'"bot_name": "{text}"', f'"bot_name": "b", "extra": {{"{text}": 1}}'):
        data = f'{{"meeting_url": "{MEET_URL}", "reserved": false, {field}}}'.encode()
        body = error(contract, "join", join_raw(api, data), 400, "invalid_json")
        assert "unpaired UTF-16 surrogate" in body["message"]
    assert world(api) == (0, 0)


def test_surrogate_pairs_are_fine(api, contract):
    data = f'{{"meeting_url": "{MEET_URL}", "bot_name": "\\ud83d\\ude00", "reserved": false}}'
    assert join_raw(api, data.encode()).status == 200
    listed = api.request("GET", "/bots/bots_with_metadata")
    assert listed.status == 200 and listed.json()["bots"][0]["bot_name"] == "\U0001f600"


@pytest.mark.parametrize("depth", [65, 2_000, 100_000])
def test_deeply_nested_json_is_refused(api, contract, depth):
    nested = b'{"a":' * depth + b"1" + b"}" * depth
    data = b'{"meeting_url": "%s", "bot_name": "b", "reserved": false, "extra": %s}' % (
        MEET_URL.encode(),
        nested,
    )
    body = error(contract, "join", join_raw(api, data), 400, "invalid_json")
    assert "nested deeper than 64 levels" in body["message"]
    assert world(api) == (0, 0)


def test_nesting_up_to_the_limit_is_fine(api, contract):
    extra: dict[str, Any] = {}
    node = extra
    for _ in range(62):  # the body is level 1, extra level 2: 64 levels in all
        node["a"] = {}
        node = node["a"]
    resp = api.request("POST", "/bots/", json_body=JOIN | {"extra": extra})
    assert resp.status == 200
    listed = api.request("GET", "/bots/bots_with_metadata")
    assert listed.status == 200 and listed.json()["bots"][0]["extra"] == extra


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
def test_wrong_content_type_is_415(api, contract, content_type):
    headers = {"content-type": content_type} if content_type else {}
    resp = join_raw(api, json.dumps(JOIN).encode(), headers)
    body = error(contract, "join", resp, 415, "unsupported_media_type")
    assert "application/json" in body["message"]
    assert world(api) == (0, 0)


def test_json_suffix_media_types_are_json(api, contract):
    resp = join_raw(api, json.dumps(JOIN).encode(), {"content-type": "application/vnd.api+json"})
    assert resp.status == 200
    resp = api.request(
        "POST",
        "/calendars/",
        data=json.dumps(CREDS).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert resp.status == 200
    assert world(api) == (1, 1)


@pytest.mark.parametrize(
    ("method", "path", "op_id"),
    [
        ("POST", "/bots/", "join"),
        ("POST", "/bots/retranscribe", "retranscribe_bot"),
        ("POST", "/calendars/", "create_calendar"),
        ("POST", "/calendars/raw", "list_raw_calendars"),
        ("POST", "/accounts/webhook_url", "set_webhook_url"),
        ("PATCH", f"/calendars/{UNKNOWN}", "update_calendar"),
    ],
)
@pytest.mark.parametrize("data", [b"", b"   \n"])
def test_missing_body_is_422(api, contract, method, path, op_id, data):
    resp = api.request(method, path, data=data, headers=JSON)
    body = error(contract, op_id, resp, 422, "validation_error")
    assert body["details"] == [
        {"location": "body", "path": "", "message": "a JSON request body is required"}
    ]
    assert world(api) == (0, 0)


@pytest.mark.parametrize("value", [None, [], "a string", 42, True])
def test_body_that_is_not_an_object_is_422(api, contract, value):
    resp = join_raw(api, json.dumps(value).encode())
    body = error(contract, "join", resp, 422, "validation_error")
    assert detail(body, "body", "")["message"].endswith('is not of type "object"')
    assert world(api) == (0, 0)


@pytest.mark.parametrize("field", ["meeting_url", "bot_name"])
def test_missing_required_field_is_named(api, contract, field):
    payload = {k: v for k, v in JOIN.items() if k != field}
    body = error(
        contract, "join", api.request("POST", "/bots/", json_body=payload), 422, "validation_error"
    )
    assert detail(body, "body", field)["message"] == "is required"
    assert body["message"] == f"{field}: is required"
    assert world(api) == (0, 0)


def test_reserved_is_optional_as_in_the_2026_file(api, contract):
    """Deprecated in 2026 and optional (default false): the bot joins at once."""
    payload = {k: v for k, v in JOIN.items() if k != "reserved"}
    resp = api.request("POST", "/bots/", json_body=payload)
    assert resp.status == 200
    assert api.statuses(resp.json()["bot_id"]) == ["joining_call"]


def test_every_missing_field_is_reported(api, contract):
    body = error(
        contract, "join", api.request("POST", "/bots/", json_body={}), 422, "validation_error"
    )
    assert sorted(d["path"] for d in body["details"]) == ["bot_name", "meeting_url"]
    assert body["message"].endswith("(and 1 more)")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reserved", "yes"),
        ("bot_name", 7),
        ("meeting_url", None),
        ("start_time", "tomorrow"),
        ("start_time", 1.5),
        ("start_time", -1),
        ("start_time", 253402300800000),  # after year 9999
        ("extra", ["not", "an", "object"]),
        ("bot_image", "not a uri"),
        ("meeting_url", ""),
    ],
)
def test_wrong_type_or_value_is_named(api, contract, field, value):
    resp = api.request("POST", "/bots/", json_body=JOIN | {field: value})
    body = error(contract, "join", resp, 422, "validation_error")
    assert detail(body, "body", field)
    assert body["message"].startswith(f"{field}: ")
    assert world(api) == (0, 0)


def test_nested_field_paths_are_dotted(api, contract):
    payload = JOIN | {"automatic_leave": {"noone_joined_timeout": "soon"}}
    body = error(
        contract, "join", api.request("POST", "/bots/", json_body=payload), 422, "validation_error"
    )
    assert detail(body, "body", "automatic_leave.noone_joined_timeout")


@pytest.mark.parametrize(
    ("op_id", "method", "path", "payload", "field"),
    [
        ("join", "POST", "/bots/", JOIN | {"recording_mode": "portrait"}, "recording_mode"),
        ("join", "POST", "/bots/", JOIN | {"speech_to_text": "Whisperer"}, "speech_to_text"),
        ("create_calendar", "POST", "/calendars/", CREDS | {"platform": "Yahoo"}, "platform"),
        (
            "list_raw_calendars",
            "POST",
            "/calendars/raw",
            CREDS | {"platform": "google"},
            "platform",
        ),
    ],
)
def test_bad_enum_value_is_named(api, contract, op_id, method, path, payload, field):
    body = error(
        contract, op_id, api.request(method, path, json_body=payload), 422, "validation_error"
    )
    assert detail(body, "body", field)
    assert world(api) == (0, 0)


def test_unknown_join_field_is_refused_by_name(api, contract):
    payload = JOIN | {"botName": "typo", "meetingUrl": "x"}
    body = error(
        contract, "join", api.request("POST", "/bots/", json_body=payload), 422, "validation_error"
    )
    assert sorted(d["path"] for d in body["details"]) == ["botName", "meetingUrl"]
    assert detail(body, "body", "botName")["message"] == (
        'is not a field of this object (unknown fields are rejected); did you mean "bot_name"?'
    )
    assert detail(body, "body", "meetingUrl")["message"].endswith('did you mean "meeting_url"?')
    assert world(api) == (0, 0)


@pytest.mark.parametrize(
    ("payload", "path", "hint"),
    [
        (JOIN | {"recording_mode": "speaker_vew"}, "recording_mode", "speaker_view"),
        (JOIN | {"recording_mode": "Audio_Only"}, "recording_mode", "audio_only"),
        (JOIN | {"speech_to_text": {"provider": "gladia"}}, "speech_to_text.provider", "Gladia"),
        (JOIN | {"webhok_url": "http://127.0.0.1:9/h"}, "webhok_url", "webhook_url"),
    ],
)
def test_a_typo_is_answered_with_the_name_it_was_meant_to_be(api, contract, payload, path, hint):
    body = error(
        contract, "join", api.request("POST", "/bots/", json_body=payload), 422, "validation_error"
    )
    assert detail(body, "body", path)["message"].endswith(f'; did you mean "{hint}"?')
    assert body["message"].endswith(f'; did you mean "{hint}"?')
    assert world(api) == (0, 0)


def test_no_guess_for_what_is_nothing_like_a_right_value(api, contract):
    payload = JOIN | {"recording_mode": "zzz", "qqqqqq": 1}
    body = error(
        contract, "join", api.request("POST", "/bots/", json_body=payload), 422, "validation_error"
    )
    assert body["details"] and not any("did you mean" in d["message"] for d in body["details"])


def test_control_query_typos_are_answered_with_the_name_meant(api):
    resp = api.request("GET", "/_mockbaas/webhooks", params={"state": "deliverd"})
    assert resp.status == 400
    assert resp.json()["details"][0]["message"].endswith('; did you mean "delivered"?')
    resp = api.request("GET", "/_mockbaas/webhooks", params={"stat": "delivered"})
    assert resp.status == 400
    assert resp.json()["details"][0] == {
        "location": "query",
        "path": "stat",
        "message": 'unknown parameter; expected bot_id, event, state; did you mean "state"?',
    }


def test_body_too_large_is_413(contract):
    settings = Settings(port=0, strict=True, max_body=512)
    with BackgroundServer(settings) as server:
        api = MockClient(server.url)
        big = JOIN | {"extra": {"blob": "x" * 600}}
        body = error(
            contract, "join", api.request("POST", "/bots/", json_body=big), 413, "payload_too_large"
        )
        assert "512" in body["message"]
        chunked = _chunked_post(server.url, "/bots/", json.dumps(big).encode())
        assert chunked[0] == 413 and json.loads(chunked[1])["error"] == "payload_too_large"
        assert world(api) == (0, 0)
        small = api.request("POST", "/bots/", json_body=JOIN)
        assert small.status == 200


def _chunked_post(base_url: str, path: str, data: bytes) -> tuple[int, bytes]:
    """POST with chunked transfer encoding, so no Content-Length announces the size."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            "x-meeting-baas-api-key: k\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(head.encode())
        for start in range(0, len(data), 100):
            chunk = data[start : start + 100]
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        sock.sendall(b"0\r\n\r\n")
        reply = b""
        while piece := sock.recv(65536):
            reply += piece
    head_bytes, _, body = reply.partition(b"\r\n\r\n")
    status = int(head_bytes.split(b" ")[1])
    if b"transfer-encoding: chunked" in head_bytes.lower():
        body = _unchunk(body)
    return status, body


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return out


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "51"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"limit": " 5"}, "limit"),
        ({"limit": "\u0663"}, "limit"),  # ARABIC-INDIC DIGIT THREE: int() would take it
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2025-13-01"}, "created_before"),
        ({"filter_by_extra": "no-colon"}, "filter_by_extra"),
        ({"sort_by_extra": "rank:sideways"}, "sort_by_extra"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_list_parameters_are_400(api, contract, params, name):
    resp = api.request("GET", "/bots/bots_with_metadata", params=params)
    body = error(contract, "bots_with_metadata", resp, 400, "validation_error")
    assert detail(body, "query", name)


@pytest.mark.parametrize("value", ["maybe", "yes", "2", ""])
def test_bad_boolean_is_400(api, contract, value):
    bot_id = api.join(MEET_URL)
    resp = api.request(
        "GET", "/bots/meeting_data", params={"bot_id": bot_id, "include_transcripts": value}
    )
    body = error(contract, "get_meeting_data", resp, 400, "validation_error")
    assert detail(body, "query", "include_transcripts")


def test_missing_required_query_parameter_is_named(api, contract):
    body = error(
        contract,
        "get_meeting_data",
        api.request("GET", "/bots/meeting_data"),
        400,
        "validation_error",
    )
    assert detail(body, "query", "bot_id")["message"] == "is required"
    resp = api.request("GET", "/calendar_events/")
    assert detail(
        error(contract, "list_events", resp, 400, "validation_error"), "query", "calendar_id"
    )


def test_bad_enum_query_parameter(api, contract):
    resp = api.request(
        "GET", "/calendar_events/", params={"calendar_id": UNKNOWN, "status": "soon"}
    )
    assert detail(error(contract, "list_events", resp, 400, "validation_error"), "query", "status")


@pytest.mark.parametrize(
    ("op_id", "method", "path", "payload"),
    [
        ("leave", "DELETE", "/bots/{}", None),
        ("delete_data", "POST", "/bots/{}/delete_data", None),
        ("get_screenshots", "GET", "/bots/{}/screenshots", None),
        ("get_calendar", "GET", "/calendars/{}", None),
        ("update_calendar", "PATCH", "/calendars/{}", CREDS),
        ("delete_calendar", "DELETE", "/calendars/{}", None),
        ("get_event", "GET", "/calendar_events/{}", None),
        (
            "schedule_record_event",
            "POST",
            "/calendar_events/{}/bot",
            {"bot_name": "b", "extra": None, "transcription_custom_parameters": None},
        ),
        ("patch_bot", "PATCH", "/calendar_events/{}/bot", {}),
        ("unschedule_record_event", "DELETE", "/calendar_events/{}/bot", None),
    ],
)
def test_path_ids_must_be_uuids_and_exist(api, contract, op_id, method, path, payload):
    for bad in ("123", "not-a-uuid", UNKNOWN[:-1], UNKNOWN + "0"):
        resp = api.request(method, path.format(bad), json_body=payload)
        body = error(contract, op_id, resp, 400, "validation_error")
        assert detail(body, "path", "uuid")
    resp = api.request(method, path.format(UNKNOWN), json_body=payload)
    body = error(contract, op_id, resp, 404, "not_found")
    assert UNKNOWN in body["message"]
    assert world(api) == (0, 0)


def test_unknown_ids_in_query_and_body_are_404(api, contract):
    resp = api.request("GET", "/bots/meeting_data", params={"bot_id": UNKNOWN})
    error(contract, "get_meeting_data", resp, 404, "not_found")
    resp = api.request("GET", "/calendar_events/", params={"calendar_id": UNKNOWN})
    error(contract, "list_events", resp, 404, "not_found")
    resp = api.request("POST", "/bots/retranscribe", json_body={"bot_uuid": UNKNOWN})
    error(contract, "retranscribe_bot", resp, 404, "not_found")
    resp = api.request("POST", "/bots/retranscribe", json_body={"bot_uuid": "nope"})
    assert detail(
        error(contract, "retranscribe_bot", resp, 422, "validation_error"), "body", "bot_uuid"
    )


# --------------------------------------------------------------------------- routing


@pytest.mark.parametrize("path", ["/nope", "/bots/x/y/z", "/v3/bots", "/calendars/raw/extra"])
def test_unknown_route_is_404_json(api, contract, path):
    body = error(contract, None, api.request("GET", path), 404, "not_found")
    assert path in body["message"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/bots/", "POST"),
        ("PUT", "/bots/", "POST"),
        ("DELETE", "/bots/meeting_data", "GET, HEAD"),  # would otherwise match DELETE /bots/{uuid}
        ("PATCH", "/calendars/raw", "POST"),  # would otherwise match PATCH /calendars/{uuid}
        ("PUT", "/calendars/", "GET, HEAD, POST"),
        ("GET", f"/bots/{UNKNOWN}", "DELETE"),
        ("POST", f"/calendars/{UNKNOWN}", "DELETE, GET, HEAD, PATCH"),
        ("TRACE", "/bots/webhooks", "GET, HEAD"),
    ],
)
def test_wrong_method_is_405_json_with_allow(api, contract, method, path, allowed):
    resp = api.request(method, path)
    body = error(contract, None, resp, 405, "method_not_allowed")
    assert resp.headers["Allow"] == allowed
    assert method in body["message"]


def test_head_answers_what_get_would_without_the_body(api):
    """RFC 9110: HEAD on every GET operation; logged as the HEAD it was."""
    got = api.request("GET", "/bots/bots_with_metadata")
    head = api.request("HEAD", "/bots/bots_with_metadata")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == got.headers["Content-Length"]
    assert head.headers["Content-Type"] == got.headers["Content-Type"]
    assert api.request("HEAD", f"/bots/meeting_data?bot_id={UNKNOWN}").status == 404
    assert api.request("HEAD", "/bots/meeting_data", api_key="").status == 401
    logged = [(e["method"], e["operation_id"], e["status"]) for e in api.requests()][1:]
    assert logged == [
        ("HEAD", "bots_with_metadata", 200),
        ("HEAD", "get_meeting_data", 404),
        ("HEAD", "get_meeting_data", 401),
    ]


def test_head_is_no_read_of_a_bots_data(api):
    bot_id = api.join(MEET_URL)
    assert api.request("HEAD", f"/bots/meeting_data?bot_id={bot_id}").status == 200
    [row] = api.request("GET", "/bots/bots_with_metadata").json()["bots"]
    assert row["access_count"] == 0 and row["last_accessed_at"] is None
    assert api.request("GET", f"/bots/meeting_data?bot_id={bot_id}").status == 200
    [row] = api.request("GET", "/bots/bots_with_metadata").json()["bots"]
    assert row["access_count"] == 1


def test_head_mirrors_get_on_every_get_operation_of_both_contracts(api, contract):
    """Whatever GET answers (200, 404 for an unknown id, 400 for a missing parameter),
    HEAD answers with the same status and headers and no body."""
    bot_id = api.join(MEET_URL)
    operations = [*contract.operations.values(), *Contract.load(v2_path()).operations.values()]
    gets = [op for op in operations if op.method == "GET"]
    assert len(gets) > 20
    seen: list[int] = []
    for op in gets:
        path = op.path.replace("{uuid}", bot_id)
        path = re.sub(r"\{[^}]+\}", UNKNOWN, path)
        got = api.request("GET", path)
        head = api.request("HEAD", path)
        seen.append(got.status)
        assert (head.status, head.body) == (got.status, b""), path
        for name in ("Content-Type", "Content-Length", "Allow", "Retry-After"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)
    assert {200, 404} <= set(seen)  # answers and refusals both mirrored


def test_trailing_slash_is_optional(api, contract):
    assert api.request("POST", "/bots", json_body=JOIN).status == 200
    assert api.request("GET", "/calendars").status == 200


# --------------------------------------------------------------------------- properties


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def near(valid: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Bodies close to a valid one: fields dropped, replaced or added."""
    return st.builds(
        lambda drop, replace, add: {
            **{k: v for k, v in valid.items() if k not in drop},
            **replace,
            **add,
        },
        st.sets(st.sampled_from(sorted(valid))),
        st.dictionaries(st.sampled_from(sorted(valid)), json_values, max_size=2),
        st.dictionaries(st.text(max_size=12), json_values, max_size=2),
    )


BODIES = {
    "join": near(JOIN | {"meeting_url": "https://zoom.us/j/1", "recording_mode": "speaker_view"}),
    "create_calendar": near(CREDS | {"raw_calendar_id": None}),
    "list_raw_calendars": near(CREDS),
}
ROUTES = {
    "join": "/bots/",
    "create_calendar": "/calendars/",
    "list_raw_calendars": "/calendars/raw",
}
PROPERTY_SETTINGS = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[MockClient]:
    """A server of its own: examples pile up state, and must not leak into other tests."""
    server = BackgroundServer(Settings(port=0, strict=True, seed=7)).start()
    yield MockClient(server.url)
    server.stop()


def _check(api: MockClient, contract: Contract, op_id: str, data: bytes, parsed: Any) -> int:
    before = world(api)
    resp = api.request("POST", ROUTES[op_id], data=data, headers=JSON)
    assert resp.status < 500, resp.body
    problems = contract.response_errors(op_id, resp.status, resp.body)
    assert not problems, (resp.status, resp.body, problems)
    op = contract.operations[op_id]
    valid = parsed is not _INVALID and op.body_validator.is_valid(parsed)
    if resp.status == 200:
        assert valid, f"accepted a body the contract refuses: {data!r}"
    elif valid:
        # a valid body is only refused by a documented business rule
        assert (op_id, resp.status) in {("join", 409), ("create_calendar", 404)}, resp.body
    else:
        assert 400 <= resp.status < 500
    created = 1 if resp.status == 200 else 0
    assert world(api) == (
        before[0] + (created if op_id == "join" else 0),
        before[1] + (created if op_id == "create_calendar" else 0),
    )
    return resp.status


_INVALID = object()


def _refuse(name: str) -> Any:
    raise ValueError(name)


@pytest.mark.parametrize("op_id", sorted(ROUTES))
def test_arbitrary_json_bodies(fuzzed, contract, op_id):
    seen: set[int] = set()

    @PROPERTY_SETTINGS
    @given(body=st.one_of(BODIES[op_id], json_values))
    def run(body: Any) -> None:
        seen.add(_check(fuzzed, contract, op_id, json.dumps(body).encode(), body))

    run()
    assert 200 in seen and 422 in seen, seen  # both sides of the property were exercised


@pytest.mark.parametrize("op_id", sorted(ROUTES))
def test_arbitrary_bytes(fuzzed, contract, op_id):
    @PROPERTY_SETTINGS
    @given(data=st.binary(max_size=200))
    def run(data: bytes) -> None:
        try:  # what the server parses: UTF-8, no NaN/Infinity
            parsed = json.loads(data.decode("utf-8"), parse_constant=_refuse)
        except (ValueError, UnicodeDecodeError):
            parsed = _INVALID
        seen.add(_check(fuzzed, contract, op_id, data, parsed))

    seen: set[int] = set()
    run()
    assert 400 in seen, seen


def test_no_hint_that_would_be_refused_too_and_the_bare_name_rule_in_words(api, contract):
    def refusal(body: dict[str, Any], path: str) -> str:
        resp = api.request("POST", "/bots/", json_body=JOIN | body)
        return str(
            detail(error(contract, "join", resp, 422, "validation_error"), "body", path)["message"]
        )

    # "Gladia" would be refused as a bare name as well: no suggestion of it
    assert "did you mean" not in refusal({"speech_to_text": "gladia"}, "speech_to_text")
    assert refusal({"speech_to_text": "default"}, "speech_to_text").endswith(
        '; did you mean "Default"?'
    )
    assert refusal({"speech_to_text": "Gladia"}, "speech_to_text") == (
        'a bare provider name carries no API key, so only "Default" is accepted that way; '
        'send {"provider": ..., "api_key": ...}'
    )
    assert world(api) == (0, 0)
