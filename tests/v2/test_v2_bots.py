"""The v2 bot operations over HTTP: envelopes, v2 status names, documented errors, and
every answer checked against openapi-v2.json (the fixture server runs --strict too)."""

from __future__ import annotations

import base64

import jsonschema
from support import checked_call as call

from mockbaas.contract import Contract
from mockbaas.testing import MockClient

MEET = "https://meet.google.com/abc-defg-hij"
ZOOM = "https://us05web.zoom.us/j/123456789"
BOT = {"bot_name": "Notetaker", "meeting_url": MEET}
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def create(api: MockClient, v2: Contract, **fields) -> str:
    r = call(api, v2, "createBot", "POST", "/v2/bots", json_body={**BOT, **fields})
    assert r.status == 201, r.body
    return r.json()["data"]["bot_id"]


def details(api: MockClient, v2: Contract, bot_id: str) -> dict:
    r = call(api, v2, "getBotDetails", "GET", f"/v2/bots/{bot_id}")
    assert r.status == 200
    return r.json()["data"]


def test_create_then_details_through_a_whole_meeting(api, v2):
    bot_id = create(api, v2, extra={"ref": "a1"}, transcription_enabled=True)
    data = details(api, v2, bot_id)
    assert data["status"] == "joining_call"
    assert data["meeting_platform"] == "meet" and data["recording_mode"] == "speaker_view"
    assert data["video"] is None and data["extra"] == {"ref": "a1"}
    status = call(api, v2, "getBotStatus", "GET", f"/v2/bots/{bot_id}/status").json()["data"]
    assert status["status"] == "joining_call" and status["transcription_status"] == "not-started"
    api.advance(3600)
    data = details(api, v2, bot_id)
    assert data["status"] == "completed"
    assert data["video"].startswith(api.url) and data["audio"] is None
    assert data["duration_seconds"] > 0 and data["error_code"] is None
    assert data["transcription_provider"] == "gladia"
    assert data["speakers"] and data["participants"] == data["speakers"]
    status = call(api, v2, "getBotStatus", "GET", f"/v2/bots/{bot_id}/status").json()["data"]
    assert status["transcription_status"] == "done"
    # the signed link is served, and lasts 4 hours (v1's last 2)
    assert api.request("GET", data["video"][len(api.url) :]).status == 200
    api.advance(3 * 3600)
    assert api.request("GET", data["video"][len(api.url) :]).status == 200
    api.advance(3600 + 1)
    assert api.request("GET", data["video"][len(api.url) :]).status == 403


def test_unknown_bot_is_a_404_envelope(api, v2):
    r = call(api, v2, "getBotDetails", "GET", f"/v2/bots/{UNKNOWN}")
    assert r.status == 404
    body = r.json()
    assert body["success"] is False and body["statusCode"] == 404
    assert body["code"] == "FST_ERR_NOT_FOUND" and UNKNOWN in body["message"]


def test_validation_is_a_400_envelope_naming_the_field(api, v2):
    r = call(api, v2, "createBot", "POST", "/v2/bots", json_body={"meeting_url": MEET})
    assert r.status == 400
    body = r.json()
    assert body["code"] == "FST_ERR_VALIDATION" and "bot_name" in body["message"]
    # the traffic log keeps the body the v2 client read, envelope and all
    [logged] = api.requests(operation_id="createBot")
    assert logged["error"] == body and logged["violation"] is True
    r = call(api, v2, "createBot", "POST", "/v2/bots", json_body={**BOT, "bot_name": ""})
    assert r.status == 400
    r = call(api, v2, "getBotDetails", "GET", "/v2/bots/not-a-uuid")
    assert r.status == 400 and r.json()["code"] == "FST_ERR_VALIDATION"


def test_missing_key_is_a_401_envelope(api, v2):
    r = call(api, v2, "listBots", "GET", "/v2/bots", api_key="")
    assert r.status == 401 and r.json()["code"] == "FST_ERR_UNAUTHORIZED"


def test_unknown_v2_route_and_method_answer_in_the_v2_envelope(api):
    for path in ("/v2/nothing-here", "/v2", "/v2/"):
        r = api.request("GET", path)
        assert r.status == 404 and r.json()["success"] is False, path
    r = api.request("PUT", "/v2/bots")
    assert r.status == 405 and r.json()["code"] == "FST_ERR_METHOD_NOT_ALLOWED"
    assert set(r.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST"}


def test_not_a_meeting_link_is_refused(api, v2):
    r = call(
        api,
        v2,
        "createBot",
        "POST",
        "/v2/bots",
        json_body={**BOT, "meeting_url": "https://example.com/x"},
    )
    assert r.status == 400 and r.json()["message"].startswith("meeting_url: ")


def test_multiple_bots_allowed_by_default_dedup_on_request(api, v2):
    first = create(api, v2)
    second = create(api, v2)
    assert first != second
    r = call(
        api, v2, "createBot", "POST", "/v2/bots", json_body={**BOT, "allow_multiple_bots": False}
    )
    assert r.status == 409 and r.json()["code"] == "FST_ERR_BOT_ALREADY_EXISTS"
    api.advance(300)
    create(api, v2, allow_multiple_bots=False)


def test_batch_create_reports_each_item(api, v2):
    items = [
        {**BOT, "extra": {"n": 0}},
        {**BOT, "meeting_url": "https://example.com/nope", "extra": {"n": 1}},
        {**BOT, "allow_multiple_bots": False, "extra": {"n": 2}},
        {**BOT, "meeting_url": ZOOM},
    ]
    r = call(api, v2, "batchCreateBots", "POST", "/v2/bots/batch", json_body=items)
    assert r.status == 201
    body = r.json()
    assert body["success"] is True
    assert [d["index"] for d in body["data"]] == [0, 3]
    assert body["data"][0]["extra"] == {"n": 0} and body["data"][1]["extra"] is None
    assert [(e["index"], e["code"]) for e in body["errors"]] == [
        (1, "INVALID_MEETING_PLATFORM"),
        (2, "BOT_ALREADY_EXISTS"),
    ]
    assert body["errors"][1]["extra"] == {"n": 2}


def test_list_filters_and_cursors(api, v2):
    ids = []
    for n in range(5):
        ids.append(create(api, v2, bot_name=f"Bot {n}", extra={"team": "a" if n % 2 else "b"}))
        api.advance(1)
    zoom = create(api, v2, meeting_url=ZOOM, bot_name="Zoomer")
    r = call(api, v2, "listBots", "GET", "/v2/bots", params={"limit": 2})
    page1 = r.json()
    assert [b["bot_id"] for b in page1["data"]] == [zoom, ids[4]]
    assert page1["prev_cursor"] is None and page1["cursor"]
    page2 = call(
        api, v2, "listBots", "GET", "/v2/bots", params={"limit": 2, "cursor": page1["cursor"]}
    ).json()
    assert [b["bot_id"] for b in page2["data"]] == [ids[3], ids[2]]
    back = call(
        api, v2, "listBots", "GET", "/v2/bots", params={"limit": 2, "cursor": page2["prev_cursor"]}
    ).json()
    assert [b["bot_id"] for b in back["data"]] == [zoom, ids[4]]
    assert base64.urlsafe_b64decode(page1["cursor"]).decode().endswith("::" + ids[3])

    def ids_for(**params) -> list[str]:
        return [
            b["bot_id"]
            for b in call(api, v2, "listBots", "GET", "/v2/bots", params=params).json()["data"]
        ]

    assert ids_for(meeting_platform="zoom") == [zoom]
    assert ids_for(bot_name="zoom") == [zoom]
    assert ids_for(extra="team:a") == [ids[3], ids[1]]
    assert ids_for(status="completed") == []
    api.advance(3600)
    assert len(ids_for(status="completed,failed")) == 6
    r = call(api, v2, "listBots", "GET", "/v2/bots", params={"cursor": "%%%"})
    assert r.status == 400 and r.json()["code"] == "FST_ERR_VALIDATION"
    # a cursor is a position: the bot it names need not exist
    ghost = base64.urlsafe_b64encode(b"2025-01-06T09:00:02.500Z::x").decode()
    page = call(api, v2, "listBots", "GET", "/v2/bots", params={"cursor": ghost}).json()
    assert [b["bot_id"] for b in page["data"]] == [ids[2], ids[1], ids[0]]


def test_leave_before_recording_fails_with_exiting_before_record(api, v2, mockbaas_receiver):
    api.request("POST", "/accounts/webhook_url", json_body={"webhook_url": mockbaas_receiver.url})
    bot_id = create(api, v2)
    r = call(api, v2, "leaveBot", "POST", f"/v2/bots/{bot_id}/leave")
    assert r.status == 200 and r.json()["data"]["message"]
    api.advance(60)
    data = details(api, v2, bot_id)
    assert data["status"] == "failed" and data["error_code"] == "EXITING_MEETING_BEFORE_RECORD"
    assert data["video"] is None
    r = call(api, v2, "leaveBot", "POST", f"/v2/bots/{bot_id}/leave")
    assert r.status == 409 and r.json()["code"] == "FST_ERR_BOT_STATUS"
    final = [e for e in mockbaas_receiver.events() if e["event"] in ("bot.completed", "bot.failed")]
    assert final == [
        {
            "event": "bot.failed",
            "data": {
                "bot_id": bot_id,
                "event_id": None,
                "error_message": "The bot was asked to leave before it started recording",
                "error_code": "EXITING_MEETING_BEFORE_RECORD",
                "sent_at": final[0]["data"]["sent_at"],
            },
            "extra": None,
        }
    ]


def test_leave_while_recording_completes(api, v2):
    bot_id = create(api, v2)
    api.advance(120)
    assert details(api, v2, bot_id)["status"] == "in_call_recording"
    assert call(api, v2, "leaveBot", "POST", f"/v2/bots/{bot_id}/leave").status == 200
    api.advance(60)
    data = details(api, v2, bot_id)
    assert data["status"] == "completed" and data["video"]


def test_failure_maps_to_v2_error_codes(api, v2):
    bot_id = create(api, v2, extra={"mockbaas_scenario": "rejected"})
    api.advance(600)
    data = details(api, v2, bot_id)
    assert (data["status"], data["error_code"]) == ("failed", "BOT_NOT_ACCEPTED")


def test_pause_resume_and_their_conflicts(api, v2):
    bot_id = create(api, v2)
    r = call(api, v2, "pauseBotRecording", "POST", f"/v2/bots/{bot_id}/pause-recording")
    assert r.status == 409 and r.json()["code"] == "FST_ERR_BOT_STATUS"
    api.advance(120)
    r = call(
        api, v2, "pauseBotRecording", "POST", f"/v2/bots/{bot_id}/pause-recording", json_body={}
    )
    assert r.status == 200
    assert details(api, v2, bot_id)["status"] == "recording_paused"
    r = call(api, v2, "pauseBotRecording", "POST", f"/v2/bots/{bot_id}/pause-recording")
    assert r.status == 409
    r = call(api, v2, "resumeBotRecording", "POST", f"/v2/bots/{bot_id}/resume-recording")
    assert r.status == 200
    assert details(api, v2, bot_id)["status"] == "recording_resumed"
    assert api.statuses(bot_id)[-2:] == ["recording_paused", "recording_resumed"]
    r = call(api, v2, "resumeBotRecording", "POST", f"/v2/bots/{UNKNOWN}/resume-recording")
    assert r.status == 404


def test_send_chat_message(api, v2):
    bot_id = create(api, v2)
    path = f"/v2/bots/{bot_id}/send-chat-message"
    r = call(api, v2, "sendChatMessage", "POST", path, json_body={"message": "hi"})
    assert r.status == 409
    api.advance(120)
    r = call(api, v2, "sendChatMessage", "POST", path, json_body={"message": "hi"})
    assert r.status == 200
    r = call(api, v2, "sendChatMessage", "POST", path, json_body={"message": ""})
    assert r.status == 400
    muted = create(api, v2, extra={"mockbaas_chat_disabled": True})
    api.advance(120)
    r = call(
        api,
        v2,
        "sendChatMessage",
        "POST",
        f"/v2/bots/{muted}/send-chat-message",
        json_body={"message": "x"},
    )
    assert r.status == 422 and r.json()["code"] == "FST_ERR_CHAT_DISABLED"


def test_update_config_merges_extra(api, v2):
    bot_id = create(api, v2, extra={"a": 1, "b": 2})
    path = f"/v2/bots/{bot_id}/update-config"
    r = call(api, v2, "updateBotConfig", "PATCH", path, json_body={"extra": {"b": 3, "c": 4}})
    assert r.status == 200
    assert details(api, v2, bot_id)["extra"] == {"a": 1, "b": 3, "c": 4}
    r = call(api, v2, "updateBotConfig", "PATCH", path, json_body={})
    assert r.status == 400


def test_screenshots_paginate(api, v2):
    bot_id = create(api, v2)
    api.advance(3600)
    path = f"/v2/bots/{bot_id}/screenshots"
    all_shots = call(api, v2, "getBotScreenshots", "GET", path).json()
    assert [s["screenshot_id"] for s in all_shots["data"]] == [1, 2]
    first = call(api, v2, "getBotScreenshots", "GET", path, params={"limit": 1}).json()
    assert [s["screenshot_id"] for s in first["data"]] == [1] and first["cursor"]
    second = call(
        api, v2, "getBotScreenshots", "GET", path, params={"limit": 1, "cursor": first["cursor"]}
    ).json()
    assert [s["screenshot_id"] for s in second["data"]] == [2] and second["cursor"] is None
    assert api.request("GET", second["data"][0]["url"][len(api.url) :]).status == 200


def test_delete_data(api, v2):
    bot_id = create(api, v2)
    api.advance(3600)
    r = call(api, v2, "deleteBotData", "DELETE", f"/v2/bots/{bot_id}/delete-data")
    assert r.status == 200 and r.json()["data"]["message"] == "Bot data deleted"
    data = details(api, v2, bot_id)
    assert data["artifacts_deleted"] is True and data["video"] is None
    shots = call(api, v2, "getBotScreenshots", "GET", f"/v2/bots/{bot_id}/screenshots").json()
    assert shots["data"] == []
    r = call(api, v2, "deleteBotData", "DELETE", f"/v2/bots/{bot_id}/delete-data")
    assert r.json()["data"]["message"] == "Bot data was already deleted"


def test_rate_limit_is_a_429_with_retry_after(api, v2):
    bot_id = create(api, v2)
    for _ in range(5):
        call(api, v2, "deleteBotData", "DELETE", f"/v2/bots/{bot_id}/delete-data")
    r = call(api, v2, "deleteBotData", "DELETE", f"/v2/bots/{bot_id}/delete-data")
    assert r.status == 429
    body = r.json()
    assert body["code"] == "FST_ERR_RATE_LIMITED" and body["retryAfter"] == 60
    assert r.headers["Retry-After"] == "60"


def test_resend_webhook_and_retry_callback(api, v2, mockbaas_receiver):
    api.request("POST", "/accounts/webhook_url", json_body={"webhook_url": mockbaas_receiver.url})
    callback = {"url": mockbaas_receiver.url + "/cb", "secret": "s3cret", "method": "PUT"}
    bot_id = create(
        api, v2, callback_enabled=True, callback_config=callback, transcription_enabled=True
    )
    untranscribed = create(api, v2, callback_enabled=True, callback_config=callback)
    for op, suffix in (
        ("resendFinalWebhook", "resend-webhook"),
        ("retryCallback", "retry-callback"),
    ):
        r = call(api, v2, op, "POST", f"/v2/bots/{bot_id}/{suffix}")
        assert r.status == 409 and r.json()["code"] == "FST_ERR_BOT_STATUS"
    api.advance(3600)
    callbacks = [r for r in mockbaas_receiver.received if r.path.endswith("/cb")]
    assert len(callbacks) == 2  # both bots' own callbacks
    r = call(api, v2, "retryCallback", "POST", f"/v2/bots/{untranscribed}/retry-callback")
    assert r.status == 409 and "transcription" in r.json()["message"]
    callbacks = [c for c in callbacks if c.json()["data"]["bot_id"] == bot_id]
    assert callbacks[0].headers["x-mb-secret"] == "s3cret"
    assert callbacks[0].json()["event"] == "bot.completed"
    assert (
        call(api, v2, "resendFinalWebhook", "POST", f"/v2/bots/{bot_id}/resend-webhook").status
        == 200
    )
    r = call(
        api,
        v2,
        "retryCallback",
        "POST",
        f"/v2/bots/{bot_id}/retry-callback",
        json_body={"url": mockbaas_receiver.url + "/other"},
    )
    assert r.status == 200
    api.advance(1)
    completed = [
        e
        for e in mockbaas_receiver.events()
        if e["event"] == "bot.completed" and e["data"]["bot_id"] == bot_id
    ]
    assert len(completed) == 4  # webhook, callback, resent webhook, retried callback
    other = [r for r in mockbaas_receiver.received if r.path.endswith("/other")]
    assert len(other) == 1 and "x-mb-secret" not in other[0].headers
    plain = create(api, v2)
    api.advance(3600)
    r = call(api, v2, "retryCallback", "POST", f"/v2/bots/{plain}/retry-callback")
    assert r.status == 409


def test_v1_bots_are_not_v2_bots(api, v2):
    v1 = api.join(MEET)
    assert call(api, v2, "getBotDetails", "GET", f"/v2/bots/{v1}").status == 404
    assert call(api, v2, "listBots", "GET", "/v2/bots").json()["data"] == []


def test_traffic_filter_and_fault_rules_take_v2_operation_ids(api, v2):
    """The log records v2 calls by their v2 operationId: filters and faults name them so."""
    create(api, v2)
    api.request("GET", "/v2/bots")
    assert [e["operation_id"] for e in api.requests(operation_id="createBot")] == ["createBot"]
    assert [e["path"] for e in api.requests(operation_id="listBots")] == ["/v2/bots"]
    rule = api.fault("listBots", status=503, times=1)
    assert rule["operation_id"] == "listBots"
    r = api.request("GET", "/v2/bots")
    assert r.status == 503  # a status the user chose: the body is still v2's Error
    jsonschema.validate(r.json(), v2.document["components"]["schemas"]["Error"])
    assert r.json() == {
        "success": False,
        "error": "Service Unavailable",
        "code": "FST_ERR_SERVICE_UNAVAILABLE",
        "statusCode": 503,
        "message": f"injected fault {rule['id']}: HTTP 503",
        "details": None,
    }
    assert api.request("GET", "/v2/bots").status == 200
    for status, error, code in [
        (418, "I'm a Teapot", "FST_ERR_I_M_A_TEAPOT"),
        (499, "Client Error", "FST_ERR_CLIENT_ERROR"),
        (599, "Server Error", "FST_ERR_SERVER_ERROR"),
    ]:
        api.fault("listBots", status=status, times=1)
        r = api.request("GET", "/v2/bots")
        assert r.status == status and r.headers["Content-Type"] == "application/json"
        assert (r.json()["error"], r.json()["code"]) == (error, code)
        jsonschema.validate(r.json(), v2.document["components"]["schemas"]["Error"])
    refused = api.request("GET", "/_mockbaas/requests", params={"operation_id": "createbot"})
    assert refused.status == 400
    message = refused.json()["details"][0]["message"]
    assert message.startswith("one of ") and "join" in message
    assert message.endswith('; did you mean "createBot"?')
