"""contract/control.json: the control API's own OpenAPI document, the routes registered
from it, and what it does to bad input (a 4xx JSON error naming the problem, never a 500)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from support import MEET_URL

from mockbaas.api_faults import FIELDS, MAX_LATENCY_S
from mockbaas.bots import lifecycle as lc
from mockbaas.config import Settings
from mockbaas.contract import Contract, control_path
from mockbaas.control import PREFIX, UI_FILES
from mockbaas.control.responses import MAX_ADVANCE_S
from mockbaas.core import MockBaaS
from mockbaas.testing import MockClient
from mockbaas.web.app import make_app
from mockbaas.webhooks import STATES

DOCUMENT = json.loads(control_path().read_text(encoding="utf-8"))
CONTROL = Contract.load(control_path())
MEDIA = f"{PREFIX}/media/"


def _body_schema(operation_id: str) -> dict[str, Any]:
    op = CONTROL.operations[operation_id]
    spec = DOCUMENT["paths"][op.path][op.method.lower()]
    schema: dict[str, Any] = spec["requestBody"]["content"]["application/json"]["schema"]
    return schema


def test_the_document_is_valid_openapi_3_1():
    validate(DOCUMENT)
    assert DOCUMENT["openapi"].startswith("3.1")
    assert all(path.startswith(PREFIX + "/") for path in DOCUMENT["paths"])
    ids = [op.operation_id for op in CONTROL.operations.values()]
    assert len(ids) == len(set(ids)) > 40
    assert CONTROL.source == "control.json"  # how a --strict breach names it


def test_every_control_route_is_in_the_document_and_every_operation_is_routed():
    app = make_app(MockBaaS(Settings(port=0)))
    routed = {
        (r.method, r.resource.canonical)
        for r in app.router.routes()
        if r.resource is not None
        and r.resource.canonical.startswith(PREFIX + "/")
        and not r.resource.canonical.startswith(MEDIA)  # signed media links, not control
        and r.method not in ("HEAD", "*")  # HTTP's: GET's twin, and the 405 for the rest
    }
    described = {(op.method, op.path) for op in CONTROL.operations.values()}
    assert routed == described
    assert {path for _, path in described} >= set(UI_FILES)


def test_the_document_says_what_the_engine_knows():
    """Enums and bounds written in the document match the code they stand for."""
    until = _body_schema("advanceClockUntil")["properties"]["status"]["enum"]
    assert set(until) == set(lc.STATUS_CODES) | {"complete", "failed"}
    deliveries = CONTROL.operations["listDeliveries"]
    state = next(p for p in deliveries.params if p.name == "state")
    assert state.schema["enum"] == list(STATES)
    assert _body_schema("advanceClock")["properties"]["seconds"]["maximum"] == MAX_ADVANCE_S
    fault = _body_schema("addApiFault")["properties"]
    assert tuple(fault) == FIELDS and fault["latency_seconds"]["maximum"] == MAX_LATENCY_S


def test_the_document_is_served(mockbaas: MockClient) -> None:
    resp = mockbaas.request("GET", f"{PREFIX}/openapi.json")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("application/json")
    served = resp.json()
    assert served["servers"] == [{"url": mockbaas.url}]
    assert {k: v for k, v in served.items() if k != "servers"} == DOCUMENT
    assert mockbaas.requests() == []  # reading it is not API traffic


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/clock/advance", {"seconds": "10"}, 422, "seconds: must be a number"),
        ("POST", "/clock/advance", {"seconds": 1, "wait": 601}, 422, "wait: must be between"),
        ("POST", "/clock/advance", {"seconds": 1, "later": 1}, 422, "later: unknown field"),
        ("POST", "/clock/advance", [1], 422, "body: expected a JSON object"),
        ("POST", "/clock/run_until_idle", {"max_seconds": "x"}, 422, "max_seconds: must be"),
        ("PUT", "/webhooks/faults", {"duplicate": "yes"}, 422, "duplicate: must be true or false"),
        ("PUT", "/webhooks/faults", {"delay": 1}, 422, "delay: unknown fault"),
        ("POST", "/bots/x/stream/faults", {}, 422, "body: name a fault: drop or stall_seconds"),
        ("POST", "/bots/x/stream/faults", {"stall_seconds": 0}, 422, "stall_seconds: must be"),
        ("POST", "/webhooks/trigger", {"event": "complete", "url": 5}, 422, "url: must be"),
        ("POST", "/calendars/x/sync", {"delete": [1]}, 422, "delete: must be a list of"),
        (
            "POST",
            "/provider/accounts",
            {"platform": "Yahoo", "oauth_refresh_token": "t"},
            422,
            "platform: must be Google",
        ),
        ("POST", "/v2/bots/x/chat", {"text": ""}, 422, "text: a non-empty string is required"),
        ("PUT", "/v2/limits", {"api_key": "k", "rate_limit": 0}, 422, "rate_limit: must be"),
        ("GET", "/webhooks?state=sent", None, 400, "state: one of pending, delivered"),
        ("GET", "/requests?violations=maybe", None, 400, "violations: must be true or false"),
        ("GET", "/v2/webhook-secret", None, 400, "api_key: give the API key"),
    ],
)
def test_bad_control_input_is_refused_by_the_document(
    mockbaas: MockClient, method: str, path: str, body: Any, status: int, message: str
) -> None:
    before = mockbaas.clock()
    resp = mockbaas.request(method, PREFIX + path, json_body=body)
    assert resp.status == status, resp.body
    answer = resp.json()
    assert answer["error"] == "validation_error"
    assert answer["message"].startswith(message), answer["message"]
    assert answer["details"][0]["location"] == ("body" if status == 422 else "query")
    assert mockbaas.clock() == before


def _routes_with(part: str) -> list[str]:
    return sorted(
        op.operation_id
        for op in CONTROL.operations.values()
        if (part == "body" and op.body_media) or (part == "query" and op.params)
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)


def _hostile_body(operation_id: str) -> st.SearchStrategy[Any]:
    """Anything JSON, or an object with the operation's own field names and odd values
    (which reaches past the type checks into the handlers)."""
    names = sorted(_body_schema(operation_id).get("properties", {})) or ["x"]
    fields = st.dictionaries(st.sampled_from([*names, "unknown"]), JSON, max_size=4)
    return JSON | fields


def _path(template: str, values: list[str]) -> str:
    """The template with each `{name}` replaced by a value, percent-encoded."""
    out = template
    for value in (urllib.parse.quote(v, safe="") for v in values):
        start = out.find("{")
        if start < 0:
            break
        out = out[:start] + value + out[out.index("}", start) + 1 :]
    return out


SEGMENT = st.text(min_size=1, max_size=8)
RUN = settings(
    max_examples=8,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _no_crash(resp: Any) -> None:
    assert resp.status < 500, resp.body
    if resp.status >= 400:
        answer = resp.json()
        assert isinstance(answer["error"], str) and answer["message"], answer


@pytest.mark.parametrize("operation_id", _routes_with("body"))
def test_hostile_bodies_are_a_4xx_json_error_never_a_500(
    mockbaas: MockClient, operation_id: str
) -> None:
    op = CONTROL.operations[operation_id]
    bot_id = mockbaas.join(MEET_URL)

    @RUN
    @given(body=_hostile_body(operation_id), ids=st.lists(SEGMENT, min_size=2, max_size=2))
    def check(body: Any, ids: list[str]) -> None:
        path = _path(op.path, [bot_id if "uuid" in op.path else ids[0], ids[1]])
        raw = json.dumps(body).encode()  # `null` too, which json_body=None would not send
        headers = {"content-type": "application/json"}
        _no_crash(mockbaas.request(op.method, path, data=raw, headers=headers))

    check()


@pytest.mark.parametrize("operation_id", _routes_with("query"))
def test_hostile_queries_and_ids_are_a_4xx_json_error_never_a_500(
    mockbaas: MockClient, operation_id: str
) -> None:
    op = CONTROL.operations[operation_id]
    names = [p.name for p in op.params if p.location == "query"] or ["x"]

    @RUN
    @given(
        query=st.dictionaries(st.sampled_from(names), st.text(max_size=12)),
        ids=st.lists(SEGMENT, min_size=2, max_size=2),
    )
    def check(query: dict[str, str], ids: list[str]) -> None:
        _no_crash(mockbaas.request(op.method, _path(op.path, ids), params=query))

    check()
