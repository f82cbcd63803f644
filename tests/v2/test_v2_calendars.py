"""v2 calendars over HTTP: connections, events, series, calendar bots with
`all_occurrences`, and the calendar.* webhooks (checked against openapi-v2.json and
Svix-verified), every answer checked against openapi-v2.json."""

from __future__ import annotations

from datetime import UTC, datetime

from support import checked_call as call
from support import svix_verify as verify

from mockbaas.contract import Contract
from mockbaas.testing import MockClient, WebhookReceiver

UNKNOWN = "00000000-0000-4000-8000-000000000000"
OAUTH = {
    "calendar_platform": "google",
    "oauth_client_id": "cid",
    "oauth_client_secret": "secret",
    "oauth_refresh_token": "refresh-1",
}


def connect(api: MockClient, v2: Contract, token: str = "refresh-1") -> str:
    raw = call(
        api,
        v2,
        "listRawCalendars",
        "POST",
        "/v2/calendars/list-raw",
        json_body={**OAUTH, "oauth_refresh_token": token},
    )
    assert raw.status == 200, raw.body
    first = raw.json()["data"][0]
    assert first["is_primary"] is True
    body = {**OAUTH, "oauth_refresh_token": token, "raw_calendar_id": first["id"]}
    r = call(api, v2, "createCalendarConnection", "POST", "/v2/calendars", json_body=body)
    assert r.status == 201, r.body
    return r.json()["data"]["calendar_id"]


def events(api: MockClient, v2: Contract, calendar: str, query: str = "") -> list[dict]:
    r = call(api, v2, "listEvents", "GET", f"/v2/calendars/{calendar}/events{query}")
    assert r.status == 200, r.body
    return r.json()["data"]


def series(api: MockClient, v2: Contract, calendar: str, query: str = "") -> list[dict]:
    r = call(api, v2, "listEventSeries", "GET", f"/v2/calendars/{calendar}/series{query}")
    assert r.status == 200, r.body
    return r.json()["data"]


def recurring_with_meeting(api, v2, calendar) -> dict:
    for s in series(api, v2, calendar, "?event_type=recurring"):
        if s["events"][0]["meeting_url"]:
            return s
    raise AssertionError("no recurring series with a meeting link")


def test_connect_list_details_update_delete(api, v2):
    calendar = connect(api, v2)
    listed = call(api, v2, "listCalendars", "GET", "/v2/calendars").json()["data"]
    assert [c["calendar_id"] for c in listed] == [calendar]
    assert listed[0]["calendar_platform"] == "google" and listed[0]["synced_at"]
    details = call(api, v2, "getCalendarDetails", "GET", f"/v2/calendars/{calendar}").json()
    assert details["data"]["status"] == "active" and details["data"]["sync_status"] == "success"
    # the same calendar twice is a 409
    raw = api.request("POST", "/v2/calendars/list-raw", json_body=OAUTH).json()["data"][0]
    r = call(
        api,
        v2,
        "createCalendarConnection",
        "POST",
        "/v2/calendars",
        json_body={**OAUTH, "raw_calendar_id": raw["id"]},
    )
    assert r.status == 409
    new = {k: OAUTH[k] for k in ("oauth_client_id", "oauth_client_secret")}
    r = call(
        api,
        v2,
        "updateCalendarConnection",
        "PATCH",
        f"/v2/calendars/{calendar}",
        json_body={**new, "oauth_refresh_token": "refresh-2"},
    )
    assert r.status == 200 and r.json()["data"]["calendar_id"] == calendar
    r = call(
        api,
        v2,
        "resubscribeCalendar",
        "POST",
        f"/v2/calendars/{calendar}/resubscribe",
    )
    assert r.status == 200 and r.json()["data"]["resubscribed_at"] == "2025-01-06T09:00:00.000Z"
    assert (
        call(api, v2, "deleteCalendarConnection", "DELETE", f"/v2/calendars/{calendar}").status
        == 200
    )
    assert call(api, v2, "getCalendarDetails", "GET", f"/v2/calendars/{calendar}").status == 404


def test_a_refresh_that_fails_is_a_401(api, v2):
    bad = {**OAUTH, "oauth_refresh_token": "invalid-token"}
    r = call(api, v2, "listRawCalendars", "POST", "/v2/calendars/list-raw", json_body=bad)
    assert r.status == 401 and r.json()["code"] == "FST_ERR_UNAUTHORIZED"
    r = call(
        api,
        v2,
        "createCalendarConnection",
        "POST",
        "/v2/calendars",
        json_body={**bad, "raw_calendar_id": "x"},
    )
    assert r.status == 401


def test_unknown_calendar_and_event_are_404(api, v2):
    for op, method, path in (
        ("getCalendarDetails", "GET", f"/v2/calendars/{UNKNOWN}"),
        ("syncCalendar", "POST", f"/v2/calendars/{UNKNOWN}/sync"),
        ("listEvents", "GET", f"/v2/calendars/{UNKNOWN}/events"),
    ):
        assert call(api, v2, op, method, path).status == 404
    calendar = connect(api, v2)
    r = call(api, v2, "getEventDetails", "GET", f"/v2/calendars/{calendar}/events/{UNKNOWN}")
    assert r.status == 404
    other = MockClient(api.url, api_key="someone-else")
    assert other.request("GET", f"/v2/calendars/{calendar}").status == 404


def test_events_series_and_details_agree(api, v2):
    calendar = connect(api, v2)
    found = events(api, v2, calendar)
    assert found == sorted(found, key=lambda e: (e["start_time"], e["event_id"]))
    grouped = series(api, v2, calendar)
    assert sum(len(s["events"]) for s in grouped) == len(found)
    recurring = [s for s in grouped if s["event_type"] == "recurring"]
    assert recurring and all(len(s["events"]) == 3 for s in recurring)
    one = found[0]
    r = call(
        api, v2, "getEventDetails", "GET", f"/v2/calendars/{calendar}/events/{one['event_id']}"
    )
    details = r.json()["data"]
    assert details["title"] == one["title"] and details["series_id"] == one["series_id"]
    assert details["attendees"] and details["calendar_platform"] == "google"
    page = call(api, v2, "listEvents", "GET", f"/v2/calendars/{calendar}/events?limit=2").json()
    assert [e["event_id"] for e in page["data"]] == [e["event_id"] for e in found[:2]]
    nxt = call(
        api,
        v2,
        "listEvents",
        "GET",
        f"/v2/calendars/{calendar}/events?limit=2&cursor={page['cursor']}",
    ).json()
    assert [e["event_id"] for e in nxt["data"]] == [e["event_id"] for e in found[2:4]]
    # the same seed, the same calendar
    assert found == events(api, v2, calendar)


def test_calendar_bots_on_every_occurrence_join_at_each_start(api, v2):
    calendar = connect(api, v2)
    chosen = recurring_with_meeting(api, v2, calendar)
    future = [e for e in chosen["events"] if e["start_time"] > "2025-01-06T09:00:00.000Z"]
    body = {"bot_name": "Cal bot", "series_id": chosen["series_id"], "all_occurrences": True}
    r = call(api, v2, "createCalendarBot", "POST", f"/v2/calendars/{calendar}/bots", json_body=body)
    assert r.status == 201, r.body
    assert [d["event_id"] for d in r.json()["data"]] == [e["event_id"] for e in future]
    # twice: every occurrence reports it is already scheduled
    again = call(
        api, v2, "createCalendarBot", "POST", f"/v2/calendars/{calendar}/bots", json_body=body
    ).json()
    assert again["data"] == [] and {e["code"] for e in again["errors"]} == {"BOT_ALREADY_SCHEDULED"}
    shown = next(s for s in series(api, v2, calendar) if s["series_id"] == chosen["series_id"])
    assert [e["bot_scheduled"] for e in shown["events"]] == [e in future for e in chosen["events"]]
    listed = call(api, v2, "listScheduledBots", "GET", "/v2/bots/scheduled").json()["data"]
    assert [b["join_at"] for b in listed] == [e["start_time"] for e in future]
    assert all(b["meeting_url"] == future[0]["meeting_url"] for b in listed)
    # rename them all, then cancel the first occurrence only
    r = call(
        api,
        v2,
        "updateCalendarBot",
        "PATCH",
        f"/v2/calendars/{calendar}/bots",
        json_body={"series_id": chosen["series_id"], "all_occurrences": True, "bot_name": "New"},
    )
    assert r.status == 200 and len(r.json()["data"]) == len(future)
    one = {
        "series_id": chosen["series_id"],
        "all_occurrences": False,
        "event_id": future[0]["event_id"],
    }
    r = call(
        api, v2, "deleteCalendarBot", "DELETE", f"/v2/calendars/{calendar}/bots", json_body=one
    )
    assert r.status == 200 and r.json()["data"] == [{"event_id": future[0]["event_id"]}]
    statuses = {
        b["bot_id"]: (b["status"], b["bot_name"])
        for b in call(api, v2, "listScheduledBots", "GET", "/v2/bots/scheduled").json()["data"]
    }
    assert sorted(s for s, _ in statuses.values()) == ["cancelled"] + ["scheduled"] * (
        len(future) - 1
    )
    assert {name for _, name in statuses.values()} == {"New"}
    # the next occurrence's bot joins at its start
    second = future[1]
    start = datetime.fromisoformat(second["start_time"].replace("Z", "+00:00"))
    api.advance((start - datetime(2025, 1, 6, 9, tzinfo=UTC)).total_seconds())
    joined = [
        b
        for b in call(api, v2, "listBots", "GET", "/v2/bots").json()["data"]
        if b["meeting_url"] == second["meeting_url"]
    ]
    assert len(joined) == 1 and joined[0]["bot_name"] == "New"


def test_calendar_bot_needs_a_known_series_and_event(api, v2):
    calendar = connect(api, v2)
    body = {"bot_name": "b", "series_id": UNKNOWN, "all_occurrences": True}
    r = call(api, v2, "createCalendarBot", "POST", f"/v2/calendars/{calendar}/bots", json_body=body)
    assert r.status == 404
    chosen = recurring_with_meeting(api, v2, calendar)
    body = {"bot_name": "b", "series_id": chosen["series_id"], "all_occurrences": False}
    r = call(api, v2, "createCalendarBot", "POST", f"/v2/calendars/{calendar}/bots", json_body=body)
    assert r.status == 400 and "event_id" in r.json()["message"]
    r = call(
        api,
        v2,
        "createCalendarBot",
        "POST",
        f"/v2/calendars/{calendar}/bots",
        json_body={
            **body,
            "callback_enabled": True,
            "callback_config": {"url": "https://x.example/cb"},
        },
    )
    assert r.status == 422 and r.json()["code"] == "FST_ERR_WEBHOOK_TARGET_REFUSED"


def test_calendar_webhooks_are_v2_shaped_and_signed(api, v2, mockbaas_receiver: WebhookReceiver):
    api.request("POST", "/accounts/webhook_url", json_body={"webhook_url": mockbaas_receiver.url})
    secret = api._control("GET", "/v2/webhook-secret", api_key=api.api_key)["secret"]
    calendar = connect(api, v2)
    assert call(api, v2, "syncCalendar", "POST", f"/v2/calendars/{calendar}/sync").status == 200
    api._control(
        "POST",
        f"/v2/calendars/{calendar}/events/{events(api, v2, calendar)[-1]['event_id']}/cancel",
        {},
    )
    call(api, v2, "deleteCalendarConnection", "DELETE", f"/v2/calendars/{calendar}")
    api.advance(0)
    payloads = [verify(secret, r) for r in mockbaas_receiver.received]
    names = [p["event"] for p in payloads]
    assert names[:2] == ["calendar.connection_created", "calendar.events_synced"]
    assert {
        "calendar.event_created",
        "calendar.event_updated",
        "calendar.event_cancelled",
        "calendar.connection_deleted",
    } <= set(names)
    journal = api.webhooks()  # each payload was checked against openapi-v2.json's webhooks
    assert len(journal) == len(payloads) and all(not d["contract_errors"] for d in journal)
    assert all("extra" not in p for p in payloads)
