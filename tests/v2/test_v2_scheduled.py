"""v2 scheduled bots, tokens and caps, and Zoom credentials over HTTP: happy paths and
documented errors, every answer checked against openapi-v2.json."""

from __future__ import annotations

import pytest
from support import checked_call as call

from mockbaas.contract import Contract
from mockbaas.testing import MockClient, WebhookReceiver

MEET = "https://meet.google.com/abc-defg-hij"
BOT = {"bot_name": "Notetaker", "meeting_url": MEET}
UNKNOWN = "00000000-0000-4000-8000-000000000000"
START = "2025-01-06T09:00:00"  # the fixture's virtual epoch


def at(minutes: int, seconds: int = 0) -> str:
    """An ISO time `minutes` after the epoch."""
    total = minutes * 60 + seconds
    return f"2025-01-06T{9 + total // 3600:02d}:{total // 60 % 60:02d}:{total % 60:02d}.000Z"


def schedule(api: MockClient, v2: Contract, join_at: str, **fields) -> str:
    body = {**BOT, "join_at": join_at, **fields}
    r = call(api, v2, "createScheduledBot", "POST", "/v2/bots/scheduled", json_body=body)
    assert r.status == 201, r.body
    return r.json()["data"]["bot_id"]


def scheduled(api: MockClient, v2: Contract, bot_id: str) -> dict:
    r = call(api, v2, "getScheduledBotDetails", "GET", f"/v2/bots/scheduled/{bot_id}")
    assert r.status == 200, r.body
    return r.json()["data"]


def limits(api: MockClient, **values) -> dict:
    return api._control("PUT", "/v2/limits", {"api_key": api.api_key, **values})


# -- scheduled bots ------------------------------------------------------------------------
def test_a_scheduled_bot_launches_at_join_at_with_the_same_id(api, v2):
    bot_id = schedule(api, v2, at(10), extra={"ref": 1}, callback_enabled=False)
    data = scheduled(api, v2, bot_id)
    assert data["status"] == "scheduled" and data["join_at"] == at(10)
    assert data["extra"] == {"ref": 1} and data["cancelled_at"] is None
    assert data["timeout_config"] == {"waiting_room_timeout": 600, "no_one_joined_timeout": 600}
    # not a bot yet
    assert call(api, v2, "getBotDetails", "GET", f"/v2/bots/{bot_id}").status == 404
    api.advance(10 * 60 - 1)
    assert scheduled(api, v2, bot_id)["status"] == "scheduled"
    api.advance(1)
    assert scheduled(api, v2, bot_id)["status"] == "completed"
    bot = call(api, v2, "getBotDetails", "GET", f"/v2/bots/{bot_id}").json()["data"]
    assert bot["status"] == "joining_call" and bot["extra"] == {"ref": 1}
    api.advance(3600)
    bot = call(api, v2, "getBotDetails", "GET", f"/v2/bots/{bot_id}").json()["data"]
    assert bot["status"] == "completed"


def test_join_at_must_be_a_minute_ahead(api, v2):
    r = call(
        api,
        v2,
        "createScheduledBot",
        "POST",
        "/v2/bots/scheduled",
        json_body={**BOT, "join_at": at(0, 59)},
    )
    assert r.status == 400 and "join_at" in r.json()["message"]
    assert schedule(api, v2, at(1))
    r = call(
        api, v2, "createScheduledBot", "POST", "/v2/bots/scheduled", json_body=BOT
    )  # no join_at
    assert r.status == 400 and "join_at" in r.json()["message"]


def test_update_and_delete_respect_the_four_minute_lock(api, v2):
    bot_id = schedule(api, v2, at(10))
    path = f"/v2/bots/scheduled/{bot_id}"
    r = call(api, v2, "updateScheduledBot", "PATCH", path, json_body={"bot_name": "Renamed"})
    assert r.status == 200
    assert scheduled(api, v2, bot_id)["bot_name"] == "Renamed"
    # a new join time must be 4 minutes ahead too
    r = call(api, v2, "updateScheduledBot", "PATCH", path, json_body={"join_at": at(3, 59)})
    assert r.status == 400
    r = call(api, v2, "updateScheduledBot", "PATCH", path, json_body={"join_at": at(20)})
    assert r.status == 200 and scheduled(api, v2, bot_id)["join_at"] == at(20)
    api.advance(16 * 60)  # 4 minutes before joining: 4:00 left is still allowed
    assert call(api, v2, "updateScheduledBot", "PATCH", path, json_body={}).status == 200
    api.advance(1)  # 3:59 left: locked
    r = call(api, v2, "updateScheduledBot", "PATCH", path, json_body={"bot_name": "x"})
    assert r.status == 409 and r.json()["code"] == "FST_ERR_BOT_STATUS"
    r = call(api, v2, "deleteScheduledBot", "DELETE", path)
    assert r.status == 409 and "lock window" in r.json()["message"]


def test_delete_cancels_and_the_bot_never_joins(api, v2):
    bot_id = schedule(api, v2, at(10))
    path = f"/v2/bots/scheduled/{bot_id}"
    r = call(api, v2, "deleteScheduledBot", "DELETE", path)
    assert r.status == 200 and r.json()["data"]["message"] == "Scheduled bot cancelled"
    data = scheduled(api, v2, bot_id)
    assert data["status"] == "cancelled" and data["cancelled_at"] == at(0)
    api.advance(3600)
    assert scheduled(api, v2, bot_id)["status"] == "cancelled"
    assert call(api, v2, "getBotDetails", "GET", f"/v2/bots/{bot_id}").status == 404
    # terminal: no second delete, no update
    assert call(api, v2, "deleteScheduledBot", "DELETE", path).status == 409
    assert call(api, v2, "updateScheduledBot", "PATCH", path, json_body={}).status == 409


def test_delete_after_launch_makes_the_bot_leave_before_recording(api, v2):
    bot_id = schedule(api, v2, at(5))
    api.advance(5 * 60)
    path = f"/v2/bots/scheduled/{bot_id}"
    r = call(api, v2, "deleteScheduledBot", "DELETE", path)
    assert r.status == 200
    api.advance(60)
    bot = call(api, v2, "getBotDetails", "GET", f"/v2/bots/{bot_id}").json()["data"]
    assert bot["status"] == "failed" and bot["error_code"] == "EXITING_MEETING_BEFORE_RECORD"
    assert call(api, v2, "deleteScheduledBot", "DELETE", path).status == 409


def test_leave_cancels_a_bot_not_launched_yet(api, v2):
    bot_id = schedule(api, v2, at(2))  # inside the lock window: leave still cancels
    r = call(api, v2, "leaveBot", "POST", f"/v2/bots/{bot_id}/leave")
    assert r.status == 200
    assert scheduled(api, v2, bot_id)["status"] == "cancelled"


def test_unknown_scheduled_bot_is_404(api, v2):
    for op, method in (
        ("getScheduledBotDetails", "GET"),
        ("deleteScheduledBot", "DELETE"),
    ):
        r = call(api, v2, op, method, f"/v2/bots/scheduled/{UNKNOWN}")
        assert r.status == 404 and r.json()["code"] == "FST_ERR_NOT_FOUND"
    other = MockClient(api.url, api_key="someone-else")
    bot_id = schedule(api, v2, at(10))
    assert other.request("GET", f"/v2/bots/scheduled/{bot_id}").status == 404


def test_list_is_earliest_first_with_filters_and_cursors(api, v2):
    late = schedule(api, v2, at(30), bot_name="Late", extra={"team": "a"})
    early = schedule(api, v2, at(10), bot_name="Early", extra={"team": "b"})
    middle = schedule(api, v2, at(20), bot_name="Middle", extra={"team": "a"})
    call(api, v2, "deleteScheduledBot", "DELETE", f"/v2/bots/scheduled/{middle}")

    def ids(query: str = "") -> list[str]:
        r = call(api, v2, "listScheduledBots", "GET", f"/v2/bots/scheduled{query}")
        assert r.status == 200, r.body
        return [b["bot_id"] for b in r.json()["data"]]

    assert ids() == [early, middle, late]
    assert ids("?status=scheduled") == [early, late]
    assert ids("?extra=team:a") == [middle, late]
    assert ids("?bot_name=mid") == [middle]
    assert ids(f"?scheduled_after={at(10)}") == [middle, late]
    assert ids(f"?scheduled_before={at(20)}") == [early]
    first = call(api, v2, "listScheduledBots", "GET", "/v2/bots/scheduled?limit=2").json()
    assert [b["bot_id"] for b in first["data"]] == [early, middle]
    second = call(
        api, v2, "listScheduledBots", "GET", f"/v2/bots/scheduled?limit=2&cursor={first['cursor']}"
    ).json()
    assert [b["bot_id"] for b in second["data"]] == [late] and second["cursor"] is None
    back = call(
        api,
        v2,
        "listScheduledBots",
        "GET",
        f"/v2/bots/scheduled?limit=2&cursor={second['prev_cursor']}",
    ).json()
    assert [b["bot_id"] for b in back["data"]] == [early, middle]


def test_batch_schedules_each_item_on_its_own(api, v2):
    items = [
        {**BOT, "join_at": at(10), "extra": {"n": 0}},
        {**BOT, "join_at": at(0, 30), "extra": {"n": 1}},
        {**BOT, "meeting_url": "https://example.com/x", "join_at": at(10), "extra": {"n": 2}},
    ]
    r = call(
        api, v2, "batchCreateScheduledBots", "POST", "/v2/bots/scheduled/batch", json_body=items
    )
    assert r.status == 201
    body = r.json()
    assert [d["index"] for d in body["data"]] == [0] and body["data"][0]["extra"] == {"n": 0}
    assert [(e["index"], e["code"]) for e in body["errors"]] == [
        (1, "VALIDATION_ERROR"),
        (2, "INVALID_MEETING_PLATFORM"),
    ]
    assert scheduled(api, v2, body["data"][0]["bot_id"])["status"] == "scheduled"


def test_a_launch_without_tokens_fails_with_a_webhook(api, v2, mockbaas_receiver: WebhookReceiver):
    api.request("POST", "/accounts/webhook_url", json_body={"webhook_url": mockbaas_receiver.url})
    bot_id = schedule(api, v2, at(10))
    limits(api, tokens=0)
    api.advance(10 * 60)
    assert scheduled(api, v2, bot_id)["status"] == "failed"
    api.advance(0)
    failed = [e for e in mockbaas_receiver.events() if e["event"] == "bot.failed"]
    assert failed and failed[-1]["data"]["bot_id"] == bot_id
    assert failed[-1]["data"]["error_code"] == "INSUFFICIENT_TOKENS"


# -- tokens, daily cap, rate limit ---------------------------------------------------------
def test_tokens_run_out_with_a_402(api, v2):
    shown = limits(api, tokens=1)
    assert shown["tokens_left"] == 1
    r1 = call(api, v2, "createBot", "POST", "/v2/bots", json_body=BOT)
    r2 = call(api, v2, "createBot", "POST", "/v2/bots", json_body=BOT)
    assert (r1.status, r2.status) == (201, 201)
    r = call(api, v2, "createBot", "POST", "/v2/bots", json_body=BOT)
    assert r.status == 402
    assert r.json()["code"] == "FST_ERR_INSUFFICIENT_TOKENS" and r.json()["statusCode"] == 402
    assert api._control("GET", "/v2/limits", api_key=api.api_key)["tokens_left"] == 0
    limits(api, tokens=None)
    assert call(api, v2, "createBot", "POST", "/v2/bots", json_body=BOT).status == 201


def test_the_daily_cap_is_a_429_with_retry_after(api, v2):
    limits(api, daily_bot_cap=1)
    assert call(api, v2, "createBot", "POST", "/v2/bots", json_body=BOT).status == 201
    api.advance(3600)
    r = call(api, v2, "createBot", "POST", "/v2/bots", json_body=BOT)
    assert r.status == 429
    body = r.json()
    assert body["code"] == "FST_ERR_DAILY_BOT_CAP_REACHED"
    assert body["retryAfter"] == 23 * 3600 and r.headers["Retry-After"] == str(23 * 3600)
    # the batch reports it per item
    r = call(api, v2, "batchCreateBots", "POST", "/v2/bots/batch", json_body=[BOT])
    assert r.json()["errors"][0]["code"] == "DAILY_BOT_CAP_REACHED"
    api.advance(23 * 3600)
    assert call(api, v2, "createBot", "POST", "/v2/bots", json_body=BOT).status == 201


def test_the_rate_limit_is_a_429_with_rate_limit_headers(api, v2):
    limits(api, rate_limit=2, rate_window_seconds=10)
    first = call(api, v2, "listBots", "GET", "/v2/bots")
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert call(api, v2, "listBots", "GET", "/v2/bots").headers["X-RateLimit-Remaining"] == "0"
    r = call(api, v2, "listBots", "GET", "/v2/bots")
    assert r.status == 429 and r.json()["code"] == "FST_ERR_RATE_LIMITED"
    assert r.json()["retryAfter"] == 10 and r.headers["Retry-After"] == "10"
    assert r.headers["X-RateLimit-Remaining"] == "0"
    api.advance(10)
    assert call(api, v2, "listBots", "GET", "/v2/bots").status == 200


def test_limits_refuse_bad_values(api):
    for body in ({"tokens": -1}, {"daily_bot_cap": 1.5}, {"rate_limit": "x"}, {"nope": 1}):
        r = api.request("PUT", "/_mockbaas/v2/limits", json_body={"api_key": api.api_key, **body})
        assert r.status == 422, (body, r.body)


# -- the target policy ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("callback_config", {"url": "https://hooks.example.com/cb"}),
        ("callback_config", {"url": "http://169.254.169.254/latest"}),
        ("streaming_config", {"output_url": "wss://stream.example.com/out"}),
    ],
)
def test_refused_targets_are_a_422_and_nothing_is_created(api, v2, field, value):
    for op, path, body in (
        ("createBot", "/v2/bots", {**BOT, field: value}),
        ("createScheduledBot", "/v2/bots/scheduled", {**BOT, field: value, "join_at": at(10)}),
        ("batchCreateBots", "/v2/bots/batch", [BOT, {**BOT, field: value}]),
    ):
        r = call(api, v2, op, "POST", path, json_body=body)
        assert r.status == 422, (op, r.body)
        assert r.json()["code"] == "FST_ERR_WEBHOOK_TARGET_REFUSED"
        assert f"{field}." in r.json()["message"]
    assert call(api, v2, "listBots", "GET", "/v2/bots").json()["data"] == []
    assert call(api, v2, "listScheduledBots", "GET", "/v2/bots/scheduled").json()["data"] == []


def test_retry_callback_elsewhere_is_checked_too(api, v2):
    body = {**BOT, "transcription_enabled": True}
    bot_id = call(api, v2, "createBot", "POST", "/v2/bots", json_body=body).json()["data"]["bot_id"]
    api.advance(3600)
    r = call(
        api,
        v2,
        "retryCallback",
        "POST",
        f"/v2/bots/{bot_id}/retry-callback",
        json_body={"url": "https://hooks.example.com/cb"},
    )
    assert r.status == 422 and r.json()["code"] == "FST_ERR_WEBHOOK_TARGET_REFUSED"


# -- Zoom credentials ----------------------------------------------------------------------
CREDENTIAL = {"name": "Main app", "client_id": "cid", "client_secret": "secret"}


def test_zoom_credentials_lifecycle(api, v2):
    r = call(api, v2, "createZoomCredential", "POST", "/v2/zoom-credentials", json_body=CREDENTIAL)
    assert r.status == 201
    app = r.json()["data"]
    assert app["credential_type"] == "app" and app["zoom_user_id"] is None
    assert "client_secret" not in app
    user_body = {
        **CREDENTIAL,
        "name": "Ada",
        "authorization_code": "code-1",
        "redirect_uri": "https://app.example.com/cb",
        "extra": {"u": 42},
    }
    user = call(
        api, v2, "createZoomCredential", "POST", "/v2/zoom-credentials", json_body=user_body
    ).json()["data"]
    assert user["credential_type"] == "user" and user["zoom_email"] and user["scopes"]
    # a code is single-use
    r = call(api, v2, "createZoomCredential", "POST", "/v2/zoom-credentials", json_body=user_body)
    assert r.status == 400 and "authorization_code" in r.json()["message"]
    listed = call(api, v2, "listZoomCredentials", "GET", "/v2/zoom-credentials").json()["data"]
    assert [c["credential_id"] for c in listed] == [app["credential_id"], user["credential_id"]]
    only = call(
        api, v2, "listZoomCredentials", "GET", "/v2/zoom-credentials?credential_type=user"
    ).json()["data"]
    assert [c["name"] for c in only] == ["Ada"]
    path = f"/v2/zoom-credentials/{app['credential_id']}"
    r = call(api, v2, "updateZoomCredential", "PATCH", path, json_body={"name": "Renamed"})
    assert r.status == 200 and r.json()["data"]["name"] == "Renamed"
    r = call(api, v2, "updateZoomCredential", "PATCH", path, json_body={"client_id": "x"})
    assert r.status == 400  # client_id and client_secret go together
    r = call(api, v2, "getZoomCredential", "GET", path)
    assert r.status == 200 and r.json()["data"]["name"] == "Renamed"
    assert call(api, v2, "deleteZoomCredential", "DELETE", path).status == 200
    assert call(api, v2, "getZoomCredential", "GET", path).status == 404
    assert call(api, v2, "deleteZoomCredential", "DELETE", path).status == 404


def test_authorization_code_needs_a_redirect_uri(api, v2):
    body = {**CREDENTIAL, "authorization_code": "c"}
    r = call(api, v2, "createZoomCredential", "POST", "/v2/zoom-credentials", json_body=body)
    assert r.status == 400 and "redirect_uri" in r.json()["message"]
