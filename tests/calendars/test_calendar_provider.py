"""The simulated calendar provider, over HTTP: a Google / Microsoft account per set of
credentials that changes only when the user changes it (control API / MockClient), and
the calendars that mirror it (status, errors, announcements, scheduled bots)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from support import CREDS, assert_conforms

from mockbaas.clock import DEFAULT_START, iso, parse_iso, to_ms
from mockbaas.testing import MockClient

T0 = to_ms(DEFAULT_START)
GOOGLE_ID = re.compile(r"^[0-9a-v]{26}$")
MICROSOFT_ID = re.compile(r"^AAMkA[A-Za-z0-9_-]+AAA=$")
MEET = re.compile(r"^https://meet\.google\.com/[a-z]{3}-[a-z]{4}-[a-z]{3}$")
REVOKED = "invalid_grant: Token has been expired or revoked. (access revoked by the user)"
EXPIRED = "invalid_grant: Token has been expired or revoked."


def at(seconds: float) -> str:
    return iso(T0 + int(round(seconds * 1000)))


def create(api: MockClient, contract: Any, **fields: Any) -> dict[str, Any]:
    resp = api.request("POST", "/calendars/", json_body={**CREDS, **fields})
    assert resp.status == 200, resp.body
    assert_conforms(contract, "create_calendar", resp)
    return resp.json()["calendar"]


def get_calendar(api: MockClient, contract: Any, uuid: str) -> dict[str, Any]:
    resp = api.request("GET", f"/calendars/{uuid}")
    assert_conforms(contract, "get_calendar", resp)
    return resp.json()


def events(api: MockClient, contract: Any, uuid: str) -> dict[str, dict[str, Any]]:
    resp = api.request("GET", "/calendar_events/", params={"calendar_id": uuid, "status": "all"})
    assert_conforms(contract, "list_events", resp)
    return {e["uuid"]: e for e in resp.json()["data"]}


def syncs(api: MockClient) -> list[dict[str, Any]]:
    return [d["payload"] for d in api.webhooks(event="calendar.sync_events")]


def by_google_id(found: dict[str, dict[str, Any]], ident: str) -> dict[str, Any]:
    return next(e for e in found.values() if e["google_id"] == ident)


def resync(api: MockClient, contract: Any) -> dict[str, Any]:
    resp = api.request("POST", "/calendars/resync_all")
    assert_conforms(contract, "resync_all_calendars", resp)
    return resp.json()


# -- the provider changes only when told ----------------------------------------------------------
def test_nothing_changed_means_nothing_announced(api: MockClient, contract) -> None:
    calendar = create(api, contract)
    before, announced = events(api, contract, calendar["uuid"]), syncs(api)
    assert [sorted(p["data"]["affected_event_uuids"]) for p in announced] == [sorted(before)]
    api.advance(3 * 3600)
    for _ in range(2):
        assert resync(api, contract) == {"synced_calendars": [calendar["uuid"]], "errors": []}
        resp = api.request("POST", "/internal/calendar/resync_all")
        assert resp.json() == {"synced_calendars": [calendar["uuid"]], "errors": []}
    assert api.request("PATCH", f"/calendars/{calendar['uuid']}", json_body=CREDS).status == 200
    assert events(api, contract, calendar["uuid"]) == before
    assert syncs(api) == announced


def test_an_added_event_is_mirrored_and_announced(api: MockClient, contract) -> None:
    calendar = create(api, contract)
    email = calendar["email"]
    api.advance(60)
    made = api.provider_add_event(
        email,
        name="Design review",
        start_time="2025-01-07T14:00:00Z",
        duration_minutes=45,
        attendees=[{"email": "ada@example.com", "name": "Ada"}],
    )
    (ident,) = made["event"]["instances"]
    assert GOOGLE_ID.match(ident) and made["event"]["id"] == ident
    (synced,) = made["synced"]
    (uuid,) = synced["affected_event_uuids"]
    assert synced == {
        "calendar_id": calendar["uuid"],
        "affected_event_uuids": [uuid],
        "status": "active",
        "error_message": None,
    }
    assert syncs(api)[-1] == {
        "event": "calendar.sync_events",
        "data": {
            "calendar_id": calendar["uuid"],
            "last_updated_ts": at(60),
            "affected_event_uuids": [uuid],
        },
    }
    resp = api.request("GET", f"/calendar_events/{uuid}")
    assert_conforms(contract, "get_event", resp)
    event = resp.json()
    assert MEET.match(event["meeting_url"])
    assert event == {
        "attendees": [{"email": email, "name": None}, {"email": "ada@example.com", "name": "Ada"}],
        "bot_param": None,
        "calendar_uuid": calendar["uuid"],
        "deleted": False,
        "end_time": "2025-01-07T14:45:00.000Z",
        "google_id": ident,
        "is_organizer": True,
        "is_recurring": False,
        "last_updated_at": at(60),
        "meeting_url": event["meeting_url"],
        "name": "Design review",
        "raw": {"id": ident, "summary": "Design review", "organizer": {"email": email}},
        "recurring_event_id": None,
        "start_time": "2025-01-07T14:00:00.000Z",
        "uuid": uuid,
    }


def test_moving_an_event_moves_its_bot_and_cancelling_drops_it(api: MockClient, contract) -> None:
    calendar = create(api, contract)
    email = calendar["email"]
    made = api.provider_add_event(email, name="1:1", start_time=at(3600))
    (ident,) = made["event"]["instances"]
    (uuid,) = made["synced"][0]["affected_event_uuids"]
    body = {"bot_name": "Notes", "extra": {}}
    assert api.request("POST", f"/calendar_events/{uuid}/bot", json_body=body).status == 200
    api.advance(60)
    moved = api.provider_change_event(email, ident, start_time=at(7200), name="1:1 (moved)")
    assert moved["synced"][0]["affected_event_uuids"] == [uuid]
    event = events(api, contract, calendar["uuid"])[uuid]
    assert (event["start_time"], event["end_time"], event["name"]) == (
        at(7200),
        at(7200 + 1800),
        "1:1 (moved)",
    )
    assert event["last_updated_at"] == at(60) and event["bot_param"]["bot_name"] == "Notes"
    api.advance(3600 - 60 - 240 + 1)  # past the old joining time: no bot
    assert api._control("GET", "/bots")["bots"] == []
    api.advance(3600)  # 4 minutes before the new start
    (bot,) = api._control("GET", "/bots")["bots"]
    assert bot["history"][0]["created_at"] == at(7200 - 240)

    gone = api.provider_cancel_event(email, ident)
    assert gone["synced"][0]["affected_event_uuids"] == [uuid]
    event = events(api, contract, calendar["uuid"])[uuid]
    assert (event["deleted"], event["bot_param"]) == (True, None)
    assert resync(api, contract)["errors"] == [] and syncs(api)[-1]["data"][
        "affected_event_uuids"
    ] == [uuid]  # cancelling twice is not a change


def test_a_recurring_series_with_exceptions(api: MockClient, contract) -> None:
    calendar = create(api, contract)
    email = calendar["email"]
    made = api.provider_add_event(
        email,
        name="Standup",
        start_time="2025-01-07T09:30:00Z",
        duration_minutes=15,
        recurrence={"count": 4, "interval_days": 7},
    )
    series = made["event"]["id"]
    assert made["event"]["instances"] == [
        f"{series}_20250107T093000Z",
        f"{series}_20250114T093000Z",
        f"{series}_20250121T093000Z",
        f"{series}_20250128T093000Z",
    ]
    found = events(api, contract, calendar["uuid"])
    occurrences = [by_google_id(found, i) for i in made["event"]["instances"]]
    assert {(e["name"], e["meeting_url"], e["recurring_event_id"]) for e in occurrences} == {
        ("Standup", occurrences[0]["meeting_url"], series)
    }
    assert all(e["is_recurring"] for e in occurrences)
    assert [e["start_time"] for e in occurrences] == [
        f"2025-01-{d}T09:30:00.000Z" for d in ("07", "14", "21", "28")
    ]
    uuids = [e["uuid"] for e in occurrences]
    resp = api.request(
        "POST",
        f"/calendar_events/{uuids[0]}/bot",
        params={"all_occurrences": True},
        json_body={"bot_name": "Standup bot", "extra": {}},
    )
    assert sorted(e["uuid"] for e in resp.json()) == sorted(uuids)

    # one occurrence moved: an exception; only it is announced
    second = made["event"]["instances"][1]
    changed = api.provider_change_event(email, second, start_time="2025-01-15T10:00:00Z")
    assert changed["synced"][0]["affected_event_uuids"] == [uuids[1]]
    # one cancelled
    cancelled = api.provider_cancel_event(email, made["event"]["instances"][2])
    assert cancelled["synced"][0]["affected_event_uuids"] == [uuids[2]]
    # the series renamed: every live occurrence changes, the exception keeps its time
    renamed = api.provider_change_event(email, series, name="Daily standup")
    assert renamed["synced"][0]["affected_event_uuids"] == [uuids[0], uuids[1], uuids[3]]
    found = events(api, contract, calendar["uuid"])
    assert [
        (found[u]["name"], found[u]["start_time"], found[u]["deleted"], bool(found[u]["bot_param"]))
        for u in uuids
    ] == [
        ("Daily standup", "2025-01-07T09:30:00.000Z", False, True),
        ("Daily standup", "2025-01-15T10:00:00.000Z", False, True),
        ("Standup", "2025-01-21T09:30:00.000Z", True, False),
        ("Daily standup", "2025-01-28T09:30:00.000Z", False, True),
    ]
    view = api.provider_account("Google", CREDS["oauth_refresh_token"])
    primary = view["calendars"][0]
    listed = [e["id"] for e in primary["events"] if e["recurring_event_id"] == series]
    assert listed == [made["event"]["instances"][i] for i in (0, 1, 3)]


# -- credentials and failures ---------------------------------------------------------------------
def test_revoked_credentials_disconnect_and_a_new_token_recovers(api: MockClient, contract) -> None:
    calendar = create(api, contract)
    uuid, email = calendar["uuid"], calendar["email"]
    before = events(api, contract, uuid)
    made = api.provider_credentials(email, CREDS["oauth_refresh_token"], "revoked")
    assert made["tokens"] == {CREDS["oauth_refresh_token"]: "revoked"}
    assert made["synced"] == [
        {
            "calendar_id": uuid,
            "affected_event_uuids": [],
            "status": "disconnected",
            "error_message": REVOKED,
        }
    ]
    got = get_calendar(api, contract, uuid)
    assert (got["status"], got["error_message"]) == ("disconnected", REVOKED)
    assert resync(api, contract) == {"synced_calendars": [], "errors": [[uuid, REVOKED]]}
    # the provider refuses the token everywhere; nothing is made
    for path, op in (("/calendars/raw", "list_raw_calendars"), ("/calendars/", "create_calendar")):
        resp = api.request("POST", path, json_body=CREDS)
        assert resp.status == 403, op
        assert_conforms(contract, op, resp)
        assert resp.json() == {
            "error": "forbidden",
            "message": f"Google refused the credentials: {REVOKED}",
        }
    assert [c["uuid"] for c in api.request("GET", "/calendars/").json()] == [uuid]
    # changes on the provider wait; they arrive once the calendar has working credentials
    added = api.provider_add_event(email, name="While away", start_time=at(7200))
    assert added["synced"][0]["affected_event_uuids"] == []
    assert events(api, contract, uuid) == before
    api.provider_credentials(email, "signed-in-again", "valid")
    resp = api.request(
        "PATCH", f"/calendars/{uuid}", json_body={**CREDS, "oauth_refresh_token": "signed-in-again"}
    )
    assert resp.status == 200
    assert resp.json()["calendar"] == {**calendar, "status": "active"}
    after = events(api, contract, uuid)
    (new,) = set(after) - set(before)
    assert after[new]["name"] == "While away"
    assert syncs(api)[-1]["data"]["affected_event_uuids"] == [new]
    assert resync(api, contract) == {"synced_calendars": [uuid], "errors": []}


def test_expired_token_is_an_error_until_made_valid(api: MockClient, contract) -> None:
    calendar = create(api, contract)
    uuid, email = calendar["uuid"], calendar["email"]
    api.provider_credentials(email, CREDS["oauth_refresh_token"], "expired")
    got = get_calendar(api, contract, uuid)
    assert (got["status"], got["error_message"]) == ("error", EXPIRED)
    api.provider_credentials(email, CREDS["oauth_refresh_token"], "valid")
    got = get_calendar(api, contract, uuid)
    assert (got["status"], got["error_message"]) == ("active", None)


def test_failing_syncs_report_errors_then_recover(api: MockClient, contract) -> None:
    one = create(api, contract)
    two = create(api, contract, oauth_refresh_token="second-account")
    api.provider_fail_syncs(one["email"], 2, "backend down")
    assert resync(api, contract) == {
        "synced_calendars": [two["uuid"]],
        "errors": [[one["uuid"], "backend down"]],
    }
    got = get_calendar(api, contract, one["uuid"])
    assert (got["status"], got["error_message"]) == ("error", "backend down")
    listed = api.request("GET", "/calendars/").json()
    assert [(c["status"], c["error_message"]) for c in listed] == [
        ("error", "backend down"),
        ("active", None),
    ]
    # the change made while failing is found by the first sync that works
    added = api.provider_add_event(one["email"], name="Late", start_time=at(7200))
    assert added["synced"][0]["status"] == "error"
    result = resync(api, contract)
    assert result == {"synced_calendars": [one["uuid"], two["uuid"]], "errors": []}
    assert get_calendar(api, contract, one["uuid"])["status"] == "active"
    (payload,) = syncs(api)[-1:]
    assert payload["data"]["calendar_id"] == one["uuid"]
    assert len(payload["data"]["affected_event_uuids"]) == 1


def test_a_failing_first_sync_makes_an_errored_calendar(api: MockClient, contract) -> None:
    email = api.provider_account("Google", CREDS["oauth_refresh_token"])["email"]
    api.provider_fail_syncs(email)
    calendar = create(api, contract)
    assert calendar["status"] == "syncing"
    got = get_calendar(api, contract, calendar["uuid"])
    assert (got["status"], got["error_message"]) == (
        "error",
        "the provider answered 503 (backendError): try again later",
    )
    assert events(api, contract, calendar["uuid"]) == {}
    assert resync(api, contract)["errors"] == []
    assert len(events(api, contract, calendar["uuid"])) == 18


# -- update calendar drops bots, and says so ------------------------------------------------------
def test_update_calendar_announces_the_bots_it_drops(api: MockClient, contract) -> None:
    calendar = create(api, contract)
    upcoming = [
        e
        for e in events(api, contract, calendar["uuid"]).values()
        if parse_iso(e["start_time"]) > T0 and not e["is_recurring"]
    ][:2]
    for event in upcoming:
        body = {"bot_name": "b", "extra": {}}
        assert (
            api.request("POST", f"/calendar_events/{event['uuid']}/bot", json_body=body).status
            == 200
        )
    api.advance(60)
    resp = api.request("PATCH", f"/calendars/{calendar['uuid']}", json_body=CREDS)
    assert resp.status == 200
    assert syncs(api)[-1] == {
        "event": "calendar.sync_events",
        "data": {
            "calendar_id": calendar["uuid"],
            "last_updated_ts": at(60),
            "affected_event_uuids": [e["uuid"] for e in upcoming],
        },
    }
    found = events(api, contract, calendar["uuid"])
    for event in upcoming:
        assert found[event["uuid"]]["bot_param"] is None
        assert found[event["uuid"]]["last_updated_at"] == at(60)


# -- what provider data looks like ----------------------------------------------------------------
def test_microsoft_ids_and_raw_events_look_like_microsoft(api: MockClient, contract) -> None:
    creds = {**CREDS, "platform": "Microsoft", "oauth_refresh_token": "outlook"}
    raw = api.request("POST", "/calendars/raw", json_body=creds).json()["calendars"]
    assert all(MICROSOFT_ID.match(c["id"]) for c in raw)
    calendar = create(
        api, contract, **{k: v for k, v in creds.items() if k != "platform"}, platform="Microsoft"
    )
    found = list(events(api, contract, calendar["uuid"]).values())
    assert found and all(MICROSOFT_ID.match(e["google_id"]) for e in found)
    assert all(MICROSOFT_ID.match(e["recurring_event_id"]) for e in found if e["is_recurring"])
    event = found[0]
    assert set(event["raw"]) == {"id", "subject", "organizer"}
    assert event["raw"]["subject"] == event["name"]
    organizer = event["raw"]["organizer"]["emailAddress"]["address"]
    assert event["is_organizer"] == (organizer == calendar["email"])
    added = api.provider_add_event(calendar["email"], name="Teams sync", start_time=at(600))
    (uuid,) = added["synced"][0]["affected_event_uuids"]
    link = events(api, contract, calendar["uuid"])[uuid]["meeting_url"]
    assert link.startswith("https://teams.microsoft.com/l/meetup-join/19%3ameeting_")
    by_organizer = api.request(
        "GET",
        "/calendar_events/",
        params={"calendar_id": calendar["uuid"], "status": "all", "organizer_email": organizer},
    ).json()["data"]
    assert event["uuid"] in [e["uuid"] for e in by_organizer]


def test_meet_links_are_meet_codes(api: MockClient, contract) -> None:
    for token in ("a", "b", "c"):
        calendar = create(api, contract, oauth_refresh_token=token)
        links = [e["meeting_url"] for e in events(api, contract, calendar["uuid"]).values()]
        meet = [u for u in links if "meet.google.com" in u]
        assert meet and all(MEET.match(u) for u in meet)


# -- the control API checks what it is told -------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_time": "2025-01-07T10:00:00Z"}, "name"),
        ({"name": "x"}, "start_time"),
        ({"name": "x", "start_time": "soon"}, "start_time"),
        (
            {"name": "x", "start_time": "2025-01-07T10:00:00Z", "duration_minutes": 0},
            "duration_minutes",
        ),
        (
            {"name": "x", "start_time": "2025-01-07T10:00:00Z", "end_time": "2025-01-07T09:00:00Z"},
            "end_time",
        ),
        (
            {"name": "x", "start_time": "2025-01-07T10:00:00Z", "recurrence": {"count": 0}},
            "recurrence.count",
        ),
        ({"name": "x", "start_time": "2025-01-07T10:00:00Z", "calendar_id": "nope"}, "calendar_id"),
        ({"name": "x", "start_time": "2025-01-07T10:00:00Z", "attendees": ["a"]}, "attendees"),
        ({"name": "x", "start_time": "2025-01-07T10:00:00Z", "colour": "red"}, "colour"),
    ],
)
def test_bad_event_bodies_change_nothing(api: MockClient, contract, body, field) -> None:
    calendar = create(api, contract)
    before, journal = api.provider_account("Google", CREDS["oauth_refresh_token"]), api.webhooks()
    path = f"/_mockbaas/provider/accounts/{calendar['email']}/events"
    resp = api.request("POST", path, json_body=body)
    assert resp.status == 422, resp.body
    assert resp.json()["details"][0]["path"] == field
    assert api.provider_account("Google", CREDS["oauth_refresh_token"]) == before
    assert api.webhooks() == journal


def test_unknown_accounts_events_and_tokens_are_404(api: MockClient, contract) -> None:
    calendar = create(api, contract)
    base = f"/_mockbaas/provider/accounts/{calendar['email']}"
    for method, path, body in (
        ("GET", "/_mockbaas/provider/accounts/nobody@example.com", None),
        ("PATCH", f"{base}/events/nope", {"name": "x"}),
        ("DELETE", f"{base}/events/nope", {}),
        ("PUT", f"{base}/credentials", {"refresh_token": "unknown", "state": "revoked"}),
    ):
        resp = api.request(method, path, json_body=body)
        assert resp.status == 404 and resp.json()["error"] == "not_found", (method, path)
    bad = api.request("PUT", f"{base}/credentials", json_body={"refresh_token": "t", "state": "x"})
    assert bad.status == 422 and bad.json()["details"][0]["path"] == "state"
    assert get_calendar(api, contract, calendar["uuid"])["status"] == "active"
