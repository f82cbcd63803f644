"""What webhooks are sent, where, and with which headers: exact sequences collected by a
real receiver on loopback, every payload checked against openapi.json's `webhooks`."""

from __future__ import annotations

import logging
import urllib.parse
from typing import Any

from support import API_KEY, MEET_URL

from mockbaas.bots import lifecycle as lc
from mockbaas.config import Settings
from mockbaas.testing import BackgroundServer, MockClient

STT = {"provider": "Default"}
CALENDAR = {
    "platform": "Google",
    "oauth_client_id": "client-id",
    "oauth_client_secret": "client-secret",
    "oauth_refresh_token": "refresh-token",
}


def status(bot: str, code: str, at: str, **extra: str) -> dict[str, Any]:
    return {
        "event": "bot.status_change",
        "data": {"bot_id": bot, "status": {"code": code, "created_at": at, **extra}},
    }


def check_contract(contract, received) -> None:
    for hit in received:
        payload = hit.json()
        assert contract.webhook_errors(payload["event"], payload) == [], payload


def check_headers(received, key: str, journal: list[dict[str, Any]]) -> None:
    """Every post carries the account's key, JSON content type and the journal's id."""
    ids = [d["id"] for d in journal]
    assert len(set(ids)) == len(ids)
    assert [hit.delivery_id for hit in received] == ids
    for hit in received:
        assert hit.headers["content-type"] == "application/json"
        assert hit.headers["x-meeting-baas-api-key"] == key
        assert hit.headers["x-mockbaas-attempt"] == "1"
        assert hit.headers["user-agent"] == "mockbaas-webhooks"


def test_happy_path_sequence_is_exact(api: MockClient, mockbaas_receiver, contract):
    rcv = mockbaas_receiver
    bot = api.join(MEET_URL, webhook_url=rcv.url, speech_to_text=STT)
    api.advance(3600)

    events = rcv.events()
    complete = events[-1]["data"]
    mp4 = urllib.parse.urlsplit(complete["mp4"])
    signature = urllib.parse.parse_qs(mp4.query)["X-Amz-Signature"][0]
    expires = 1736155815000 + 2 * 3600 * 1000  # complete at 09:30:15Z, links last 2 hours
    audio = urllib.parse.urlsplit(complete["audio"])
    audio_signature = urllib.parse.parse_qs(audio.query)["X-Amz-Signature"][0]
    data = api.request("GET", "/bots/meeting_data", params={"bot_id": bot}).json()
    transcript = [
        {
            "speaker": t["speaker"],
            "offset": t["start_time"],
            "words": [
                {"start": w["start_time"], "end": w["end_time"], "word": w["text"]}
                for w in t["words"]
            ],
        }
        for t in data["bot_data"]["transcripts"]
    ]
    listed = api.request("GET", "/bots/bots_with_metadata").json()["bots"][0]
    assert transcript and listed["speakers"]
    assert events == [
        status(bot, "joining_call", "2025-01-06T09:00:00.000Z"),
        status(bot, "in_call_not_recording", "2025-01-06T09:00:08.000Z"),
        status(
            bot,
            "in_call_recording",
            "2025-01-06T09:00:10.000Z",
            start_time="2025-01-06T09:00:10.000Z",
        ),
        status(bot, "call_ended", "2025-01-06T09:30:10.000Z", end_reason="no_attendees"),
        {
            "event": "complete",
            "data": {
                "bot_id": bot,
                "event_uuid": None,
                "mp4": f"{api.url}/_mockbaas/media/{bot}/recording.mp4"
                f"?X-Amz-Expires={expires}&X-Amz-Signature={signature}",
                "audio": f"{api.url}/_mockbaas/media/{bot}/audio.wav"
                f"?X-Amz-Expires={expires}&X-Amz-Signature={audio_signature}",
                "speakers": listed["speakers"],
                "transcript": transcript,
                "event": "complete",
                "extra": {},
            },
        },
    ]
    # the signed link in the webhook really serves the recording
    for link in (complete["mp4"], complete["audio"]):
        assert api.request("GET", link[len(api.url) :]).status == 200
    assert all(hit.answered == 200 and hit.path == "/webhooks" for hit in rcv.received)
    journal = api.webhooks(bot_id=bot)
    check_headers(rcv.received, API_KEY, journal)
    check_contract(contract, rcv.received)
    assert [d["payload"] for d in journal] == events
    assert [d["state"] for d in journal] == ["delivered"] * 5


def test_failure_path_sequence_is_exact(api: MockClient, mockbaas_receiver, contract):
    rcv = mockbaas_receiver
    bot = api.join(MEET_URL, webhook_url=rcv.url, extra={"mockbaas_scenario": "rejected"})
    api.advance(600)
    assert rcv.events() == [
        status(bot, "joining_call", "2025-01-06T09:00:00.000Z"),
        status(bot, "in_waiting_room", "2025-01-06T09:00:05.000Z"),
        status(bot, "bot_rejected", "2025-01-06T09:00:25.000Z"),
        {
            "event": "failed",
            "data": {
                "bot_id": bot,
                "event_uuid": None,
                "error": "BotNotAccepted",
                "message": lc.ERROR_MESSAGES["BotNotAccepted"],
                "extra": {"mockbaas_scenario": "rejected"},
            },
        },
    ]
    check_headers(rcv.received, API_KEY, api.webhooks(bot_id=bot))
    check_contract(contract, rcv.received)


def test_meeting_errors_carry_their_type_and_message(api: MockClient, mockbaas_receiver, contract):
    rcv = mockbaas_receiver
    cannot = api.join(MEET_URL, webhook_url=rcv.url, extra={"mockbaas_scenario": "cannot_join"})
    api.advance(60)
    message = "The meeting is only open to signed-in users invited to it."
    assert rcv.events() == [
        status(cannot, "joining_call", "2025-01-06T09:00:00.000Z"),
        status(
            cannot,
            "meeting_error",
            "2025-01-06T09:00:15.000Z",
            error_type="CannotJoinMeeting",
            error_message=message,
        ),
        {
            "event": "failed",
            "data": {
                "bot_id": cannot,
                "event_uuid": None,
                "error": "CannotJoinMeeting",
                "message": message,
                "extra": {"mockbaas_scenario": "cannot_join"},
            },
        },
    ]
    rcv.clear()
    # an error during the recording ends the call and still delivers what was recorded
    broken = api.join(
        "https://meet.google.com/xyz-abcd-efg",
        webhook_url=rcv.url,
        extra={"mockbaas_scenario": "meeting_error"},
    )
    api.advance(3600)
    events = rcv.events()
    assert [e["event"] for e in events] == ["bot.status_change"] * 5 + ["complete"]
    assert events[3] == status(
        broken,
        "meeting_error",
        "2025-01-06T09:16:10.000Z",
        error_type="InternalError",
        error_message="The connection to the meeting was lost.",
    )
    assert events[4] == status(
        broken, "call_ended", "2025-01-06T09:16:10.000Z", end_reason="meeting_error"
    )
    assert events[5]["data"]["bot_id"] == broken
    assert events[5]["data"]["speakers"] == []  # no transcription asked: no speakers
    assert "transcript" not in events[5]["data"]
    check_contract(contract, rcv.received)


def test_each_account_signs_with_its_own_key(api: MockClient, mockbaas_receiver):
    other = MockClient(api.url, api_key="other-key")
    bot = other.join(MEET_URL, webhook_url=mockbaas_receiver.url)
    api.advance(1)
    [hit] = mockbaas_receiver.received
    assert hit.json()["data"]["bot_id"] == bot
    assert hit.headers["x-meeting-baas-api-key"] == "other-key"


def test_bot_url_beats_account_url_beats_default(mockbaas_receiver):
    rcv = mockbaas_receiver
    settings = Settings(port=0, strict=True, webhook_url=rcv.url + "/default")
    with BackgroundServer(settings) as server:
        api = MockClient(server.url)
        other = MockClient(server.url, api_key="other-key")
        resp = api.request(
            "POST", "/accounts/webhook_url", json_body={"webhook_url": rcv.url + "/account"}
        )
        assert resp.status == 200
        own = api.join(MEET_URL, webhook_url=rcv.url + "/bot")
        account = api.join("https://meet.google.com/aaa-bbbb-ccc")
        default = other.join(MEET_URL)
        api.advance(1)
        seen = {
            hit.json()["data"]["bot_id"]: (hit.path, hit.headers["x-meeting-baas-api-key"])
            for hit in rcv.received
        }
        assert seen == {
            own: ("/webhooks/bot", API_KEY),
            account: ("/webhooks/account", API_KEY),
            default: ("/webhooks/default", "other-key"),
        }
        assert [d["url"] for d in api.webhooks()] == [
            rcv.url + "/bot",
            rcv.url + "/account",
            rcv.url + "/default",
        ]


def test_no_url_is_journaled_and_nothing_sent(api: MockClient, mockbaas_receiver):
    bot = api.join(MEET_URL)
    api.advance(3600)
    journal = api.webhooks(bot_id=bot)
    assert [d["payload"]["data"]["status"]["code"] for d in journal[:4]] == [
        "joining_call",
        "in_call_not_recording",
        "in_call_recording",
        "call_ended",
    ]
    assert [d["event"] for d in journal][4:] == ["complete"]
    assert all(d["state"] == "no_url" and d["url"] is None for d in journal)
    assert all(d["attempts"] == [] for d in journal)
    assert api.webhooks(state="no_url") == journal
    assert mockbaas_receiver.received == []
    # redelivery needs a URL, and then sends the event as it was
    resp = api.request("POST", f"/_mockbaas/webhooks/{journal[0]['id']}/redeliver")
    assert resp.status == 422
    assert resp.json()["error"] == "validation_error"
    again = api.redeliver(journal[0]["id"], url=mockbaas_receiver.url)
    assert again["state"] == "delivered"
    assert [a["kind"] for a in again["attempts"]] == ["redelivery"]
    assert mockbaas_receiver.events() == [journal[0]["payload"]]


def test_journal_filters_and_lookup(api: MockClient, mockbaas_receiver):
    first = api.join(MEET_URL, webhook_url=mockbaas_receiver.url)
    second = api.join(
        "https://meet.google.com/xyz-abcd-efg", extra={"mockbaas_scenario": "rejected"}
    )
    api.advance(60)
    everything = api.webhooks()
    assert [d["seq"] for d in everything] == list(range(1, len(everything) + 1))
    assert {d["subject"] for d in api.webhooks(bot_id=first)} == {first}
    failed = api.webhooks(event="failed")
    assert [(d["subject"], d["state"]) for d in failed] == [(second, "no_url")]
    assert api.webhooks(bot_id=first, state="no_url") == []
    assert len(api.webhooks(bot_id=first, state="delivered")) == 3
    one = everything[0]
    assert api.request("GET", f"/_mockbaas/webhooks/{one['id']}").json() == one
    missing = api.request("GET", "/_mockbaas/webhooks/nope")
    assert missing.status == 404 and missing.json()["error"] == "not_found"
    assert api.request("POST", "/_mockbaas/webhooks/nope/redeliver").status == 404
    for bad in ({"state": "sent"}, {"event": "status_change"}):
        resp = api.request("GET", "/_mockbaas/webhooks", params=bad)
        assert resp.status == 400, bad
        assert resp.json()["error"] == "validation_error"


def test_transcription_complete_goes_to_the_retranscribe_url(
    api: MockClient, mockbaas_receiver, contract
):
    rcv = mockbaas_receiver
    bot = api.join(MEET_URL, webhook_url=rcv.url + "/bot", speech_to_text=STT)
    api.advance(3600)
    rcv.clear()
    resp = api.request(
        "POST",
        "/bots/retranscribe",
        json_body={"bot_uuid": bot, "webhook_url": rcv.url + "/retranscribed"},
    )
    assert resp.status == 202
    api.advance(29)
    assert rcv.received == []
    api.advance(1)
    [hit] = rcv.received
    assert hit.path == "/webhooks/retranscribed"
    assert hit.json() == {"event": "transcription_complete", "data": {"bot_id": bot}}
    assert hit.headers["x-meeting-baas-api-key"] == API_KEY
    # without one, the bot's own URL
    api.request("POST", "/bots/retranscribe", json_body={"bot_uuid": bot})
    api.advance(30)
    assert [h.path for h in rcv.received] == ["/webhooks/retranscribed", "/webhooks/bot"]
    check_contract(contract, rcv.received)
    assert [d["state"] for d in api.webhooks(event="transcription_complete")] == [
        "delivered",
        "delivered",
    ]


def test_calendar_sync_events_go_to_the_account_url(api: MockClient, mockbaas_receiver, contract):
    rcv = mockbaas_receiver
    api.request("POST", "/accounts/webhook_url", json_body={"webhook_url": rcv.url + "/account"})
    # a bot of the account with its own URL changes nothing for calendar events
    api.join(MEET_URL, webhook_url=rcv.url + "/bot")
    api.advance(1)
    rcv.clear()
    resp = api.request("POST", "/calendars/", json_body=CALENDAR)
    assert resp.status == 200
    calendar = resp.json()["calendar"]["uuid"]
    api.advance(0)  # deliveries due now have run
    resync = api.request("POST", "/internal/calendar/resync_all")
    assert resync.status == 200
    assert resync.json()["synced_calendars"] == [calendar]
    api.advance(0)
    assert len(rcv.received) == 1  # nothing changed on the provider: nothing announced
    email = resp.json()["calendar"]["email"]
    api.provider_add_event(email, name="New", start_time="2025-01-07T10:00:00Z")
    api.advance(0)
    hits = rcv.received
    assert [h.path for h in hits] == ["/webhooks/account", "/webhooks/account"]
    assert all(h.headers["x-meeting-baas-api-key"] == API_KEY for h in hits)
    check_contract(contract, hits)
    created, synced = (h.json() for h in hits)
    now = "2025-01-06T09:00:01.000Z"
    for payload in (created, synced):
        assert payload["event"] == "calendar.sync_events"
        assert payload["data"]["calendar_id"] == calendar
        assert payload["data"]["last_updated_ts"] == now
        assert payload["data"]["affected_event_uuids"]
    listed = api.request("GET", "/calendar_events/", params={"calendar_id": calendar}).json()
    assert listed["data"]
    for uuid in created["data"]["affected_event_uuids"] + synced["data"]["affected_event_uuids"]:
        event = api.request("GET", f"/calendar_events/{uuid}")
        assert event.status == 200, uuid
        assert event.json()["uuid"] == uuid
        assert event.json()["calendar_uuid"] == calendar
    assert [d["subject"] for d in api.webhooks(event="calendar.sync_events")] == [calendar] * 2


def test_a_payload_outside_the_contract_is_surfaced_not_sent(
    api: MockClient, mockbaas_server, mockbaas_receiver, caplog
):
    mock = mockbaas_server.mock
    account = mock.accounts.authenticate(API_KEY)

    async def send_broken() -> None:
        mock.webhooks.send(
            account, "failed", {"bot_id": "b"}, url=mockbaas_receiver.url, subject="b"
        )

    with caplog.at_level(logging.ERROR, logger="mockbaas.webhooks"):
        mockbaas_server.call(send_broken())
        api.advance(1)
    [entry] = api.webhooks(bot_id="b")
    assert entry["state"] == "invalid"
    assert entry["attempts"] == []
    assert entry["contract_errors"]
    assert mockbaas_receiver.received == []
    assert any(
        entry["id"] in r.getMessage() and "breaks openapi.json" in r.getMessage()
        for r in caplog.records
    )


def test_lenient_mode_sends_a_breaking_payload_but_journals_it(mockbaas_receiver):
    with BackgroundServer(Settings(port=0, strict=False)) as server:
        mock = server.mock
        assert mock is not None
        account = mock.accounts.authenticate(API_KEY)

        async def send_broken() -> None:
            mock.webhooks.send(
                account, "failed", {"bot_id": "b"}, url=mockbaas_receiver.url, subject="b"
            )

        server.call(send_broken())
        api = MockClient(server.url)
        api.advance(0)  # waits for the attempts that are due
        [entry] = api.webhooks()
        assert entry["state"] == "delivered"
        assert entry["contract_errors"]
        assert mockbaas_receiver.events() == [{"event": "failed", "data": {"bot_id": "b"}}]


def test_a_receiver_may_call_the_api_while_handling_a_webhook(api: MockClient, mockbaas_receiver):
    """The common receiver: on `complete`, fetch the meeting data before answering. The
    POST runs beside the clock (it never holds time back), so the API answers with the
    state at or after the webhook's instant: the bot is complete, the link still valid."""
    fetched: list[dict[str, Any]] = []

    def fetch(hit) -> None:
        payload = hit.json()
        if payload["event"] == "complete":
            params = {"bot_id": payload["data"]["bot_id"]}
            resp = api.request("GET", "/bots/meeting_data", params=params)
            assert resp.status == 200
            fetched.append(resp.json())

    mockbaas_receiver.on_receive(fetch)
    bot = api.join(MEET_URL, webhook_url=mockbaas_receiver.url)
    api.advance(3600)
    [complete] = [e for e in mockbaas_receiver.events() if e["event"] == "complete"]
    [data] = fetched
    assert data["bot_data"]["bot"]["uuid"] == bot
    assert data["bot_data"]["bot"]["ended_at"] is not None
    # the same recording, signed for the moment of the read (links carry their expiry)
    assert data["mp4"].split("?")[0] == complete["data"]["mp4"].split("?")[0]
    assert {d["state"] for d in api.webhooks(bot_id=bot)} == {"delivered"}


def test_a_receiver_that_crashes_answers_500_and_is_retried(api: MockClient, mockbaas_receiver):
    calls: list[str] = []

    def flaky(hit) -> None:
        calls.append(hit.headers["x-mockbaas-attempt"])
        if len(calls) == 1:
            raise RuntimeError("receiver bug")

    mockbaas_receiver.on_receive(flaky)
    bot = api.join(MEET_URL, webhook_url=mockbaas_receiver.url)
    api.advance(2)
    [joining] = api.webhooks(bot_id=bot)
    assert [(a["at"][11:19], a["status_code"]) for a in joining["attempts"]] == [
        ("09:00:00", 500),
        ("09:00:02", 200),
    ]
    assert calls == ["1", "2"]


def test_the_journal_keeps_the_limit_it_is_given():
    """`--journal-limit` / `Settings.journal_limit`: settled deliveries past it are
    dropped, oldest first, and the journal says how many."""
    with BackgroundServer(Settings(port=0, journal_limit=3)) as server:
        api = MockClient(server.url, api_key=API_KEY)
        api.join(MEET_URL)
        api.join(MEET_URL, deduplication_key="2")
        api.run_until_idle()
        found = api._control("GET", "/webhooks")
        assert found["journal"]["limit"] == 3
        assert found["journal"]["kept"] == 3 and found["journal"]["evicted"] == 7
        assert [d["seq"] for d in found["deliveries"]] == [8, 9, 10]  # the newest three
