"""Deliberate misbehaviour for testing receivers: duplicates, delays, swapped pairs.
Off by default; a reset restores the configured faults."""

from __future__ import annotations

import json
from typing import Any

from support import MEET_URL

from mockbaas.config import Settings
from mockbaas.testing import BackgroundServer, MockClient, WebhookReceiver
from mockbaas.webhooks import Faults

OFF = {"duplicate": False, "delay_seconds": 0.0, "out_of_order": False}
HAPPY = ["joining_call", "in_call_not_recording", "in_call_recording", "call_ended", "complete"]


def code_of(payload: dict[str, Any]) -> str:
    data = payload["data"]
    return data["status"]["code"] if payload["event"] == "bot.status_change" else payload["event"]


def codes(receiver: WebhookReceiver) -> list[str]:
    return [code_of(p) for p in receiver.events()]


def first_attempts(api: MockClient, bot: str) -> dict[str, str]:
    return {code_of(d["payload"]): d["attempts"][0]["at"][11:19] for d in api.webhooks(bot_id=bot)}


def test_faults_are_off_by_default(api: MockClient, mockbaas_receiver):
    assert api.request("GET", "/_mockbaas/webhooks/faults").json() == OFF
    bot = api.join(MEET_URL, webhook_url=mockbaas_receiver.url)
    api.advance(3600)
    assert codes(mockbaas_receiver) == HAPPY
    assert len(mockbaas_receiver.received) == 5
    assert first_attempts(api, bot) == {
        "joining_call": "09:00:00",
        "in_call_not_recording": "09:00:08",
        "in_call_recording": "09:00:10",
        "call_ended": "09:30:10",
        "complete": "09:30:15",
    }


def test_duplicate_posts_every_event_twice_with_the_same_id(api: MockClient, mockbaas_receiver):
    assert api.set_faults(duplicate=True)["duplicate"] is True
    bot = api.join(MEET_URL, webhook_url=mockbaas_receiver.url)
    api.advance(3600)
    received = mockbaas_receiver.received
    assert codes(mockbaas_receiver) == [code for code in HAPPY for _ in (1, 2)]
    journal = api.webhooks(bot_id=bot)
    pairs = list(zip(received[::2], received[1::2], strict=True))
    for delivery, pair in zip(journal, pairs, strict=True):
        first, second = pair
        assert first.delivery_id == second.delivery_id == delivery["id"]
        assert first.body == second.body
        assert [r.headers["x-mockbaas-attempt"] for r in pair] == ["1", "2"]
        assert [a["kind"] for a in delivery["attempts"]] == ["delivery", "duplicate"]
        assert delivery["attempts"][0]["at"] == delivery["attempts"][1]["at"]


def test_delay_holds_each_first_attempt_without_reordering(api: MockClient, mockbaas_receiver):
    api.set_faults(delay_seconds=30)
    bot = api.join(MEET_URL, webhook_url=mockbaas_receiver.url)
    api.advance(29.999)
    assert mockbaas_receiver.received == []
    [joining, *_] = api.webhooks(bot_id=bot)
    assert joining["next_attempt_at"] == "2025-01-06T09:00:30.000Z"
    api.advance(3600)
    assert codes(mockbaas_receiver) == HAPPY
    assert first_attempts(api, bot) == {
        "joining_call": "09:00:30",
        "in_call_not_recording": "09:00:38",
        "in_call_recording": "09:00:40",
        "call_ended": "09:30:40",
        "complete": "09:30:45",
    }


def test_delay_and_retries_add_up(api: MockClient, mockbaas_receiver):
    api.set_faults(delay_seconds=5)
    mockbaas_receiver.fail_next(1)
    bot = api.join(MEET_URL, webhook_url=mockbaas_receiver.url)
    api.advance(20)
    journal = api.webhooks(bot_id=bot)
    # joining: +5 fails, retry 2 s later; in_call_not_recording (+8) is then due at +13
    assert [[a["at"][11:19] for a in d["attempts"]] for d in journal] == [
        ["09:00:05", "09:00:07"],
        ["09:00:13"],
        ["09:00:15"],
    ]
    assert codes(mockbaas_receiver) == HAPPY[:3]


def test_out_of_order_swaps_pairs_and_loses_nothing(api: MockClient, mockbaas_receiver):
    api.set_faults(out_of_order=True)
    bot = api.join(MEET_URL, webhook_url=mockbaas_receiver.url)
    api.advance(8)
    # joining_call was held until its partner came: the partner goes first
    assert codes(mockbaas_receiver) == ["in_call_not_recording", "joining_call"]
    api.advance(3600)
    assert codes(mockbaas_receiver) == [
        "in_call_not_recording",
        "joining_call",
        "in_call_recording",  # no partner within 60 s: sent alone, not lost
        "complete",
        "call_ended",
    ]
    assert first_attempts(api, bot) == {
        "joining_call": "09:00:08",
        "in_call_not_recording": "09:00:08",
        "in_call_recording": "09:01:10",
        "call_ended": "09:30:15",
        "complete": "09:30:15",
    }
    assert {d["state"] for d in api.webhooks(bot_id=bot)} == {"delivered"}


def test_out_of_order_is_the_same_every_run(api: MockClient, mockbaas_receiver):
    def run() -> list[bytes]:
        api.reset()
        mockbaas_receiver.clear()
        api.set_faults(out_of_order=True)
        rejected = {"mockbaas_scenario": "rejected"}
        api.join(MEET_URL, webhook_url=mockbaas_receiver.url, extra=rejected)
        api.advance(600)
        return [r.body for r in mockbaas_receiver.received]

    first = run()
    assert [code_of(json.loads(b)) for b in first] == [
        "in_waiting_room",
        "joining_call",
        "failed",
        "bot_rejected",
    ]
    assert run() == first


def test_reset_restores_the_configured_faults(api: MockClient, mockbaas_receiver):
    api.set_faults(duplicate=True, delay_seconds=3, out_of_order=True)
    api.reset()
    assert api.request("GET", "/_mockbaas/webhooks/faults").json() == OFF
    api.join(MEET_URL, webhook_url=mockbaas_receiver.url)
    api.advance(1)
    assert len(mockbaas_receiver.received) == 1

    configured = Faults(duplicate=True)
    with BackgroundServer(Settings(port=0, strict=True, faults=configured)) as server:
        own = MockClient(server.url)
        on = {**OFF, "duplicate": True}
        assert own.request("GET", "/_mockbaas/webhooks/faults").json() == on
        assert own.set_faults(duplicate=False, delay_seconds=1) == {**OFF, "delay_seconds": 1.0}
        assert configured == Faults(duplicate=True)  # the settings were not touched
        own.reset()
        assert own.request("GET", "/_mockbaas/webhooks/faults").json() == on


def test_bad_fault_settings_are_refused(api: MockClient):
    for body in ({"duplicate": "yes"}, {"delay_seconds": -1}, {"chaos": True}, [1]):
        resp = api.request("PUT", "/_mockbaas/webhooks/faults", json_body=body)
        assert resp.status in (400, 422), body
        assert resp.json()["error"] == "validation_error"
    assert api.request("GET", "/_mockbaas/webhooks/faults").json() == OFF


def test_a_refused_fault_setting_changes_nothing(api: MockClient):
    for body in (
        {"duplicate": True, "delay_seconds": -1},
        {"duplicate": True, "out_of_order": "yes"},
        {"out_of_order": True, "chaos": True},
    ):
        resp = api.request("PUT", "/_mockbaas/webhooks/faults", json_body=body)
        assert resp.status == 422, body
        assert api.request("GET", "/_mockbaas/webhooks/faults").json() == OFF, body
