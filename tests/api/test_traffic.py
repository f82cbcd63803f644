"""The traffic log: what a client under test sent, and which calls broke the contract."""

from __future__ import annotations

import pytest
from support import JOIN, MEET_URL

UNKNOWN_BOT = "7c65c1e5-82e2-4662-b728-b4fa42485e3a"


def test_calls_are_logged_with_their_answers_and_control_calls_are_not(api):
    bot_id = api.join(MEET_URL)
    api.advance(60)
    api.request("GET", "/bots/meeting_data", params={"bot_id": bot_id})
    api.request("GET", "/bots/meeting_data", params={"bot_id": UNKNOWN_BOT})
    log = api.requests()
    assert [(e["method"], e["path"], e["operation_id"], e["status"]) for e in log] == [
        ("POST", "/bots/", "join", 200),
        ("GET", "/bots/meeting_data", "get_meeting_data", 200),
        ("GET", "/bots/meeting_data", "get_meeting_data", 404),
    ]
    assert log[1]["query"] == f"bot_id={bot_id}"
    assert [e["seq"] for e in log] == [1, 2, 3]
    assert log[1]["at"] == "2025-01-06T09:01:00.000Z"
    # an unknown id is behaviour, not a broken contract
    assert [e["violation"] for e in log] == [False, False, False]
    assert log[2]["error"]["error"] == "not_found"
    api.assert_contract_kept()


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("POST", "/bots/", {"json_body": {**JOIN, "bot_name": 7}}, 422),
        ("POST", "/bots/", {"data": b"{", "headers": {"content-type": "application/json"}}, 400),
        ("POST", "/bots/", {"data": b"x", "headers": {"content-type": "text/plain"}}, 415),
        ("GET", "/bots/bots_with_metadata", {"params": {"limit": 0}}, 400),
        ("GET", "/bots/meeting_data", {"params": {"bot_id": UNKNOWN_BOT}, "api_key": ""}, 401),
        ("DELETE", "/bots/meeting_data", {}, 405),
        ("GET", "/v3/bots", {}, 404),
    ],
)
def test_calls_the_contract_refuses_are_violations(api, method, path, kwargs, status):
    resp = api.request(method, path, **kwargs)
    assert resp.status == status
    [entry] = api.requests(violations=True)
    assert (entry["method"], entry["path"], entry["status"]) == (method, path, status)
    assert entry["violation"] is True
    assert entry["error"]["message"] == resp.json()["message"]
    with pytest.raises(AssertionError) as failure:
        api.assert_contract_kept()
    assert f"{method} {path}" in str(failure.value)
    assert resp.json()["message"] in str(failure.value)


def test_filter_by_operation_and_reset_forgets(api):
    api.join(MEET_URL)
    api.request("GET", "/bots/bots_with_metadata")
    assert [e["operation_id"] for e in api.requests(operation_id="join")] == ["join"]
    api.reset()
    assert api.requests() == []


def test_bad_filter_is_a_400(api):
    resp = api.request("GET", "/_mockbaas/requests", params={"violations": "maybe"})
    assert resp.status == 400
    assert resp.json()["details"][0]["path"] == "violations"


def test_a_misspelled_control_filter_is_a_400_not_everything(api):
    api.join(MEET_URL)
    resp = api.request("GET", "/_mockbaas/requests", params={"violation": "true"})
    assert resp.status == 400
    [detail] = resp.json()["details"]
    assert detail == {
        "location": "query",
        "path": "violation",
        "message": "unknown parameter; expected operation_id, violations; "
        'did you mean "violations"?',
    }
    # an operation without parameters takes what it is sent, as before
    assert api.request("GET", "/_mockbaas/clock", params={"cache": "1"}).status == 200


def test_unknown_operation_id_is_a_400_naming_it(api):
    """A typo in the filter must not look like "no such calls"."""
    api.join(MEET_URL)
    resp = api.request("GET", "/_mockbaas/requests", params={"operation_id": "nope"})
    assert resp.status == 400
    body = resp.json()
    assert body["details"][0]["path"] == "operation_id"
    assert "join" in body["details"][0]["message"]
    assert api.requests(operation_id="join")  # a known one still filters


def test_a_refused_webhook_target_is_policy_not_a_contract_violation(api):
    refused = api.request("POST", "/bots/", json_body={**JOIN, "webhook_url": "http://x.example/h"})
    assert refused.status == 422 and "--webhook-allow" in refused.json()["message"]
    broken = api.request("POST", "/bots/", json_body={**JOIN, "bot_name": 7})
    assert broken.status == 422
    logged = [(e["status"], e["violation"]) for e in api.requests()]
    assert logged == [(422, False), (422, True)]
    assert [e["status"] for e in api.requests(violations=True)] == [422]


def test_a_field_the_contract_does_not_declare_one_level_down_is_flagged(api):
    """The contract lets `automatic_leave` and its like carry more than their own
    fields, so a misspelt one is accepted and ignored, as the real API would: the
    traffic log names it, and `assert_contract_kept()` fails on it."""
    leave = {"waiting_room_timout": 10, "noone_joined_timeout": 60}
    resp = api.request("POST", "/bots/", json_body={**JOIN, "automatic_leave": leave})
    assert resp.status == 200
    resp = api.request("POST", "/bots/", json_body={**JOIN, "deduplication_key": "k2"})
    assert resp.status == 200  # nothing undeclared: no flag
    [flagged] = api.requests(violations=True)
    assert flagged["ignored_params"] == ["body.automatic_leave.waiting_room_timout"]
    assert flagged["status"] == 200
    with pytest.raises(AssertionError, match=r"body\.automatic_leave\.waiting_room_timout"):
        api.assert_contract_kept()


def test_retranscribe_flags_a_misspelt_top_level_field(api):
    bot = api.join(MEET_URL)
    api.run_until_idle()
    body = {"bot_uuid": bot, "webhok_url": "http://127.0.0.1:9/x"}
    assert api.request("POST", "/bots/retranscribe", json_body=body).status == 202
    [flagged] = api.requests(violations=True)
    assert flagged["ignored_params"] == ["body.webhok_url"]
