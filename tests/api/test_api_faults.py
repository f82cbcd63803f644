"""Faults on the API: status + Error body + Retry-After, latency, dropped connections;
by operation and account; for N calls or a seeded probability; listed and cleared."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error

import jsonschema
import pytest
from support import MEET_URL

from mockbaas.testing import MockClient

LIST = "/bots/bots_with_metadata"


def error_schema(contract):
    return contract.document["components"]["schemas"]["Error"]


def test_status_with_retry_after_for_the_next_n_calls(mockbaas, contract):
    rule = mockbaas.fault("bots_with_metadata", status=429, retry_after=7, times=2)
    assert rule["id"] == 1 and rule["times_left"] == 2
    for _ in range(2):
        resp = mockbaas.request("GET", LIST)
        assert resp.status == 429 and resp.headers["Retry-After"] == "7"
        body = resp.json()
        assert body["error"] == "rate_limited" and "injected fault 1" in body["message"]
        jsonschema.validate(body, error_schema(contract))
    assert mockbaas.request("GET", LIST).status == 200
    [listed] = mockbaas.faults()
    assert (listed["hits"], listed["times_left"]) == (2, 0)
    # the traffic log shows what the client got: faults are behaviour, not violations
    assert [e["status"] for e in mockbaas.requests()] == [429, 429, 200]
    mockbaas.assert_contract_kept()


@pytest.mark.parametrize(
    "status, code",
    [
        (500, "internal_error"),
        (503, "service_unavailable"),
        (599, "internal_error"),
        (418, "validation_error"),  # a 4xx without a code of its own: the generic refusal
        (499, "validation_error"),
    ],
)
def test_server_errors_have_contract_error_bodies(mockbaas, contract, status, code):
    mockbaas.fault(status=status, message="upstream is down")
    resp = mockbaas.request("POST", "/bots/", json_body={"meeting_url": "x"})
    assert resp.status == status
    assert resp.json() == {"error": code, "message": "upstream is down"}
    # the same compact JSON and media type as every other answer
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.body == b'{"error":"%s","message":"upstream is down"}' % code.encode()
    jsonschema.validate(resp.json(), error_schema(contract))
    assert mockbaas._control("GET", "/bots")["bots"] == []


def test_only_the_named_operation_and_account(mockbaas):
    mockbaas.fault("join", account="key-a", status=500)
    joined = {"meeting_url": MEET_URL, "bot_name": "b", "reserved": False}
    assert mockbaas.request("POST", "/bots/", json_body=joined, api_key="key-a").status == 500
    assert mockbaas.request("POST", "/bots/", json_body=joined, api_key="key-b").status == 200
    assert mockbaas.request("GET", LIST, api_key="key-a").status == 200
    # nothing was created by the faulted call: the handler never ran
    assert len(mockbaas._control("GET", "/bots")["bots"]) == 1


def test_the_control_api_and_media_are_never_faulted(mockbaas):
    mockbaas.fault(status=500)
    assert mockbaas.clock()["now"]  # the control API answers
    assert mockbaas.request("GET", "/_mockbaas/health").status == 200
    assert mockbaas.request("GET", LIST).status == 500


def _pattern(client: MockClient, calls: int = 24) -> list[int]:
    client.fault("bots_with_metadata", status=503, probability=0.5)
    return [client.request("GET", LIST).status for _ in range(calls)]


def test_a_probability_is_drawn_from_the_seed(mockbaas, mockbaas_factory):
    first = _pattern(mockbaas)
    assert set(first) == {200, 503}
    mockbaas.reset()
    assert mockbaas.faults() == []  # a reset clears them
    assert _pattern(mockbaas) == first
    assert _pattern(mockbaas_factory(seed=1)) != first


def test_times_and_probability_together_fire_at_most_times(mockbaas):
    mockbaas.fault("bots_with_metadata", status=503, probability=0.5, times=3)
    statuses = [mockbaas.request("GET", LIST).status for _ in range(40)]
    assert statuses.count(503) == 3 and statuses[-10:] == [200] * 10
    mockbaas.reset()  # the same rule without `times`: the same draws, so the same first three
    mockbaas.fault("bots_with_metadata", status=503, probability=0.5)
    unbounded = [mockbaas.request("GET", LIST).status for _ in range(40)]
    assert unbounded.count(503) > 3
    firsts = [n for n, status in enumerate(unbounded) if status == 503][:3]
    assert [n for n, status in enumerate(statuses) if status == 503] == firsts


def test_a_dropped_connection(mockbaas):
    mockbaas.fault("bots_with_metadata", reset=True, times=1)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        mockbaas.request("GET", LIST)
    assert mockbaas.request("GET", LIST).status == 200
    # the log holds what the client got: no answer, then the real one
    dropped, answered = mockbaas.requests()
    assert dropped["status"] is None and answered["status"] == 200
    assert dropped["error"]["error"] == "connection_reset"
    assert "dropped without an answer" in dropped["error"]["message"]
    assert dropped["violation"] is False
    mockbaas.assert_contract_kept()


def test_latency_is_real_time(mockbaas):
    """A client with a short timeout times out behind an injected 3 s latency; the next
    call, past the fault's one use, is answered."""
    mockbaas.fault("bots_with_metadata", latency_seconds=3, times=1)
    impatient = MockClient(mockbaas.url, api_key=mockbaas.api_key, timeout=0.3)
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        impatient.request("GET", LIST)
    assert mockbaas.clock()["now"] == "2025-01-06T09:00:00.000Z"  # virtual time stood still


def test_latency_then_the_real_answer(mockbaas):
    mockbaas.fault("bots_with_metadata", latency_seconds=0.01, times=1)
    resp = mockbaas.request("GET", LIST)
    assert resp.status == 200 and resp.json()["bots"] == []


def test_rules_are_listed_removed_and_cleared(mockbaas):
    mockbaas.fault("join", status=500)
    mockbaas.fault("leave", status=502)
    assert [r["operation_id"] for r in mockbaas.faults()] == ["join", "leave"]
    mockbaas.clear_faults(1)
    assert [r["id"] for r in mockbaas.faults()] == [2]
    mockbaas.clear_faults()
    assert mockbaas.faults() == []
    resp = mockbaas.request("DELETE", "/_mockbaas/faults/api/9")
    assert resp.status == 404 and "fault 9 not found" in resp.json()["message"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "give status, latency_seconds or reset"),
        ({"operation_id": "nope", "status": 500}, "operation_id: one of"),
        ({"operation_id": "listbots", "status": 500}, 'did you mean "listBots"?'),
        ({"status": 200}, "status: must be an HTTP error status"),
        ({"status": True}, "status: must be a whole number"),
        ({"retry_after": 3, "latency_seconds": 1}, "retry_after: only with a status"),
        ({"status": 429, "retry_after": -1}, "retry_after: must be whole seconds"),
        ({"latency_seconds": 31}, "latency_seconds: must be 0 to 30"),
        ({"latency_seconds": float("nan")}, "NaN is not valid JSON"),
        ({"status": 500, "reset": True}, "reset: a dropped connection has no status"),
        ({"status": 500, "times": 0}, "times: must be a whole number"),
        ({"status": 500, "probability": 0}, "probability: must be above 0"),
        ({"status": 500, "probability": 1.5}, "probability: must be above 0"),
        ({"status": 500, "every": 2}, "every: unknown field"),
        ({"message": "x", "reset": True}, "message: only with a status"),
    ],
)
def test_bad_rules_are_refused_and_change_nothing(mockbaas, body, message):
    data = json.dumps(body, allow_nan=True).encode()
    resp = mockbaas.request(
        "POST", "/_mockbaas/faults/api", data=data, headers={"content-type": "application/json"}
    )
    assert resp.status in (400, 422), resp.body
    assert message in resp.json()["message"]
    assert mockbaas.faults() == []
