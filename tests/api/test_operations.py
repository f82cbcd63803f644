"""Every operation of openapi.json on its happy path, over real HTTP.

Each answer is validated against the contract (`assert_conforms`), and each test asserts
the state behind it: a created bot is what meeting_data and bots_with_metadata return, a
deleted calendar is gone. The last test walks `contract.operations` and fails when one of
them was never exercised here, so a new operation cannot be added untested.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest
from support import MEET_URL, assert_conforms

from mockbaas.clock import iso, parse_iso
from mockbaas.contract import Contract
from mockbaas.testing import MockClient, Response

ZOOM_URL = "https://us02web.zoom.us/j/81234567890"
TEAMS_URL = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc"
CREDS = {
    "platform": "Google",
    "oauth_client_id": "client-id",
    "oauth_client_secret": "client-secret",
    "oauth_refresh_token": "refresh-token-1",
}

#: operationId -> a 2xx answer seen by a test of this module (filled as tests run)
EXERCISED: dict[str, int] = {}


def ok(contract: Contract, op_id: str, resp: Response, status: int = 200) -> Any:
    """Assert a success that conforms to the contract, record it, return the JSON body."""
    assert resp.status == status, f"{op_id}: {resp.status} {resp.body!r}"
    assert_conforms(contract, op_id, resp)
    EXERCISED[op_id] = resp.status
    return resp.json()


def join(api: MockClient, contract: Contract, **fields: Any) -> str:
    body = {"meeting_url": MEET_URL, "bot_name": "Notetaker", "reserved": False, **fields}
    return ok(contract, "join", api.request("POST", "/bots/", json_body=body))["bot_id"]


def meeting_data(api: MockClient, contract: Contract, bot_id: str, **params: Any) -> Any:
    resp = api.request("GET", "/bots/meeting_data", params={"bot_id": bot_id, **params})
    return ok(contract, "get_meeting_data", resp)


def list_bots(api: MockClient, contract: Contract, **params: Any) -> Any:
    resp = api.request("GET", "/bots/bots_with_metadata", params=params)
    return ok(contract, "bots_with_metadata", resp)


def names(listing: dict[str, Any]) -> list[str]:
    return [b["bot_name"] for b in listing["bots"]]


def create_calendar(api: MockClient, contract: Contract, **fields: Any) -> dict[str, Any]:
    resp = api.request("POST", "/calendars/", json_body={**CREDS, **fields})
    return ok(contract, "create_calendar", resp)["calendar"]


def events(api: MockClient, contract: Contract, calendar_id: str, **params: Any) -> Any:
    resp = api.request("GET", "/calendar_events/", params={"calendar_id": calendar_id, **params})
    return ok(contract, "list_events", resp)


def all_events(api: MockClient, contract: Contract, calendar_id: str) -> list[dict[str, Any]]:
    page = events(api, contract, calendar_id, status="all")
    assert page["next"] is None
    return page["data"]


def now_ms(api: MockClient) -> int:
    return api.clock()["now_ms"]


# --------------------------------------------------------------------------- bots


def test_join_is_what_meeting_data_and_listing_return(api, contract):
    bot_id = join(
        api,
        contract,
        bot_name="Standup notes",
        extra={"customer": "acme"},
        recording_mode="audio_only",
        entry_message="hello",
        automatic_leave={"noone_joined_timeout": 120, "waiting_room_timeout": 300},
    )
    bot = meeting_data(api, contract, bot_id)["bot_data"]["bot"]
    assert bot["uuid"] == bot_id
    assert bot["bot_name"] == "Standup notes"
    assert bot["meeting_url"] == MEET_URL
    assert bot["extra"] == {"customer": "acme"}
    assert bot["recording_mode"] == "audio_only"
    assert bot["enter_message"] == "hello"
    assert (bot["noone_joined_timeout"], bot["waiting_room_timeout"]) == (120, 300)
    listed = list_bots(api, contract)["bots"]
    assert [(b["uuid"], b["bot_name"], b["extra"]) for b in listed] == [
        (bot_id, "Standup notes", {"customer": "acme"})
    ]
    assert listed[0]["access_count"] == 1  # the meeting_data read above


def test_leave_ends_the_call(api, contract):
    bot_id = join(api, contract)
    api.advance(20)  # joined and recording
    resp = api.request("DELETE", f"/bots/{bot_id}")
    assert ok(contract, "leave", resp) == {"ok": True}
    assert api.statuses(bot_id)[-1] == "call_ended"
    assert api.bot(bot_id)["end_reason"] == "api_request"
    api.advance(600)
    data = meeting_data(api, contract, bot_id)
    assert data["bot_data"]["bot"]["ended_at"] is not None
    assert data["duration"] == 10  # recorded from second 10 to second 20


def test_meeting_data_with_and_without_transcripts(api, contract):
    bot_id = join(api, contract, speech_to_text={"provider": "Default"})
    api.advance(3600)  # happy path: 30 minutes recorded, then processed
    full = meeting_data(api, contract, bot_id)
    assert full["duration"] == 1800
    assert full["bot_data"]["transcripts"], "a transcribed bot has transcripts"
    assert full["bot_data"]["bot"]["speech_to_text_provider"] == "Default"
    assert full["mp4"].startswith(api.url + "/_mockbaas/media/")
    with urllib.request.urlopen(full["mp4"]) as media:
        assert media.status == 200 and media.read()
    lean = meeting_data(api, contract, bot_id, include_transcripts=False)
    assert lean["bot_data"]["transcripts"] == []
    assert lean["bot_data"]["bot"] == {**full["bot_data"]["bot"]}
    assert lean["duration"] == 1800


def test_screenshots(api, contract):
    bot_id = join(api, contract)
    api.advance(60)
    shots = ok(contract, "get_screenshots", api.request("GET", f"/bots/{bot_id}/screenshots"))
    # one when the bot got in (second 8), one when recording began (second 10)
    assert [s["date"] for s in shots] == [
        iso(parse_iso(api.bot(bot_id)["created_at"]) + 8000),
        iso(parse_iso(api.bot(bot_id)["created_at"]) + 10000),
    ]
    with urllib.request.urlopen(shots[0]["url"]) as image:
        assert image.headers["Content-Type"] == "image/png"
        assert image.read().startswith(b"\x89PNG")


def test_delete_data(api, contract):
    bot_id = join(api, contract, speech_to_text="Default")
    api.advance(3600)
    resp = api.request("POST", f"/bots/{bot_id}/delete_data")
    assert ok(contract, "delete_data", resp) == {"ok": True, "status": "deleted"}
    data = meeting_data(api, contract, bot_id)
    assert data["mp4"] == ""
    assert data["bot_data"]["transcripts"] == []
    assert data["bot_data"]["bot"]["mp4_s3_path"] == ""
    shots = api.request("GET", f"/bots/{bot_id}/screenshots")
    assert ok(contract, "get_screenshots", shots) == []
    again = api.request("POST", f"/bots/{bot_id}/delete_data")
    assert ok(contract, "delete_data", again) == {"ok": True, "status": "alreadyDeleted"}
    nothing = join(api, contract, meeting_url=ZOOM_URL)  # has not recorded yet
    resp = api.request("POST", f"/bots/{nothing}/delete_data")
    assert ok(contract, "delete_data", resp)["status"] == "noDataFound"


def test_delete_data_rate_limit_and_recovery(api, contract):
    bot_id = join(api, contract)
    for _ in range(5):
        resp = api.request("POST", f"/bots/{bot_id}/delete_data")
        ok(contract, "delete_data", resp)
    api.advance(30)
    limited = api.request("POST", f"/bots/{bot_id}/delete_data")
    assert limited.status == 429
    assert_conforms(contract, "delete_data", limited)
    assert limited.json()["error"] == "rate_limited"
    assert limited.headers["Retry-After"] == "30"  # the oldest call leaves the window then
    api.advance(60)
    resp = api.request("POST", f"/bots/{bot_id}/delete_data")
    ok(contract, "delete_data", resp)


def test_a_transcript_read_again_is_the_same_bytes_for_each_bot(api, contract):
    """meeting_data's transcript rows are built once and kept: every read, and every
    other bot's, must still be its own."""
    stt = {"speech_to_text": "Default"}
    first, second = join(api, contract, **stt), join(api, contract, deduplication_key="o", **stt)
    api.advance(3600)
    read = lambda bot: api.request("GET", "/bots/meeting_data", params={"bot_id": bot})  # noqa: E731
    one, two = read(first), read(second)
    assert one.json()["bot_data"]["transcripts"] and two.json()["bot_data"]["transcripts"]
    rows = one.json()["bot_data"]["transcripts"]
    assert {r["bot_id"] for r in rows} == {one.json()["bot_data"]["bot"]["id"]}
    assert {r["bot_id"] for r in two.json()["bot_data"]["transcripts"]} == {
        two.json()["bot_data"]["bot"]["id"]
    }
    for _ in range(3):
        again = read(first)
        assert again.json()["bot_data"]["transcripts"] == rows
        ok(contract, "get_meeting_data", again)
    assert api.request("POST", f"/bots/{first}/delete_data").status == 200
    assert read(first).json()["bot_data"]["transcripts"] == []


def test_retranscribe(api, contract, mockbaas_receiver):
    bot_id = join(api, contract, speech_to_text="Default")
    api.advance(3600)
    before = meeting_data(api, contract, bot_id)["bot_data"]["transcripts"]
    body = {
        "bot_uuid": bot_id,
        "speech_to_text": {"provider": "Gladia", "api_key": "k"},
        "webhook_url": mockbaas_receiver.url,
    }
    resp = api.request("POST", "/bots/retranscribe", json_body=body)
    ok(contract, "retranscribe_bot", resp, status=202)
    assert resp.body == b""
    assert api.webhooks(bot_id=bot_id, event="transcription_complete") == []
    api.advance(30)
    done = api.webhooks(bot_id=bot_id, event="transcription_complete")
    assert [(d["url"], d["state"], d["payload"]) for d in done] == [
        (
            mockbaas_receiver.url,
            "delivered",
            {"event": "transcription_complete", "data": {"bot_id": bot_id}},
        )
    ]
    after = meeting_data(api, contract, bot_id)
    assert after["bot_data"]["bot"]["speech_to_text_provider"] == "Gladia"
    assert after["bot_data"]["transcripts"] and after["bot_data"]["transcripts"] != before


def test_bots_with_metadata_filters_sorting_and_pages(api, contract):
    alice = join(
        api,
        contract,
        bot_name="Alice standup",
        extra={"customer": "acme", "rank": 2},
        speech_to_text="Default",
    )
    api.advance(600)
    bob = join(
        api,
        contract,
        bot_name="Bob retro",
        meeting_url=ZOOM_URL,
        extra={"customer": "globex", "rank": 1},
    )
    api.advance(600)
    carol = join(api, contract, bot_name="Carol sync", meeting_url=TEAMS_URL, extra={"rank": 3})
    api.advance(3600)
    everyone = list_bots(api, contract)
    assert names(everyone) == ["Carol sync", "Bob retro", "Alice standup"]  # newest first
    assert everyone["next_cursor"] is None
    by_id = {b["uuid"]: b for b in everyone["bots"]}
    assert set(by_id) == {alice, bob, carol}
    speaker = by_id[alice]["speakers"][0]
    assert by_id[bob]["speakers"] == []  # no transcription asked for

    assert names(list_bots(api, contract, bot_name="alice")) == ["Alice standup"]
    assert names(list_bots(api, contract, meeting_url="zoom.us")) == ["Bob retro"]
    assert names(list_bots(api, contract, speaker_name=speaker.lower())) == ["Alice standup"]
    bob_created = by_id[bob]["created_at"]
    assert names(list_bots(api, contract, created_after=bob_created)) == [
        "Carol sync",
        "Bob retro",
    ]
    assert names(list_bots(api, contract, created_before=bob_created)) == [
        "Bob retro",
        "Alice standup",
    ]
    assert names(list_bots(api, contract, created_after="2025-01-06T09:05:00+00:00")) == [
        "Carol sync",
        "Bob retro",
    ]
    carol_end = by_id[carol]["ended_at"]
    assert names(list_bots(api, contract, ended_after=carol_end)) == ["Carol sync"]
    assert names(list_bots(api, contract, filter_by_extra="customer:acme")) == ["Alice standup"]
    assert names(list_bots(api, contract, filter_by_extra="customer:acme,rank:1")) == []
    assert names(list_bots(api, contract, filter_by_extra="rank:1")) == ["Bob retro"]
    assert names(list_bots(api, contract, sort_by_extra="rank:asc")) == [
        "Bob retro",
        "Alice standup",
        "Carol sync",
    ]
    assert names(list_bots(api, contract, sort_by_extra="rank:desc")) == [
        "Carol sync",
        "Alice standup",
        "Bob retro",
    ]
    # bots without the field come last
    assert names(list_bots(api, contract, sort_by_extra="customer")) == [
        "Alice standup",
        "Bob retro",
        "Carol sync",
    ]

    first = list_bots(api, contract, limit=2)
    assert names(first) == ["Carol sync", "Bob retro"] and first["next_cursor"]
    second = list_bots(api, contract, limit=2, cursor=first["next_cursor"])
    assert names(second) == ["Alice standup"] and second["next_cursor"] is None
    assert second["last_updated"] == iso(now_ms(api))


# --------------------------------------------------------------------------- documentation


@pytest.mark.parametrize(
    ("op_id", "path", "expected"),
    [
        (
            "webhook_documentation",
            "/bots/webhooks",
            [
                "bot.status_change",
                "complete",
                "failed",
                "transcription_complete",
                "calendar.sync_events",
            ],
        ),
        (
            "bot_webhook_documentation",
            "/bots/webhooks/bot",
            ["bot.status_change", "complete", "failed", "transcription_complete"],
        ),
        ("calendar_webhook_documentation", "/bots/webhooks/calendar", ["calendar.sync_events"]),
    ],
)
def test_webhook_documentation(api, contract, op_id, path, expected):
    docs = ok(contract, op_id, api.request("GET", path))
    assert sorted(e["event"] for e in docs["events"]) == sorted(expected)
    for entry in docs["events"]:
        assert entry["description"]
        assert entry["payload_schema"]["properties"]["event"]


# --------------------------------------------------------------------------- accounts


def test_account_webhook_url(api, contract, mockbaas_receiver):
    empty = ok(contract, "get_webhook_url", api.request("GET", "/accounts/webhook_url"))
    assert empty == {"webhook_url": None}
    body = {"webhook_url": mockbaas_receiver.url}
    resp = api.request("POST", "/accounts/webhook_url", json_body=body)
    assert ok(contract, "set_webhook_url", resp) == body
    again = ok(contract, "get_webhook_url", api.request("GET", "/accounts/webhook_url"))
    assert again == body
    other = api.request("GET", "/accounts/webhook_url", api_key="someone-else")
    assert ok(contract, "get_webhook_url", other) == {"webhook_url": None}
    # bots without their own URL report to the account's
    bot_id = join(api, contract)
    assert (
        meeting_data(api, contract, bot_id)["bot_data"]["bot"]["webhook_url"] == body["webhook_url"]
    )
    api.advance(10)
    sent = api.webhooks(bot_id=bot_id)
    assert sent and {d["url"] for d in sent} == {mockbaas_receiver.url}


# --------------------------------------------------------------------------- calendars


def test_raw_calendars_are_stable_per_credentials(api, contract):
    first = ok(
        contract, "list_raw_calendars", api.request("POST", "/calendars/raw", json_body=CREDS)
    )
    again = ok(
        contract, "list_raw_calendars", api.request("POST", "/calendars/raw", json_body=CREDS)
    )
    assert first == again
    assert [c["is_primary"] for c in first["calendars"]].count(True) == 1
    assert len({c["email"] for c in first["calendars"]}) == 1
    other = {**CREDS, "oauth_refresh_token": "refresh-token-2"}
    second = ok(
        contract, "list_raw_calendars", api.request("POST", "/calendars/raw", json_body=other)
    )
    assert second["calendars"][0]["email"] != first["calendars"][0]["email"]
    assert ok(contract, "list_calendars", api.request("GET", "/calendars/")) == []  # lists only


def test_calendar_create_get_list_update_delete(api, contract):
    raw = ok(contract, "list_raw_calendars", api.request("POST", "/calendars/raw", json_body=CREDS))
    primary = next(c for c in raw["calendars"] if c["is_primary"])
    secondary = next(c for c in raw["calendars"] if not c["is_primary"])

    calendar = create_calendar(api, contract)
    assert (calendar["google_id"], calendar["email"]) == (primary["id"], primary["email"])
    team = create_calendar(api, contract, raw_calendar_id=secondary["id"])
    assert team["google_id"] == secondary["id"] and team["uuid"] != calendar["uuid"]

    # create answers while the first sync runs; it is done when the call returns
    assert (calendar["status"], calendar["error_message"]) == ("syncing", None)
    calendar = {**calendar, "status": "active"}
    team = {**team, "status": "active"}
    got = ok(contract, "get_calendar", api.request("GET", f"/calendars/{calendar['uuid']}"))
    assert got == calendar
    listed = ok(contract, "list_calendars", api.request("GET", "/calendars/"))
    assert listed == [calendar, team]

    before = all_events(api, contract, calendar["uuid"])
    journal = api.webhooks()
    # a new token of the same provider account (the user signed in again)
    api._control(
        "PUT",
        f"/provider/accounts/{calendar['email']}/credentials",
        {"refresh_token": "rotated", "state": "valid"},
    )
    new_creds = {**CREDS, "oauth_refresh_token": "rotated"}
    resp = api.request("PATCH", f"/calendars/{calendar['uuid']}", json_body=new_creds)
    assert ok(contract, "update_calendar", resp) == {"calendar": calendar}
    # nothing changed on the provider and no bot was scheduled: nothing to announce
    assert all_events(api, contract, calendar["uuid"]) == before
    assert api.webhooks() == journal
    # credentials of another account: the calendar follows them to its primary calendar
    foreign = {**CREDS, "platform": "Microsoft", "oauth_refresh_token": "elsewhere"}
    raw = api.request("POST", "/calendars/raw", json_body=foreign).json()["calendars"]
    resp = api.request("PATCH", f"/calendars/{calendar['uuid']}", json_body=foreign)
    moved = ok(contract, "update_calendar", resp)["calendar"]
    assert (moved["google_id"], moved["email"]) == (raw[0]["id"], raw[0]["email"])
    assert moved["google_id"].startswith("AAMkA") and moved["google_id"].endswith("AAA=")
    after = {e["uuid"]: e for e in all_events(api, contract, calendar["uuid"])}
    assert all(after[e["uuid"]]["deleted"] for e in before)  # gone with the old account
    assert len(after) > len(before)
    sync = api.webhooks(event="calendar.sync_events")[-1]
    assert sync["subject"] == calendar["uuid"]
    assert sorted(sync["payload"]["data"]["affected_event_uuids"]) == sorted(after)
    calendar = moved

    event = all_events(api, contract, calendar["uuid"])[0]
    resp = api.request("DELETE", f"/calendars/{calendar['uuid']}")
    ok(contract, "delete_calendar", resp)
    assert resp.body == b""
    gone = api.request("GET", f"/calendars/{calendar['uuid']}")
    assert gone.status == 404 and gone.json()["error"] == "not_found"
    assert_conforms(contract, "get_calendar", gone)
    assert ok(contract, "list_calendars", api.request("GET", "/calendars/")) == [team]
    for resp, op_id in (
        (
            api.request("GET", "/calendar_events/", params={"calendar_id": calendar["uuid"]}),
            "list_events",
        ),
        (api.request("GET", f"/calendar_events/{event['uuid']}"), "get_event"),
        (
            api.request("PATCH", f"/calendars/{calendar['uuid']}", json_body=CREDS),
            "update_calendar",
        ),
        (api.request("DELETE", f"/calendars/{calendar['uuid']}"), "delete_calendar"),
    ):
        assert resp.status == 404, op_id
        assert_conforms(contract, op_id, resp)


def test_create_calendar_with_unknown_raw_id_is_404(api, contract):
    resp = api.request("POST", "/calendars/", json_body={**CREDS, "raw_calendar_id": "nope"})
    assert resp.status == 404
    assert_conforms(contract, "create_calendar", resp)
    assert "raw_calendar_id" in resp.json()["message"]
    assert ok(contract, "list_calendars", api.request("GET", "/calendars/")) == []


def test_resync_all(api, contract):
    one = create_calendar(api, contract)
    two = create_calendar(api, contract, oauth_refresh_token="another")
    create_calendar_other = api.request("POST", "/calendars/", json_body=CREDS, api_key="other")
    assert create_calendar_other.status == 200
    before = {c["uuid"]: all_events(api, contract, c["uuid"]) for c in (one, two)}
    journal = api.webhooks()
    resp = api.request("POST", "/internal/calendar/resync_all")
    assert ok(contract, "resync_all", resp) == {
        "synced_calendars": [one["uuid"], two["uuid"]],
        "errors": [],
    }
    # nothing changed on the provider: no invented change, nothing announced
    assert {u: all_events(api, contract, u) for u in before} == before
    assert api.webhooks() == journal


def test_resync_all_on_the_2026_path(api, contract):
    """POST /calendars/resync_all is the same operation; it is not /calendars/{uuid}."""
    one = create_calendar(api, contract)
    for params in ({}, {"days": "30"}):
        resp = api.request("POST", "/calendars/resync_all", params=params)
        assert ok(contract, "resync_all_calendars", resp) == {
            "synced_calendars": [one["uuid"]],
            "errors": [],
        }
    bad = api.request("POST", "/calendars/resync_all", params={"days": "soon"})
    assert bad.status == 400 and bad.json()["details"][0]["path"] == "days"
    wrong = api.request("GET", "/calendars/resync_all")
    assert wrong.status == 405 and wrong.headers["Allow"] == "POST"
    # the templated route still answers for real uuids
    got = api.request("GET", f"/calendars/{one['uuid']}")
    assert ok(contract, "get_calendar", got)["uuid"] == one["uuid"]


def test_list_events_filters(api, contract):
    calendar = create_calendar(api, contract)
    uuid = calendar["uuid"]
    everything = all_events(api, contract, uuid)
    assert len(everything) == 18  # 12 meetings, 3 of them weekly series of 3
    assert everything == sorted(everything, key=lambda e: (e["start_time"], e["uuid"]))
    now = now_ms(api)

    upcoming = events(api, contract, uuid)["data"]  # the default status
    past = events(api, contract, uuid, status="past")["data"]
    assert upcoming == [e for e in everything if parse_iso(e["start_time"]) >= now]
    assert past == [e for e in everything if parse_iso(e["start_time"]) < now]
    assert upcoming and past

    low, high = everything[3]["start_time"], everything[10]["start_time"]
    window = events(api, contract, uuid, status="all", start_date_gte=low, start_date_lte=high)
    assert window["data"] == everything[3:11]
    day_only = events(api, contract, uuid, status="all", start_date_gte="2025-01-08")
    assert day_only["data"] == [
        e for e in everything if e["start_time"] >= "2025-01-08T00:00:00.000Z"
    ]

    api.advance(60)
    moved = api.sync_calendar(uuid, add=1, move=1)["affected_event_uuids"]
    changed = events(api, contract, uuid, status="all", updated_at_gte=iso(now_ms(api)))
    assert sorted(e["uuid"] for e in changed["data"]) == sorted(moved)

    guest = everything[0]["attendees"][-1]["email"]
    with_guest = events(api, contract, uuid, status="all", attendee_email=guest.upper())
    assert with_guest["data"] and all(
        guest in [a["email"] for a in e["attendees"]] for e in with_guest["data"]
    )
    organizer = everything[0]["raw"]["organizer"]["email"]
    by_organizer = events(api, contract, uuid, status="all", organizer_email=organizer)
    assert everything[0]["uuid"] in [e["uuid"] for e in by_organizer["data"]]
    assert all(e["raw"]["organizer"]["email"] == organizer for e in by_organizer["data"])


def test_list_events_cursor(api, contract):
    calendar = create_calendar(api, contract)
    api.sync_calendar(calendar["uuid"], add=100, move=0)
    first = events(api, contract, calendar["uuid"], status="all")
    assert len(first["data"]) == 100 and first["next"]
    second = events(api, contract, calendar["uuid"], status="all", cursor=first["next"])
    assert len(second["data"]) == 18 and second["next"] is None
    seen = [e["uuid"] for e in first["data"] + second["data"]]
    assert len(set(seen)) == 118  # 18 at creation, 100 added


def test_a_sync_never_moves_what_it_deletes(api, contract):
    calendar = create_calendar(api, contract)
    before = all_events(api, contract, calendar["uuid"])
    gone = [e["uuid"] for e in before]
    changes = {"add": 0, "move": 1, "delete": gone}
    affected = api.sync_calendar(calendar["uuid"], **changes)["affected_event_uuids"]
    assert sorted(affected) == sorted(gone)  # each deleted event once, none moved too
    after = all_events(api, contract, calendar["uuid"])
    assert all(e["deleted"] for e in after)
    assert [(e["start_time"], e["end_time"]) for e in after] == [
        (e["start_time"], e["end_time"]) for e in before
    ]


@pytest.mark.parametrize(
    ("changes", "added", "moved", "deleted"),
    [
        pytest.param({}, 0, 0, 0, id="empty-body-is-a-plain-sync"),
        pytest.param({"delete": "first"}, 0, 0, 1, id="delete-only"),
        pytest.param({"add": 2}, 2, 0, 0, id="add-only"),
        pytest.param({"move": 2}, 0, 2, 0, id="move-only"),
        pytest.param({"add": 1, "delete": "first"}, 1, 0, 1, id="add-and-delete"),
    ],
)
def test_a_sync_does_only_what_its_body_names(api, contract, changes, added, moved, deleted):
    """Once the body names any of add/move/delete, the unnamed ones are 0."""
    calendar = create_calendar(api, contract)
    before = {e["uuid"]: e for e in all_events(api, contract, calendar["uuid"])}
    if changes.get("delete") == "first":
        changes = {**changes, "delete": [next(iter(before))]}
    api.advance(60)
    affected = api.sync_calendar(calendar["uuid"], **changes)["affected_event_uuids"]
    after = {e["uuid"]: e for e in all_events(api, contract, calendar["uuid"])}
    new = [u for u in after if u not in before]
    gone = [u for u in before if after[u]["deleted"]]
    shifted = [
        u
        for u in before
        if not after[u]["deleted"] and after[u]["start_time"] != before[u]["start_time"]
    ]
    assert (len(new), len(shifted), len(gone)) == (added, moved, deleted)
    assert sorted(affected) == sorted(new + shifted + gone)
    (announced,) = api.webhooks(event="calendar.sync_events")[-1:]
    if affected:
        assert announced["payload"]["data"]["affected_event_uuids"] == affected
    else:  # the last announcement is the creation's
        assert announced["created_at"] < iso(now_ms(api))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"add": -1}, "add"),
        ({"move": 101}, "move"),
        ({"add": True}, "add"),
        ({"delete": "all"}, "delete"),
        ({"delete": [1]}, "delete"),
        ({"delet": []}, "delet"),  # a typo must not fall back to the typical change
    ],
)
def test_a_bad_sync_body_is_a_422_and_changes_nothing(api, contract, body, field):
    calendar = create_calendar(api, contract)
    before, journal = all_events(api, contract, calendar["uuid"]), api.webhooks()
    resp = api.request("POST", f"/_mockbaas/calendars/{calendar['uuid']}/sync", json_body=body)
    assert resp.status == 422, resp.body
    assert resp.json()["details"][0]["path"] == field
    assert all_events(api, contract, calendar["uuid"]) == before
    assert api.webhooks() == journal


def test_a_refused_sync_changes_nothing(api, contract):
    def first_sync() -> list[dict[str, Any]]:
        calendar = create_calendar(api, contract)
        api.sync_calendar(calendar["uuid"], add=2)
        return all_events(api, contract, calendar["uuid"])

    expected = first_sync()
    api.reset()
    calendar = create_calendar(api, contract)
    before, journal = all_events(api, contract, calendar["uuid"]), api.webhooks()
    resp = api.request(
        "POST",
        f"/_mockbaas/calendars/{calendar['uuid']}/sync",
        json_body={"add": 3, "delete": ["00000000-0000-4000-8000-000000000000"]},
    )
    assert resp.status == 404 and resp.json()["error"] == "not_found"
    assert all_events(api, contract, calendar["uuid"]) == before
    assert api.webhooks() == journal
    api.sync_calendar(calendar["uuid"], add=2)  # the same sync as if nothing was refused
    assert all_events(api, contract, calendar["uuid"]) == expected


def test_get_event(api, contract):
    calendar = create_calendar(api, contract)
    for event in all_events(api, contract, calendar["uuid"])[:3]:
        got = ok(contract, "get_event", api.request("GET", f"/calendar_events/{event['uuid']}"))
        assert got == event


def _upcoming(api: MockClient, contract: Contract, calendar_id: str, recurring: bool) -> Any:
    page = events(api, contract, calendar_id)["data"]
    return next(e for e in page if e["is_recurring"] == recurring)


def test_schedule_patch_unschedule_one_event(api, contract):
    calendar = create_calendar(api, contract)
    event = _upcoming(api, contract, calendar["uuid"], recurring=False)
    path = f"/calendar_events/{event['uuid']}/bot"
    body = {
        "bot_name": "Calendar bot",
        "extra": {"team": "sales"},
        "transcription_custom_parameters": None,
    }
    scheduled = ok(contract, "schedule_record_event", api.request("POST", path, json_body=body))
    assert [e["uuid"] for e in scheduled] == [event["uuid"]]
    param = scheduled[0]["bot_param"]
    assert (param["bot_name"], param["extra"]) == ("Calendar bot", {"team": "sales"})
    got = ok(contract, "get_event", api.request("GET", f"/calendar_events/{event['uuid']}"))
    assert got["bot_param"] == param

    patched = ok(
        contract, "patch_bot", api.request("PATCH", path, json_body={"bot_name": "Renamed"})
    )
    assert patched[0]["bot_param"] == {**param, "bot_name": "Renamed"}

    # the scheduled bot joins 4 minutes before the meeting, with the patched name
    start = parse_iso(event["start_time"])
    api.advance((start - now_ms(api)) / 1000 - 241)
    assert list_bots(api, contract)["bots"] == []
    api.advance(1)
    bots = list_bots(api, contract)["bots"]
    assert [(b["bot_name"], b["meeting_url"]) for b in bots] == [("Renamed", event["meeting_url"])]
    assert bots[0]["created_at"] == iso(start - 240_000)

    resp = api.request("DELETE", path)
    unscheduled = ok(contract, "unschedule_record_event", resp)
    assert [e["bot_param"] for e in unscheduled] == [None]
    got = ok(contract, "get_event", api.request("GET", f"/calendar_events/{event['uuid']}"))
    assert got["bot_param"] is None
    nothing = api.request("PATCH", path, json_body={"bot_name": "x"})
    assert nothing.status == 404
    assert_conforms(contract, "patch_bot", nothing)


def test_schedule_all_occurrences_of_a_recurring_event(api, contract):
    calendar = create_calendar(api, contract)
    event = _upcoming(api, contract, calendar["uuid"], recurring=True)
    series = [
        e["uuid"]
        for e in all_events(api, contract, calendar["uuid"])
        if e["recurring_event_id"] == event["recurring_event_id"]
    ]
    assert len(series) == 3
    path = f"/calendar_events/{event['uuid']}/bot"
    body = {"bot_name": "Weekly", "extra": None, "transcription_custom_parameters": None}
    resp = api.request("POST", path, json_body=body, params={"all_occurrences": True})
    scheduled = ok(contract, "schedule_record_event", resp)
    assert sorted(e["uuid"] for e in scheduled) == sorted(series)
    assert {e["bot_param"]["bot_name"] for e in scheduled} == {"Weekly"}

    resp = api.request(
        "PATCH", path, json_body={"bot_name": "Weekly v2"}, params={"all_occurrences": True}
    )
    assert {e["bot_param"]["bot_name"] for e in ok(contract, "patch_bot", resp)} == {"Weekly v2"}

    # one occurrence only
    resp = api.request("DELETE", path, params={"all_occurrences": False})
    assert [e["uuid"] for e in ok(contract, "unschedule_record_event", resp)] == [event["uuid"]]
    params = {e["uuid"]: e["bot_param"] for e in all_events(api, contract, calendar["uuid"])}
    assert [params[u] is None for u in series].count(True) == 1

    resp = api.request("DELETE", path, params={"all_occurrences": True})
    assert len(ok(contract, "unschedule_record_event", resp)) == 3
    params = {e["uuid"]: e["bot_param"] for e in all_events(api, contract, calendar["uuid"])}
    assert all(params[u] is None for u in series)


# --------------------------------------------------------------------------- zoom oauth


def test_zoom_oauth_connections(api, contract):
    body = {
        "authorization_code": "code",
        "redirect_uri": "https://app.example.com/cb",
        "zoom_client_id": "client",
        "zoom_client_secret": "secret",
    }
    made = ok(
        contract,
        "create_zoom_oauth_connection",
        api.request("POST", "/zoom_oauth_connections/", json_body=body),
        status=201,
    )
    path = f"/zoom_oauth_connections/{made['uuid']}"
    listed = api.request("GET", "/zoom_oauth_connections/")
    assert ok(contract, "list_zoom_oauth_connections", listed) == [made]
    assert ok(contract, "get_zoom_oauth_connection", api.request("GET", path)) == made
    resp = api.request("DELETE", path)
    assert ok(contract, "delete_zoom_oauth_connection", resp, status=204) is None
    assert (
        ok(contract, "list_zoom_oauth_connections", api.request("GET", "/zoom_oauth_connections/"))
        == []
    )


# --------------------------------------------------------------------------- completeness


def test_every_operation_has_a_happy_path(request, contract):
    """Walk the contract: an operation without a recorded 2xx here is an untested one."""
    module = request.node.module
    selected = {item.name for item in request.session.items if item.module is module}
    defined = {name for name in dir(module) if name.startswith("test_")}
    if {n.split("[")[0] for n in selected} != defined:
        pytest.skip("only part of this module was selected")
    missing = sorted(set(contract.operations) - set(EXERCISED))
    assert not missing, f"operations without a happy-path test: {missing}"
    for op_id, status in EXERCISED.items():
        assert 200 <= status < 300, op_id
