"""Retries on the virtual clock, per-bot order, `failed` after the last attempt,
redelivery, timeouts and refused connections, and byte-for-byte replay."""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

from support import API_KEY, MEET_URL, per_subject

from mockbaas.clock import parse_iso
from mockbaas.config import Settings
from mockbaas.testing import BackgroundServer, MockClient, WebhookReceiver

OTHER_MEET = "https://meet.google.com/xyz-abcd-efg"
HTTP_500 = "answered HTTP 500 (not 2xx)"


def code_of(payload: dict[str, Any]) -> str:
    data = payload["data"]
    return data["status"]["code"] if payload["event"] == "bot.status_change" else payload["event"]


def seen(receiver: WebhookReceiver) -> list[tuple[str, str, int]]:
    """(bot, event or status code, answer) of every post, in arrival order."""
    return [(r.json()["data"]["bot_id"], code_of(r.json()), r.answered) for r in receiver.received]


def attempts(delivery: dict[str, Any]) -> list[tuple[int, str, str, int | None, str | None]]:
    return [
        (a["number"], a["kind"], a["at"][11:19], a["status_code"], a["error"])
        for a in delivery["attempts"]
    ]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhooks"


def test_failed_attempts_are_retried_on_schedule_and_later_events_wait(
    api: MockClient, mockbaas_receiver
):
    rcv = mockbaas_receiver
    calm = api.join(OTHER_MEET, webhook_url=rcv.url)
    # posts to different bots run concurrently: the stuck bot fails at a URL of its own
    rcv.fail_next(3, path="/webhooks/stuck")
    stuck = api.join(MEET_URL, webhook_url=rcv.url + "/stuck")
    api.advance(1)
    [first] = api.webhooks(bot_id=stuck)
    assert first["state"] == "pending"
    assert first["next_attempt_at"] == "2025-01-06T09:00:02.000Z"
    api.advance(11)  # t = 12 s: attempts at 0, 2, 6 failed, next at 14; two events wait
    journal = api.webhooks(bot_id=stuck)
    assert [(d["state"], d["next_attempt_at"]) for d in journal] == [
        ("pending", "2025-01-06T09:00:14.000Z"),
        ("pending", None),
        ("pending", None),
    ]
    api.advance(10)
    # the default schedule 2, 4, 8, 16: attempts at +0, +2, +6, +14; the calm bot's
    # events were never held back by the stuck one (each bot's own order holds)
    assert [hit for hit in seen(rcv) if hit[0] == calm] == [
        (calm, "joining_call", 200),
        (calm, "in_call_not_recording", 200),
        (calm, "in_call_recording", 200),
    ]
    assert [hit for hit in seen(rcv) if hit[0] == stuck] == [
        (stuck, "joining_call", 500),
        (stuck, "joining_call", 500),
        (stuck, "joining_call", 500),
        (stuck, "joining_call", 200),
        (stuck, "in_call_not_recording", 200),
        (stuck, "in_call_recording", 200),
    ]
    assert [a["at"][11:19] for d in api.webhooks(bot_id=calm) for a in d["attempts"]] == [
        "09:00:00",
        "09:00:08",
        "09:00:10",
    ]
    journal = api.webhooks(bot_id=stuck)
    assert attempts(journal[0]) == [
        (1, "delivery", "09:00:00", 500, HTTP_500),
        (2, "delivery", "09:00:02", 500, HTTP_500),
        (3, "delivery", "09:00:06", 500, HTTP_500),
        (4, "delivery", "09:00:14", 200, None),
    ]
    # held back events keep the time they happened in their payload
    assert [d["payload"]["data"]["status"]["created_at"][11:19] for d in journal] == [
        "09:00:00",
        "09:00:08",
        "09:00:10",
    ]
    assert [attempts(d) for d in journal[1:]] == [
        [(1, "delivery", "09:00:14", 200, None)],
        [(1, "delivery", "09:00:14", 200, None)],
    ]
    assert all(d["state"] == "delivered" for d in journal)
    posts = [r for r in rcv.received if r.json()["data"]["bot_id"] == stuck]
    assert [r.headers["x-mockbaas-attempt"] for r in posts[:4]] == ["1", "2", "3", "4"]
    assert len({r.delivery_id for r in posts[:4]}) == 1
    assert len({r.body for r in posts[:4]}) == 1


def test_failed_after_the_last_attempt_then_redelivered(api: MockClient, mockbaas_receiver, caplog):
    rcv = mockbaas_receiver
    rcv.go_down(503)
    bot = api.join(MEET_URL, webhook_url=rcv.url)
    with caplog.at_level(logging.WARNING, logger="mockbaas.webhooks"):
        api.advance(29)
        [joining, *_] = api.webhooks(bot_id=bot)
        assert joining["state"] == "pending"
        api.advance(1)  # the fifth and last attempt, at +30 s
    journal = api.webhooks(bot_id=bot)
    down = "answered HTTP 503 (not 2xx)"
    assert journal[0]["state"] == "failed"
    assert journal[0]["next_attempt_at"] is None
    assert attempts(journal[0]) == [
        (1, "delivery", "09:00:00", 503, down),
        (2, "delivery", "09:00:02", 503, down),
        (3, "delivery", "09:00:06", 503, down),
        (4, "delivery", "09:00:14", 503, down),
        (5, "delivery", "09:00:30", 503, down),
    ]
    # the next event went out at once, found the receiver still down, and retries
    assert attempts(journal[1]) == [(1, "delivery", "09:00:30", 503, down)]
    assert journal[1]["next_attempt_at"] == "2025-01-06T09:00:32.000Z"
    assert api.webhooks(state="failed") == [journal[0]]
    assert any(
        journal[0]["id"] in r.getMessage() and "failed after 5 attempts" in r.getMessage()
        for r in caplog.records
    )

    rcv.come_back()
    api.advance(2)
    assert [code_of(p) for p in rcv.events()] == ["in_call_not_recording", "in_call_recording"]
    failed_posts = [r for r in rcv.received if r.delivery_id == journal[0]["id"]]
    assert len(failed_posts) == 5

    again = api.redeliver(journal[0]["id"])
    assert again["state"] == "delivered"
    assert attempts(again)[-1] == (6, "redelivery", "09:00:32", 200, None)
    last = rcv.received[-1]
    assert last.answered == 200
    assert last.delivery_id == journal[0]["id"]
    assert last.body == failed_posts[0].body
    assert last.headers["x-mockbaas-attempt"] == "6"
    assert last.headers["x-meeting-baas-api-key"] == API_KEY
    assert api.webhooks(state="failed") == []


def test_redelivering_a_delivered_event_sends_the_same_bytes(api: MockClient, mockbaas_receiver):
    bot = api.join(MEET_URL, webhook_url=mockbaas_receiver.url)
    api.advance(1)
    [delivery] = api.webhooks(bot_id=bot)
    api.redeliver(delivery["id"])
    first, second = mockbaas_receiver.received
    assert first.body == second.body
    assert first.delivery_id == second.delivery_id == delivery["id"]
    assert (first.headers["x-mockbaas-attempt"], second.headers["x-mockbaas-attempt"]) == (
        "1",
        "2",
    )
    [after] = api.webhooks(bot_id=bot)
    assert after["state"] == "delivered"
    assert [a["kind"] for a in after["attempts"]] == ["delivery", "redelivery"]


def test_redelivering_a_pending_event_releases_the_ones_behind_it(
    api: MockClient, mockbaas_receiver
):
    rcv = mockbaas_receiver
    rcv.fail_next(1)
    bot = api.join(MEET_URL, webhook_url=rcv.url)
    api.advance(1)
    [joining] = api.webhooks(bot_id=bot)
    assert joining["state"] == "pending"
    assert api.redeliver(joining["id"])["state"] == "delivered"
    api.advance(20)
    assert [code_of(p) for p in rcv.events()] == [
        "joining_call",
        "in_call_not_recording",
        "in_call_recording",
    ]
    [joining, *_] = api.webhooks(bot_id=bot)
    # the retry that was due at +2 s was dropped: the event was already delivered
    assert [a["kind"] for a in joining["attempts"]] == ["delivery", "redelivery"]


def test_timeouts_and_refused_connections_are_failed_attempts(mockbaas_receiver):
    rcv = mockbaas_receiver
    # a timeout wide enough that a busy machine's healthy answer still fits in it
    settings = Settings(port=0, strict=True, webhook_timeout=1.5, webhook_schedule=(1.0,))
    with BackgroundServer(settings) as server:
        api = MockClient(server.url)
        rcv.answer_after(3.0)
        slow = api.join(MEET_URL, webhook_url=rcv.url)
        refused = api.join(OTHER_MEET, webhook_url=closed_port_url())
        api.advance(0)  # waits until the first attempts came back (timed out, refused)
        rcv.answer_after(0)
        api.advance(1)
        [slow_hook] = api.webhooks(bot_id=slow)
        assert attempts(slow_hook) == [
            (1, "delivery", "09:00:00", None, "timed out: no answer within 1.5 s"),
            (2, "delivery", "09:00:01", 200, None),
        ]
        assert slow_hook["state"] == "delivered"
        # the receiver did get the first post; it answered after the sender gave up
        assert [r.delivery_id for r in rcv.received] == [slow_hook["id"]] * 2
        [refused_hook] = api.webhooks(bot_id=refused)
        port = refused_hook["url"].split(":")[2].split("/")[0]
        error = f"connection refused by 127.0.0.1:{port}"
        assert attempts(refused_hook) == [
            (1, "delivery", "09:00:00", None, error),
            (2, "delivery", "09:00:01", None, error),
        ]
        assert refused_hook["state"] == "failed"
        assert refused_hook["url"] == f"http://127.0.0.1:{port}/webhooks"


def _script(api: MockClient, rcv: WebhookReceiver) -> None:
    """A bit of everything: retries, transcripts, failures, removal, calendars."""
    api.request("POST", "/accounts/webhook_url", json_body={"webhook_url": rcv.url + "/acct"})
    # only the talking bot posts to /webhooks: which subject's post arrives first is up
    # to concurrent delivery, so failures aimed at "the next two posts" would not replay
    rcv.fail_next(2, path="/webhooks")
    talk = api.join(MEET_URL, webhook_url=rcv.url, speech_to_text={"provider": "Default"})
    api.join(OTHER_MEET, extra={"mockbaas_scenario": "rejected"})
    gone = api.join(
        "https://meet.google.com/qqq-wwww-eee", extra={"mockbaas_scenario": "until_removed"}
    )
    api.advance(60)
    api.request("DELETE", f"/bots/{gone}")
    api.request(
        "POST",
        "/calendars/",
        json_body={
            "platform": "Google",
            "oauth_client_id": "id",
            "oauth_client_secret": "secret",
            "oauth_refresh_token": "token",
        },
    )
    api.advance(3600)
    api.request("POST", "/bots/retranscribe", json_body={"bot_uuid": talk})
    api.request("POST", "/internal/calendar/resync_all")
    api.advance(60)


def _run(seed: int) -> tuple[list[tuple[str, bytes, dict[str, str]]], list[dict[str, Any]]]:
    settings = Settings(
        port=0, strict=True, seed=seed, public_url="http://mockbaas.test", media_secret="fixed"
    )
    with BackgroundServer(settings) as server, WebhookReceiver() as rcv:
        api = MockClient(server.url)
        _script(api, rcv)
        journal = api.webhooks()
        received = [
            (
                r.path,
                r.body,
                {k: r.headers[k] for k in ("x-mockbaas-delivery-id", "x-mockbaas-attempt")},
            )
            for r in rcv.received
        ]
    # posts to different subjects run concurrently: each subject's order is what holds
    subject = {d["id"]: d["subject"] for d in journal}
    received.sort(key=lambda hit: subject[hit[2]["x-mockbaas-delivery-id"]])
    for delivery in journal:  # the receiver's port is the only thing allowed to differ
        assert delivery.pop("url").startswith(rcv.url)
        for attempt in delivery["attempts"]:
            assert attempt.pop("url").startswith(rcv.url)
    return received, journal


def test_same_seed_same_bytes():
    received, journal = _run(seed=7)
    again, journal_again = _run(seed=7)
    assert len(received) > 15
    assert {path for path, _, _ in received} == {"/webhooks", "/webhooks/acct"}
    # the two refusals hit the talking bot's first event, and nothing else was retried
    retried = [
        (path, h["x-mockbaas-attempt"]) for path, _, h in received if h["x-mockbaas-attempt"] != "1"
    ]
    assert retried == [("/webhooks", "2"), ("/webhooks", "3")]
    # the same posts, byte for byte and headers included, in the same order per subject
    assert sorted(map(repr, again)) == sorted(map(repr, received))
    assert per_subject([body for _, body, _ in again]) == per_subject(
        [body for _, body, _ in received]
    )
    assert journal_again == journal
    assert {d["event"] for d in journal} == {
        "bot.status_change",
        "complete",
        "failed",
        "transcription_complete",
        "calendar.sync_events",
    }
    other, _ = _run(seed=8)
    assert [body for _, body, _ in other] != [body for _, body, _ in received]


def test_a_realtime_server_retries_on_its_own(mockbaas_receiver):
    """No `advance`: the realtime clock runs the retries; stamps stay exact."""
    rcv = mockbaas_receiver
    settings = Settings(port=0, strict=True, clock="realtime", speed=2000)
    with BackgroundServer(settings) as server:
        api = MockClient(server.url)
        rcv.fail_next(2)
        bot = api.join(MEET_URL, webhook_url=rcv.url)
        for _ in range(1000):  # bounded wait: about 20 virtual seconds of wall time
            journal = api.webhooks(bot_id=bot)
            if len(journal) >= 3 and {d["state"] for d in journal} == {"delivered"}:
                break
            time.sleep(0.005)
    first, second, third = journal[:3]
    times = [parse_iso(a["at"]) for a in first["attempts"]]
    assert [t - times[0] for t in times] == [0, 2000, 6000]
    assert [a["status_code"] for a in first["attempts"]] == [500, 500, 200]
    assert parse_iso(first["created_at"]) == times[0]
    # the later events waited for the third attempt, then went out in order
    for later, offset in ((second, 8000), (third, 10_000)):
        assert parse_iso(later["created_at"]) - times[0] == offset
        [attempt] = later["attempts"]
        assert parse_iso(attempt["at"]) == max(times[2], parse_iso(later["created_at"]))
    assert [code_of(p) for p in rcv.events()] == [
        "joining_call",
        "in_call_not_recording",
        "in_call_recording",
    ]
