"""Authentication and accounts: the API key is the account.

A missing key, a Bearer-only request and (with `--api-key`) an unknown key answer 401
with a JSON error naming `x-meeting-baas-api-key`; each key sees only its own bots,
calendars and events, and another key's id answers 404 on every operation taking one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support import CREDS, JOIN, MEET_URL, assert_conforms

from mockbaas.config import Settings
from mockbaas.contract import Contract
from mockbaas.testing import BackgroundServer, MockClient, Response

HEADER = "x-meeting-baas-api-key"
SOME_UUID = "7c65c1e5-82e2-4662-b728-b4fa42485e3a"
BOT_PARAM = {"bot_name": "b", "extra": None, "transcription_custom_parameters": None}


def some_request(contract: Contract, op_id: str) -> tuple[str, str, dict[str, Any], Any]:
    """A schema-valid request for any operation: method, path, query, body."""
    op = contract.operations[op_id]
    path = op.path.replace("{uuid}", SOME_UUID)
    query = {p.name: SOME_UUID for p in op.params if p.location == "query" and p.required}
    bodies = {
        "join": JOIN,
        "retranscribe_bot": {"bot_uuid": SOME_UUID},
        "list_raw_calendars": CREDS,
        "create_calendar": CREDS,
        "update_calendar": CREDS,
        "schedule_record_event": BOT_PARAM,
        "patch_bot": {"bot_name": "c"},
        "set_webhook_url": {"webhook_url": "https://example.com/hook"},
        "create_zoom_oauth_connection": {
            "authorization_code": "c",
            "redirect_uri": "https://example.com/cb",
            "zoom_client_id": "i",
            "zoom_client_secret": "s",
        },
    }
    body = bodies.get(op_id) if op.body_media else None
    assert (body is not None) == (op.body_media is not None), op_id
    return op.method, path, query, body


def secured(contract: Contract) -> list[str]:
    return sorted(op_id for op_id, op in contract.operations.items() if op.secured)


def bot_count(api: MockClient) -> int:
    return len(api._control("GET", "/bots")["bots"])


def assert_401(contract: Contract, op_id: str, resp: Response) -> dict[str, Any]:
    assert resp.status == 401, (op_id, resp.status, resp.body)
    assert resp.headers["Content-Type"].startswith("application/json")
    assert_conforms(contract, op_id, resp)
    body = resp.json()
    assert body["error"] == "unauthorized"
    assert HEADER in body["message"]
    return body


# --------------------------------------------------------------------------- missing keys


def test_every_secured_operation_needs_the_key(api, contract):
    assert len(secured(contract)) == len(contract.operations) - 3  # all but the docs routes
    for op_id in secured(contract):
        method, path, query, body = some_request(contract, op_id)
        resp = api.request(method, path, params=query, json_body=body, api_key="")
        assert_401(contract, op_id, resp)
    assert bot_count(api) == 0
    assert api.request("GET", "/calendars/").json() == []


def test_missing_key_is_checked_before_the_body(api, contract):
    resp = api.request(
        "POST", "/bots/", data=b"{not json", headers={"content-type": "text/plain"}, api_key=""
    )
    assert_401(contract, "join", resp)


def test_empty_key_is_missing(api, contract):
    resp = api.request("POST", "/bots/", json_body=JOIN, headers={HEADER: ""}, api_key="")
    body = assert_401(contract, "join", resp)
    assert body["message"] == f"missing API key: set the {HEADER} header"
    assert bot_count(api) == 0


@pytest.mark.parametrize("authorization", ["Bearer test-key", "bearer test-key", "Bearer"])
def test_bearer_only_is_refused_with_the_header_to_use(api, contract, authorization):
    for op_id in ("join", "bots_with_metadata", "list_calendars"):
        method, path, query, body = some_request(contract, op_id)
        resp = api.request(
            method,
            path,
            params=query,
            json_body=body,
            headers={"Authorization": authorization},
            api_key="",
        )
        message = assert_401(contract, op_id, resp)["message"]
        assert "Bearer" in message and f"{HEADER} header" in message
    assert bot_count(api) == 0


def test_documentation_routes_need_no_key(api, contract):
    public = sorted(op_id for op_id, op in contract.operations.items() if not op.secured)
    assert public == [
        "bot_webhook_documentation",
        "calendar_webhook_documentation",
        "webhook_documentation",
    ]
    for op_id in public:
        resp = api.request("GET", contract.operations[op_id].path, api_key="")
        assert resp.status == 200, op_id
        assert_conforms(contract, op_id, resp)
        assert resp.json()["events"]


# --------------------------------------------------------------------------- --api-key


@pytest.fixture(scope="module")
def restricted() -> Iterator[MockClient]:
    server = BackgroundServer(Settings(port=0, strict=True, api_keys=["alpha", "beta"])).start()
    yield MockClient(server.url, api_key="alpha")
    server.stop()


def test_restricted_keys_refuse_unknown_ones(restricted, contract):
    restricted.reset()
    for op_id in secured(contract):
        method, path, query, body = some_request(contract, op_id)
        resp = restricted.request(method, path, params=query, json_body=body, api_key="gamma")
        assert assert_401(contract, op_id, resp)["message"] == f"unknown API key in {HEADER}"
    assert bot_count(restricted) == 0
    assert restricted.request("GET", "/calendars/").json() == []
    # the listed keys work, and are separate accounts
    alpha = restricted.request("POST", "/bots/", json_body=JOIN)
    assert alpha.status == 200
    beta = restricted.request("GET", "/bots/bots_with_metadata", api_key="beta")
    assert beta.status == 200 and beta.json()["bots"] == []
    assert bot_count(restricted) == 1


def test_restricted_keys_still_serve_documentation(restricted, contract):
    resp = restricted.request("GET", "/bots/webhooks", api_key="")
    assert resp.status == 200
    assert_conforms(contract, "webhook_documentation", resp)


# --------------------------------------------------------------------------- isolation


def id_operations(contract: Contract) -> set[str]:
    """Operations that address a resource by id: uuid path/query parameters, or a body id."""
    found = {
        op_id
        for op_id, op in contract.operations.items()
        if any(p.schema.get("format") == "uuid" for p in op.params)
    }
    return found | {"retranscribe_bot"}


def test_another_accounts_ids_are_not_found(api, contract):
    """Everything the owner made is invisible to an intruder, on every operation."""
    bot_id = api.join(MEET_URL, speech_to_text="Default")
    api.advance(3600)  # a complete bot: every bot operation would succeed for its owner
    calendar = api.request("POST", "/calendars/", json_body=CREDS).json()["calendar"]
    listing = api.request(
        "GET", "/calendar_events/", params={"calendar_id": calendar["uuid"], "status": "all"}
    )
    event = listing.json()["data"][-1]
    zoom = api.request(
        "POST",
        "/zoom_oauth_connections/",
        json_body={
            "authorization_code": "c",
            "redirect_uri": "https://example.com/cb",
            "zoom_client_id": "i",
            "zoom_client_secret": "s",
        },
    ).json()
    owner_view = {
        "bot": api.request("GET", "/bots/meeting_data", params={"bot_id": bot_id}).json(),
        "calendar": api.request("GET", f"/calendars/{calendar['uuid']}").json(),
        "event": api.request("GET", f"/calendar_events/{event['uuid']}").json(),
    }

    b, c, e = bot_id, calendar["uuid"], event["uuid"]
    attempts: dict[str, tuple[str, str, dict[str, Any], Any]] = {
        "leave": ("DELETE", f"/bots/{b}", {}, None),
        "get_meeting_data": ("GET", "/bots/meeting_data", {"bot_id": b}, None),
        "delete_data": ("POST", f"/bots/{b}/delete_data", {}, None),
        "get_screenshots": ("GET", f"/bots/{b}/screenshots", {}, None),
        "retranscribe_bot": ("POST", "/bots/retranscribe", {}, {"bot_uuid": b}),
        "get_calendar": ("GET", f"/calendars/{c}", {}, None),
        "update_calendar": ("PATCH", f"/calendars/{c}", {}, CREDS),
        "delete_calendar": ("DELETE", f"/calendars/{c}", {}, None),
        "list_events": ("GET", "/calendar_events/", {"calendar_id": c}, None),
        "get_event": ("GET", f"/calendar_events/{e}", {}, None),
        "schedule_record_event": ("POST", f"/calendar_events/{e}/bot", {}, BOT_PARAM),
        "patch_bot": ("PATCH", f"/calendar_events/{e}/bot", {}, {"bot_name": "x"}),
        "unschedule_record_event": ("DELETE", f"/calendar_events/{e}/bot", {}, None),
        "get_zoom_oauth_connection": ("GET", f"/zoom_oauth_connections/{zoom['uuid']}", {}, None),
        "delete_zoom_oauth_connection": (
            "DELETE",
            f"/zoom_oauth_connections/{zoom['uuid']}",
            {},
            None,
        ),
    }
    assert set(attempts) == id_operations(contract)
    for op_id, (method, path, query, body) in attempts.items():
        for all_occurrences in [False, True] if "/bot" in path and "events" in path else [None]:
            params = dict(query)
            if all_occurrences is not None:
                params["all_occurrences"] = all_occurrences
            resp = api.request(method, path, params=params, json_body=body, api_key="intruder")
            assert resp.status == 404, (op_id, resp.status, resp.body)
            assert_conforms(contract, op_id, resp)
            assert resp.json()["error"] == "not_found"

    # the intruder's own lists are empty, and its resync touches nothing of the owner's
    assert api.request("GET", "/bots/bots_with_metadata", api_key="intruder").json()["bots"] == []
    assert api.request("GET", "/calendars/", api_key="intruder").json() == []
    assert api.request("GET", "/zoom_oauth_connections/", api_key="intruder").json() == []
    assert api.request("GET", "/zoom_oauth_connections/").json() == [zoom]
    resync = api.request("POST", "/internal/calendar/resync_all", api_key="intruder")
    assert resync.json() == {"synced_calendars": [], "errors": []}
    # and the owner's things are exactly as they were
    assert owner_view == {
        "bot": api.request("GET", "/bots/meeting_data", params={"bot_id": bot_id}).json(),
        "calendar": api.request("GET", f"/calendars/{calendar['uuid']}").json(),
        "event": api.request("GET", f"/calendar_events/{event['uuid']}").json(),
    }
    assert api.bot(bot_id)["data_deleted"] is False
    assert api.webhooks(bot_id=bot_id, event="transcription_complete") == []
    listed = api.request("GET", "/bots/bots_with_metadata").json()["bots"]
    assert [b["uuid"] for b in listed] == [bot_id]


def test_each_key_lists_only_its_own(api, contract):
    mine = api.join(MEET_URL, bot_name="mine")
    theirs = api.request("POST", "/bots/", json_body=JOIN | {"bot_name": "theirs"}, api_key="k2")
    assert theirs.status == 200
    api.request("POST", "/calendars/", json_body=CREDS)
    api.request("POST", "/calendars/", json_body=CREDS | {"oauth_refresh_token": "x"}, api_key="k2")
    for key, name in (("test-key", "mine"), ("k2", "theirs")):
        bots = api.request("GET", "/bots/bots_with_metadata", api_key=key)
        assert_conforms(contract, "bots_with_metadata", bots)
        assert [b["bot_name"] for b in bots.json()["bots"]] == [name]
        calendars = api.request("GET", "/calendars/", api_key=key)
        assert len(calendars.json()) == 1
    # the same meeting URL from two accounts was no duplicate; twice from one account is
    assert mine != theirs.json()["bot_id"]
    again = api.request("POST", "/bots/", json_body=JOIN, api_key="k2")
    assert again.status == 409
    assert_conforms(contract, "join", again)
