"""Where `openapi-v2.json` comes from: our own v2 definitions, written once as Python.

The v2 document repeats a few shapes many times (the `{success, data}` envelope, the
error envelope on every status, bot fields shared by details, list and webhooks); here
each is defined once and the JSON is generated. Regenerate after an edit with
`python -m mockbaas.v2.contract_source > openapi-v2.json`; a test fails when the
committed file differs from what this module produces.
"""

from __future__ import annotations

import json
from typing import Any

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
UUID: Schema = {"type": "string", "format": "uuid"}
URI: Schema = {"type": "string", "format": "uri"}
DT: Schema = {"type": "string", "format": "date-time"}
NULL: Schema = {"type": "null"}
FREE: Schema = {"type": "object", "additionalProperties": True}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nul(schema: Schema, **extra: Any) -> Schema:
    """`schema` or null (how the v2 API spells an optional value)."""
    return {"anyOf": [schema, NULL], **extra}


def arr(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


def enum(*values: str, **extra: Any) -> Schema:
    return {"type": "string", "enum": list(values), **extra}


class Opt:
    """Marks an optional property of `obj`."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema


def obj(closed: bool = True, /, **props: Schema | Opt) -> Schema:
    """An object; every property is required unless wrapped in `Opt`. Responses are
    closed (an unknown field is a mock bug); request bodies are open, as the API is."""
    schema: Schema = {
        "type": "object",
        "properties": {k: v.schema if isinstance(v, Opt) else v for k, v in props.items()},
    }
    required = [k for k, v in props.items() if not isinstance(v, Opt)]
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema


def body(**props: Schema | Opt) -> Schema:
    return obj(False, **props)


# -- shared shapes ----------------------------------------------------------------------
PLATFORMS = ("zoom", "meet", "teams")
RECORDING_MODES = ("audio_only", "speaker_view", "gallery_view")
BOT_STATUSES = (
    "queued",
    "pickup_delayed",
    "transcribing",
    "completed",
    "failed",
    "joining_call",
    "in_waiting_room",
    "in_waiting_for_host",
    "in_call_not_recording",
    "in_call_recording",
    "recording_paused",
    "recording_resumed",
    "call_ended",
    "recording_succeeded",
    "recording_failed",
    "api_request_stop",
    "bot_rejected",
    "bot_removed",
    "bot_removed_too_early",
    "waiting_room_timeout",
    "invalid_meeting_url",
    "meeting_error",
)
TRANSCRIPTION_STATUSES = ("queued", "processing", "done", "error", "not-applicable", "not-started")

EXTRA = nul({"type": "object", "additionalProperties": True})

CALLBACK_CONFIG = body(
    url=URI,
    secret=Opt(nul(STR, default=None)),
    method=Opt(enum("POST", "PUT", default="POST")),
)

#: A link the bots can join (what the engine's `platform_of` accepts, lower-case): one
#: bot refuses anything else with 400; a batch reports it per item instead.
MEETING_LINK = (
    r"^https?://(([a-z0-9-]+\.)*zoom\.us|meet\.google\.com|teams\.microsoft\.com"
    r"|teams\.live\.com)(:[0-9]{1,5})?/+[^/?#]"
)


#: `field:value[,field:value…]`, each field non-empty
EXTRA_FILTER = r"^[^:,]+:[^,]*(,[^:,]+:[^,]*)*$"


def create_bot(meeting_url: Schema) -> Schema:
    return body(
        bot_name={"type": "string", "minLength": 1, "maxLength": 255},
        bot_image=Opt(nul({"anyOf": [URI, arr(URI, minItems=1, maxItems=5)]}, default=None)),
        bot_image_config=Opt(
            nul(
                body(
                    loop_mode=Opt(enum("auto", "bot_status", default="auto")),
                    image_duration=Opt({**INT, "minimum": 10, "maximum": 120, "default": 30}),
                ),
                default=None,
            )
        ),
        meeting_url=meeting_url,
        allow_multiple_bots=Opt({**BOOL, "default": True}),
        recording_mode=Opt(enum(*RECORDING_MODES, default="speaker_view")),
        entry_message=Opt(nul(STR, default=None)),
        timeout_config=Opt(
            body(
                waiting_room_timeout=Opt({**INT, "minimum": 120, "maximum": 1800, "default": 600}),
                no_one_joined_timeout=Opt({**INT, "minimum": 120, "maximum": 1800, "default": 600}),
                silence_timeout=Opt({**INT, "minimum": 300, "maximum": 1800, "default": 600}),
                grace_period=Opt({**INT, "minimum": 0, "maximum": 600, "default": 0}),
            )
        ),
        zoom_config=Opt(
            nul(
                body(
                    credential_id=Opt(UUID),
                    credential_user_id=Opt(STR),
                    obf_token=Opt(STR),
                    obf_token_url=Opt(URI),
                    zak_token_url=Opt(URI),
                ),
                default=None,
            )
        ),
        extra=Opt(nul(FREE, default=None)),
        streaming_enabled=Opt({**BOOL, "default": False}),
        streaming_config=Opt(
            nul(
                body(
                    input_url=Opt(nul(URI, default=None)),
                    output_url=Opt(nul(URI, default=None)),
                    audio_frequency=Opt(
                        nul({"type": "number", "enum": [16000, 24000, 32000, 48000]})
                    ),
                ),
                default=None,
            )
        ),
        transcription_enabled=Opt({**BOOL, "default": False}),
        transcription_config=Opt(
            nul(
                body(
                    provider=Opt(enum("gladia", default="gladia")),
                    api_key=Opt(nul(STR, default=None)),
                    custom_params=Opt(nul(FREE, default=None)),
                ),
                default=None,
            )
        ),
        callback_enabled=Opt({**BOOL, "default": False}),
        callback_config=Opt(nul(CALLBACK_CONFIG, default=None)),
    )


CREATE_BOT = create_bot({**URI, "pattern": MEETING_LINK})
BATCH_ITEM = create_bot(URI)

PERSON = obj(name=STR, id=nul(INT), display_name=Opt(STR), profile_picture=Opt(URI))
TOKENS = nul(
    obj(
        recording=NUM,
        transcription=NUM,
        byok_transcription=NUM,
        streaming_input=NUM,
        streaming_output=NUM,
        total=NUM,
    )
)
STATUS = enum(*BOT_STATUSES)

BOT_DETAILS = obj(
    bot_id=UUID,
    bot_name=STR,
    meeting_url=URI,
    meeting_platform=enum(*PLATFORMS),
    recording_mode=enum(*RECORDING_MODES),
    status=STATUS,
    created_at=DT,
    joined_at=nul(DT),
    exited_at=nul(DT),
    duration_seconds=nul(NUM),
    participants=arr(ref("Person")),
    speakers=arr(ref("Person")),
    artifacts_deleted=BOOL,
    video=nul(URI),
    audio=nul(URI),
    diarization=nul(URI),
    raw_transcription=nul(URI),
    transcription=nul(URI),
    chat_messages=nul(URI),
    transcription_ids=nul(arr(STR)),
    transcription_provider=nul(STR),
    error_code=nul(STR),
    error_message=nul(STR),
    tokens=ref("Tokens"),
    extra=EXTRA,
    zoom_config=nul(
        obj(
            credential_id=Opt(nul(STR)),
            credential_user_id=Opt(nul(STR)),
            obf_token_url=Opt(nul(STR)),
            zak_token_url=Opt(nul(STR)),
        )
    ),
)

BOT_SUMMARY = obj(
    bot_id=UUID,
    bot_name=STR,
    meeting_url=URI,
    meeting_platform=enum(*PLATFORMS),
    extra=EXTRA,
    duration=nul(NUM),
    created_at=DT,
    ended_at=nul(DT),
    joined_at=nul(DT),
    exited_at=nul(DT),
    status=STATUS,
    error_code=nul(STR),
    error_message=nul(STR),
    tokens=ref("Tokens"),
)


def ok(data: Schema, **more: Schema) -> Schema:
    """The success envelope: `{success: true, data, …}`."""
    return obj(success={"type": "boolean", "enum": [True]}, data=data, **more)


def page(item: Schema) -> Schema:
    return ok(arr(item), cursor=nul(STR), prev_cursor=nul(STR))


MESSAGE = ok(obj(message=STR))

ERROR = obj(
    success={"type": "boolean", "enum": [False]},
    error=STR,
    code={"type": "string", "pattern": "^FST_ERR_"},
    statusCode={"type": "integer", "minimum": 400, "maximum": 599},
    message=Opt(nul(STR)),
    details=Opt(nul(STR)),
)
RATE_LIMITED = obj(
    success={"type": "boolean", "enum": [False]},
    error=STR,
    code={"type": "string", "pattern": "^FST_ERR_"},
    statusCode={"type": "integer", "enum": [429]},
    message=Opt(nul(STR)),
    details=Opt(nul(STR)),
    retryAfter=Opt({"type": "integer", "minimum": 1}),
)

ERROR_TEXT = {
    "400": "Bad request: the input breaks the contract (FST_ERR_VALIDATION)",
    "401": "The API key is missing or unknown (calendars: the OAuth token refresh failed)",
    "403": "The calendar provider denied permission",
    "402": "Not enough tokens left to reserve for this bot (FST_ERR_INSUFFICIENT_TOKENS)",
    "404": "No such resource for this account",
    "409": "The resource's state does not allow this operation",
    "413": "The request body is too large",
    "415": "The body is not JSON",
    "422": "The request was understood but cannot be carried out (a refused callback or "
    "streaming target: FST_ERR_WEBHOOK_TARGET_REFUSED; chat disabled: FST_ERR_CHAT_DISABLED)",
    "429": "Rate limited or daily bot cap reached; retry after `retryAfter` seconds",
    "500": "Unexpected server error",
}
RATE_HEADERS = {
    name: {"description": text, "schema": {"type": "integer"}}
    for name, text in (
        ("Retry-After", "seconds to wait before retrying"),
        ("X-RateLimit-Limit", "requests allowed in the current window"),
        ("X-RateLimit-Remaining", "requests left in the current window"),
        ("X-RateLimit-Reset", "seconds until the window resets"),
    )
}


def responses(status: str, schema: Schema, *errors: str, description: str = "") -> Schema:
    out: Schema = {
        status: {
            "description": description or "Success",
            "content": {"application/json": {"schema": schema}},
        }
    }
    for code in ("400", "401", *errors, "429", "500"):
        target = "RateLimited" if code == "429" else "Error"
        out[code] = {
            "description": ERROR_TEXT[code],
            "content": {"application/json": {"schema": ref(target)}},
        }
        if code == "429":
            out[code]["headers"] = RATE_HEADERS
    return out


def query(name: str, schema: Schema, required: bool = False, text: str = "") -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        **({"description": text} if text else {}),
    }


def path_param(name: str, schema: Schema = UUID) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": schema}


LIMIT = query(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": 250, "default": 50},
    text="Page size (1-250, default 50)",
)
CURSOR = query(
    "cursor",
    STR,
    text="`cursor` (next page) or `prev_cursor` (previous page) of an earlier answer",
)


def operation(
    op_id: str,
    summary: str,
    tag: str,
    answer: Schema,
    *,
    params: list[Schema] | None = None,
    request: Schema | None = None,
    request_required: bool = True,
) -> Schema:
    spec: Schema = {"operationId": op_id, "summary": summary, "tags": [tag]}
    if params:
        spec["parameters"] = params
    if request is not None:
        spec["requestBody"] = {
            "required": request_required,
            "content": {"application/json": {"schema": request}},
        }
        for code in ("413", "415"):  # what a body can do wrong before it is even read
            answer[code] = {
                "description": ERROR_TEXT[code],
                "content": {"application/json": {"schema": ref("Error")}},
            }
        answer = dict(sorted(answer.items()))
    spec["responses"] = answer
    return spec


BOT_ID = path_param("bot_id")
BOT_ERRORS = ("404",)


def bot_paths() -> dict[str, Schema]:
    nullable_text = STR
    return {
        "/v2/bots": {
            "post": operation(
                "createBot",
                "Create a bot that joins a meeting now",
                "Bots",
                responses("201", ok(obj(bot_id=UUID)), "402", "409", "422"),
                request=ref("CreateBotRequest"),
            ),
            "get": operation(
                "listBots",
                "List the account's bots, newest first",
                "Bots",
                responses("200", page(ref("BotSummary"))),
                params=[
                    query("bot_name", nullable_text, text="Part of the bot's name"),
                    query("participant_name", nullable_text, text="Part of a participant's name"),
                    query("bot_id", nullable_text, text="Part of the bot's id"),
                    query("created_before", DT),
                    query("created_after", DT),
                    LIMIT,
                    CURSOR,
                    query("ended_after", DT),
                    query(
                        "extra",
                        {**STR, "pattern": EXTRA_FILTER},
                        text="`field:value[,field:value]`: bots whose `extra` has all of them",
                    ),
                    query("meeting_url", nullable_text, text="Part of the meeting URL"),
                    query("meeting_platform", nullable_text, text="zoom, meet or teams"),
                    query("status", nullable_text, text="Comma-separated statuses"),
                ],
            ),
        },
        "/v2/bots/batch": {
            "post": operation(
                "batchCreateBots",
                "Create several bots; each item succeeds or fails on its own",
                "Bots",
                responses("201", BATCH_ANSWER, "422"),
                request=arr(ref("BatchCreateBotItem"), minItems=1, maxItems=100),
            )
        },
        "/v2/bots/{bot_id}": {
            "get": operation(
                "getBotDetails",
                "A bot's details and artifacts",
                "Bots",
                responses("200", ok(ref("BotDetails")), *BOT_ERRORS),
                params=[BOT_ID],
            )
        },
        "/v2/bots/{bot_id}/status": {
            "get": operation(
                "getBotStatus",
                "A bot's current status",
                "Bots",
                responses(
                    "200",
                    ok(
                        obj(
                            bot_id=UUID,
                            status=STATUS,
                            transcription_status=enum(*TRANSCRIPTION_STATUSES),
                            updated_at=DT,
                        )
                    ),
                    *BOT_ERRORS,
                ),
                params=[BOT_ID],
            )
        },
        "/v2/bots/{bot_id}/screenshots": {
            "get": operation(
                "getBotScreenshots",
                "Screenshots the bot took in the call",
                "Bots",
                responses("200", page(obj(screenshot_id=INT, url=URI)), *BOT_ERRORS),
                params=[LIMIT, CURSOR, BOT_ID],
            )
        },
        "/v2/bots/{bot_id}/leave": {
            "post": operation(
                "leaveBot",
                "Make an active bot leave its meeting",
                "Bots",
                responses("200", MESSAGE, "404", "409"),
                params=[BOT_ID],
            )
        },
        "/v2/bots/{bot_id}/send-chat-message": {
            "post": operation(
                "sendChatMessage",
                "Post a message in the meeting's chat",
                "Bots",
                responses("200", MESSAGE, "404", "409", "422"),
                params=[BOT_ID],
                request=body(message={"type": "string", "minLength": 1, "maxLength": 500}),
            )
        },
        "/v2/bots/{bot_id}/pause-recording": {
            "post": operation(
                "pauseBotRecording",
                "Pause a recording bot",
                "Bots",
                responses("200", MESSAGE, "404", "409"),
                params=[BOT_ID],
                request=body(chat_message=Opt(nul({**STR, "maxLength": 500}, default=None))),
                request_required=False,
            )
        },
        "/v2/bots/{bot_id}/resume-recording": {
            "post": operation(
                "resumeBotRecording",
                "Resume a paused bot",
                "Bots",
                responses("200", MESSAGE, "404", "409"),
                params=[BOT_ID],
                request=body(chat_message=Opt(nul({**STR, "maxLength": 500}, default=None))),
                request_required=False,
            )
        },
        "/v2/bots/{bot_id}/delete-data": {
            "delete": operation(
                "deleteBotData",
                "Delete a bot's recording, transcripts and screenshots",
                "Bots",
                responses("200", MESSAGE, *BOT_ERRORS),
                params=[query("delete_from_provider", {**BOOL, "default": True}), BOT_ID],
            )
        },
        "/v2/bots/{bot_id}/resend-webhook": {
            "post": operation(
                "resendFinalWebhook",
                "Send an ended bot's final webhook again",
                "Bots",
                responses("200", MESSAGE, "404", "409"),
                params=[BOT_ID],
            )
        },
        "/v2/bots/{bot_id}/retry-callback": {
            "post": operation(
                "retryCallback",
                "Send an ended bot's callback again, optionally elsewhere",
                "Bots",
                responses("200", MESSAGE, "404", "409", "422"),
                params=[BOT_ID],
                request=nul(CALLBACK_CONFIG),
                request_required=False,
            )
        },
        "/v2/bots/{bot_id}/update-config": {
            "patch": operation(
                "updateBotConfig",
                "Merge keys into a bot's `extra` (shallow)",
                "Bots",
                responses("200", MESSAGE, *BOT_ERRORS),
                params=[BOT_ID],
                request=body(extra=nul(FREE)),
            )
        },
    }


# -- scheduled bots -----------------------------------------------------------------------
SCHEDULED_STATUSES = ("scheduled", "cancelled", "completed", "failed")


def with_join_at(schema: Schema, required: bool = True) -> Schema:
    out = {**schema, "properties": {**schema["properties"], "join_at": DT}}
    if required:
        out["required"] = [*schema.get("required", []), "join_at"]
    return out


def all_optional(schema: Schema) -> Schema:
    return {k: v for k, v in schema.items() if k != "required"}


CREATE_SCHEDULED = with_join_at(CREATE_BOT)
BATCH_SCHEDULED_ITEM = with_join_at(BATCH_ITEM)
UPDATE_SCHEDULED = all_optional(with_join_at(CREATE_BOT, required=False))

SCHEDULED_BOT = obj(
    bot_id=UUID,
    bot_name=STR,
    bot_image=nul(STR),
    meeting_url=STR,
    meeting_platform=enum(*PLATFORMS),
    recording_mode=enum(*RECORDING_MODES),
    join_at=DT,
    status=enum(*SCHEDULED_STATUSES),
    created_at=DT,
    updated_at=DT,
    cancelled_at=nul(DT),
    allow_multiple_bots=BOOL,
    entry_message=nul(STR),
    timeout_config=obj(waiting_room_timeout=nul(INT), no_one_joined_timeout=nul(INT)),
    transcription_config=nul(
        obj(enabled={**BOOL, "enum": [True]}, provider=enum("gladia"), custom_params=nul(FREE))
    ),
    streaming_config=nul(
        obj(
            enabled={**BOOL, "enum": [True]},
            input_url=nul(STR),
            output_url=nul(STR),
            audio_frequency=nul(INT),
        )
    ),
    callback_config=nul(
        obj(
            enabled={**BOOL, "enum": [True]},
            url=STR,
            secret=nul(STR),
            method=enum("POST", "PUT"),
        )
    ),
    extra=EXTRA,
    zoom_config=nul(
        obj(
            credential_id=Opt(nul(UUID)),
            credential_user_id=Opt(nul(STR)),
            obf_token_url=Opt(nul(STR)),
            zak_token_url=Opt(nul(STR)),
        )
    ),
)
SCHEDULED_SUMMARY = obj(
    bot_id=UUID,
    bot_name=STR,
    meeting_url=STR,
    meeting_platform=enum(*PLATFORMS),
    join_at=DT,
    status=enum(*SCHEDULED_STATUSES),
    extra=EXTRA,
    created_at=DT,
    updated_at=DT,
)
BATCH_ANSWER = obj(
    success={"type": "boolean", "enum": [True]},
    data=arr(obj(index=INT, bot_id=UUID, extra=EXTRA)),
    errors=arr(obj(index=INT, code=STR, message=STR, details=nul(STR), extra=EXTRA)),
)


def scheduled_paths() -> dict[str, Schema]:
    return {
        "/v2/bots/scheduled": {
            "post": operation(
                "createScheduledBot",
                "Schedule a bot to join at `join_at` (at least 1 minute ahead)",
                "Scheduled bots",
                responses("201", ok(obj(bot_id=UUID)), "422"),
                request=ref("CreateScheduledBotRequest"),
            ),
            "get": operation(
                "listScheduledBots",
                "List the account's scheduled bots, earliest join first",
                "Scheduled bots",
                responses("200", page(ref("ScheduledBotSummary"))),
                params=[
                    query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                        text="Page size (1-100, default 50)",
                    ),
                    CURSOR,
                    query("bot_id", STR, text="Part of the bot's id"),
                    query("scheduled_before", DT),
                    query("scheduled_after", DT),
                    query("status", STR, text="Comma-separated: scheduled, cancelled, ..."),
                    query("bot_name", STR, text="Part of the bot's name"),
                    query("meeting_url", STR, text="Part of the meeting URL"),
                    query("meeting_platform", STR, text="zoom, meet or teams"),
                    query(
                        "extra",
                        {**STR, "pattern": EXTRA_FILTER},
                        text="`field:value[,field:value]`: bots whose `extra` has all of them",
                    ),
                ],
            ),
        },
        "/v2/bots/scheduled/batch": {
            "post": operation(
                "batchCreateScheduledBots",
                "Schedule several bots; each item succeeds or fails on its own",
                "Scheduled bots",
                responses("201", BATCH_ANSWER, "422"),
                request=arr(ref("BatchCreateScheduledBotItem"), minItems=1, maxItems=100),
            )
        },
        "/v2/bots/scheduled/{bot_id}": {
            "get": operation(
                "getScheduledBotDetails",
                "A scheduled bot's configuration and status",
                "Scheduled bots",
                responses("200", ok(ref("ScheduledBot")), "404"),
                params=[BOT_ID],
            ),
            "patch": operation(
                "updateScheduledBot",
                "Change a scheduled bot (409 within 4 minutes of its join time)",
                "Scheduled bots",
                responses("200", MESSAGE, "404", "409", "422"),
                params=[BOT_ID],
                request=ref("UpdateScheduledBotRequest"),
                request_required=False,
            ),
            "delete": operation(
                "deleteScheduledBot",
                "Cancel a scheduled bot, or make its launched bot leave",
                "Scheduled bots",
                responses("200", MESSAGE, "404", "409"),
                params=[BOT_ID],
            ),
        },
    }


# -- Zoom credentials -----------------------------------------------------------------------
CREDENTIAL_BODY = body(
    name={"type": "string", "minLength": 1, "maxLength": 100},
    client_id={"type": "string", "minLength": 1, "maxLength": 256},
    client_secret={"type": "string", "minLength": 1, "maxLength": 256},
    authorization_code=Opt({"type": "string", "maxLength": 2000}),
    redirect_uri=Opt(URI),
    extra=Opt(nul(FREE)),
)
CREDENTIAL = obj(
    credential_id=UUID,
    name={"type": "string", "minLength": 1, "maxLength": 100},
    credential_type=enum("app", "user"),
    zoom_user_id=nul(STR),
    zoom_account_id=nul(STR),
    zoom_email=nul(STR),
    zoom_display_name=nul(STR),
    scopes=nul(STR),
    state=enum("active", "invalid"),
    last_error_message=nul(STR),
    last_error_at=nul(DT),
    created_at=DT,
    updated_at=DT,
    extra=EXTRA,
)
CREDENTIAL_ID = path_param("id")


def credential_paths() -> dict[str, Schema]:
    return {
        "/v2/zoom-credentials": {
            "post": operation(
                "createZoomCredential",
                "Store a Zoom app's credentials, or a user's after an OAuth code exchange",
                "Zoom credentials",
                responses("201", ok(ref("ZoomCredential")), description="Created"),
                request=CREDENTIAL_BODY,
            ),
            "get": operation(
                "listZoomCredentials",
                "List the account's Zoom credentials",
                "Zoom credentials",
                responses("200", ok(arr(ref("ZoomCredential")))),
                params=[
                    query("name", STR, text="Part of the name"),
                    query("zoom_email", STR, text="Part of the Zoom email"),
                    query("zoom_display_name", STR, text="Part of the Zoom display name"),
                    query("zoom_user_id", STR, text="Exact Zoom user id"),
                    query("credential_type", STR, text="Comma-separated: app, user"),
                    query("state", STR, text="Comma-separated: active, invalid"),
                    query(
                        "extra",
                        {**STR, "pattern": EXTRA_FILTER},
                        text="`field:value[,field:value]`: credentials whose `extra` has all",
                    ),
                ],
            ),
        },
        "/v2/zoom-credentials/{id}": {
            "get": operation(
                "getZoomCredential",
                "One Zoom credential (never its secrets)",
                "Zoom credentials",
                responses("200", ok(ref("ZoomCredential")), "404"),
                params=[CREDENTIAL_ID],
            ),
            "patch": operation(
                "updateZoomCredential",
                "Rename, replace the app credentials or `extra`, or re-authorize",
                "Zoom credentials",
                responses("200", ok(ref("ZoomCredential")), "404"),
                params=[CREDENTIAL_ID],
                request=all_optional(CREDENTIAL_BODY),
            ),
            "delete": operation(
                "deleteZoomCredential",
                "Delete a Zoom credential (soft)",
                "Zoom credentials",
                responses("200", MESSAGE, "404"),
                params=[CREDENTIAL_ID],
            ),
        },
    }


# -- webhooks -------------------------------------------------------------------------
def event(name: str, data: Schema, extra: bool = True) -> Schema:
    """A webhook body; bot events carry the bot's `extra`, calendar events do not."""
    if not extra:
        return obj(event={"type": "string", "enum": [name]}, data=data)
    return obj(event={"type": "string", "enum": [name]}, data=data, extra=EXTRA)


STATUS_CHANGE = event(
    "bot.status_change",
    obj(
        bot_id=UUID,
        event_id=nul(STR),
        status=obj(
            code=STR,
            created_at=DT,
            start_time=Opt({"type": "integer", "minimum": 0}),
            error_message=Opt(STR),
        ),
    ),
)
COMPLETED = event(
    "bot.completed",
    obj(
        bot_id=UUID,
        event_id=nul(STR),
        participants=arr(ref("Person")),
        speakers=arr(ref("Person")),
        duration_seconds=nul(INT),
        joined_at=nul(DT),
        exited_at=nul(DT),
        data_deleted=BOOL,
        video=nul(URI),
        audio=nul(URI),
        diarization=nul(URI),
        raw_transcription=nul(URI),
        transcription=nul(URI),
        transcription_provider=nul(STR),
        transcription_ids=nul(arr(STR)),
        sent_at=DT,
    ),
)
FAILED = event(
    "bot.failed",
    obj(bot_id=UUID, event_id=nul(STR), error_message=STR, error_code=STR, sent_at=DT),
)
CHAT_MESSAGE = event(
    "bot.chat_message",
    obj(
        bot_id=UUID,
        event_id=nul(STR),
        message_id=STR,
        sender_name=STR,
        sender_id=nul(INT),
        text=STR,
        sent_at=DT,
    ),
)

# -- calendars ------------------------------------------------------------------------------
CAL_PLATFORMS = ("google", "microsoft")
CAL_STATUSES = ("active", "error", "revoked", "permission_denied")
EVENT_STATUSES = ("confirmed", "cancelled", "tentative")
EVENT_TYPES = ("one_off", "recurring")
OAUTH: dict[str, Schema | Opt] = {
    "oauth_client_id": STR,
    "oauth_client_secret": STR,
    "oauth_refresh_token": STR,
    "oauth_tenant_id": Opt(STR),
}
CONNECT = body(calendar_platform=enum(*CAL_PLATFORMS), **OAUTH)
CALENDAR_SUMMARY = obj(
    calendar_id=UUID,
    calendar_platform=enum(*CAL_PLATFORMS),
    account_email=STR,
    status=enum(*CAL_STATUSES),
    synced_at=nul(DT),
    created_at=DT,
)
CALENDAR_DETAILS = obj(
    calendar_id=UUID,
    calendar_platform=enum(*CAL_PLATFORMS),
    account_email=STR,
    status=enum(*CAL_STATUSES),
    status_message=nul(STR),
    subscription_id=nul(STR),
    subscription_expires_at=nul(DT),
    synced_at=nul(DT),
    sync_status=nul(enum("success", "failed", "partial")),
    sync_error=nul(STR),
    provider_metadata=nul(FREE),
    created_at=DT,
    updated_at=DT,
)
EVENT_FIELDS: dict[str, Schema] = {
    "event_id": UUID,
    "title": STR,
    "start_time": DT,
    "end_time": DT,
    "status": enum(*EVENT_STATUSES),
    "is_exception": BOOL,
    "meeting_url": nul(STR),
    "meeting_platform": nul(enum(*PLATFORMS)),
    "calendar_id": UUID,
    "bot_scheduled": BOOL,
    "created_at": DT,
}
EVENT = obj(series_id=UUID, event_type=enum(*EVENT_TYPES), **EVENT_FIELDS)
SERIES = obj(
    series_id=UUID,
    event_type=enum(*EVENT_TYPES),
    calendar_id=UUID,
    created_at=DT,
    events=arr(obj(**EVENT_FIELDS)),
)
ATTENDEE = obj(
    email=STR,
    name=nul(STR),
    response_status=enum("accepted", "declined", "tentative", "needsAction"),
    organizer=Opt(BOOL),
    self=Opt(BOOL),
)
EVENT_DETAILS = obj(
    event_id=UUID,
    series_id=UUID,
    event_type=enum(*EVENT_TYPES),
    title=STR,
    description=nul(STR),
    location=nul(STR),
    start_time=DT,
    end_time=DT,
    timezone=nul(STR),
    is_all_day=BOOL,
    status=enum(*EVENT_STATUSES),
    organizer_email=nul(STR),
    organizer_name=nul(STR),
    attendees=nul(arr(ATTENDEE)),
    meeting_url=nul(STR),
    meeting_platform=nul(enum(*PLATFORMS)),
    calendar_id=UUID,
    calendar_platform=enum(*CAL_PLATFORMS),
    bot_scheduled=BOOL,
    raw_payload=nul(FREE),
    created_at=DT,
    updated_at=DT,
)
TARGET: dict[str, Schema | Opt] = {
    "series_id": UUID,
    "all_occurrences": BOOL,
    "event_id": Opt(UUID),
}


def _bot_config(partial: bool) -> Schema:
    config = {k: v for k, v in CREATE_BOT["properties"].items() if k not in ("meeting_url",)}
    config.pop("allow_multiple_bots", None)
    if partial:  # the update's configs are objects, never null
        for name in ("streaming_config", "transcription_config", "callback_config"):
            config[name] = config[name]["anyOf"][0]
    props = {k: Opt(v) for k, v in config.items()}
    if not partial:
        props["bot_name"] = config["bot_name"]
    return body(**props, **TARGET)


CALENDAR_BOT = _bot_config(partial=False)
UPDATE_CALENDAR_BOT = _bot_config(partial=True)
PER_EVENT = obj(
    success={"type": "boolean", "enum": [True]},
    data=arr(obj(event_id=UUID)),
    errors=arr(obj(event_id=UUID, code=STR, message=STR, details=nul(STR))),
)
CALENDAR_ID = path_param("calendar_id")


def _page_params(*more: Schema) -> list[Schema]:
    return [LIMIT, CURSOR, *more]


def calendar_paths() -> dict[str, Schema]:
    tag = "Calendars"
    return {
        "/v2/calendars/list-raw": {
            "post": operation(
                "listRawCalendars",
                "The calendars some OAuth credentials can see (nothing is connected)",
                tag,
                responses(
                    "200",
                    ok(arr(obj(id=STR, name=STR, email=STR, is_primary=BOOL))),
                    "401",
                    "403",
                ),
                request=CONNECT,
            )
        },
        "/v2/calendars": {
            "post": operation(
                "createCalendarConnection",
                "Connect a calendar: its events are synced at once",
                tag,
                responses(
                    "201",
                    ok(
                        obj(
                            calendar_id=UUID,
                            calendar_platform=enum(*CAL_PLATFORMS),
                            account_email=STR,
                            status=enum(*CAL_STATUSES),
                            created_at=DT,
                        )
                    ),
                    "401",
                    "409",
                ),
                request=body(calendar_platform=enum(*CAL_PLATFORMS), raw_calendar_id=STR, **OAUTH),
            ),
            "get": operation(
                "listCalendars",
                "List the account's calendar connections",
                tag,
                responses("200", page(ref("CalendarSummary"))),
                params=_page_params(
                    query("account_email", STR, text="Part of the account email"),
                    query("calendar_platform", STR, text="Comma-separated: google, microsoft"),
                    query("status", STR, text="Comma-separated connection statuses"),
                ),
            ),
        },
        "/v2/calendars/{calendar_id}": {
            "get": operation(
                "getCalendarDetails",
                "A calendar connection",
                tag,
                responses("200", ok(ref("CalendarDetails")), "404"),
                params=[CALENDAR_ID],
            ),
            "delete": operation(
                "deleteCalendarConnection",
                "Disconnect a calendar; its scheduled bots are cancelled",
                tag,
                responses("200", MESSAGE, "404"),
                params=[CALENDAR_ID],
            ),
            "patch": operation(
                "updateCalendarConnection",
                "New OAuth credentials for a connection",
                tag,
                responses(
                    "200",
                    ok(
                        obj(
                            calendar_id=UUID,
                            calendar_platform=enum(*CAL_PLATFORMS),
                            account_email=STR,
                            status=enum(*CAL_STATUSES),
                            updated_at=DT,
                        )
                    ),
                    "401",
                    "403",
                    "404",
                ),
                params=[CALENDAR_ID],
                request=body(**OAUTH),
            ),
        },
        "/v2/calendars/{calendar_id}/sync": {
            "post": operation(
                "syncCalendar",
                "Sync a calendar's events now",
                tag,
                responses("200", MESSAGE, "401", "404"),
                params=[CALENDAR_ID],
            )
        },
        "/v2/calendars/{calendar_id}/resubscribe": {
            "post": operation(
                "resubscribeCalendar",
                "Renew the calendar's push subscription",
                tag,
                responses(
                    "200", ok(obj(calendar_id=UUID, resubscribed_at=DT)), "401", "403", "404"
                ),
                params=[CALENDAR_ID],
            )
        },
        "/v2/calendars/{calendar_id}/events": {
            "get": operation(
                "listEvents",
                "A calendar's events, earliest first",
                tag,
                responses("200", page(ref("CalendarEvent")), "404"),
                params=_page_params(
                    query("start_date", DT, text="Events starting at or after"),
                    query("end_date", DT, text="Events ending at or before"),
                    query("status", STR, text="Comma-separated: confirmed, cancelled, tentative"),
                    query("show_cancelled", {**BOOL, "default": True}),
                    CALENDAR_ID,
                ),
            )
        },
        "/v2/calendars/{calendar_id}/series": {
            "get": operation(
                "listEventSeries",
                "A calendar's event series (a one-off event is a series of one)",
                tag,
                responses("200", page(ref("CalendarSeries")), "404"),
                params=_page_params(
                    query("event_type", STR, text="Comma-separated: one_off, recurring"),
                    query("show_cancelled", {**BOOL, "default": True}),
                    CALENDAR_ID,
                ),
            )
        },
        "/v2/calendars/{calendar_id}/events/{event_id}": {
            "get": operation(
                "getEventDetails",
                "One calendar event",
                tag,
                responses("200", ok(ref("CalendarEventDetails")), "404"),
                params=[CALENDAR_ID, path_param("event_id")],
            )
        },
        "/v2/calendars/{calendar_id}/bots": {
            "post": operation(
                "createCalendarBot",
                "Schedule bots on an event or every future occurrence of a series",
                tag,
                responses("201", PER_EVENT, "404", "422"),
                params=[CALENDAR_ID],
                request=ref("CreateCalendarBotRequest"),
            ),
            "patch": operation(
                "updateCalendarBot",
                "Change the scheduled bots of an event or series",
                tag,
                responses("200", PER_EVENT, "404", "409", "422"),
                params=[CALENDAR_ID],
                request=ref("UpdateCalendarBotRequest"),
            ),
            "delete": operation(
                "deleteCalendarBot",
                "Cancel the bots of an event or series",
                tag,
                responses("200", PER_EVENT, "404", "409"),
                params=[CALENDAR_ID],
                request=body(**TARGET),
            ),
        },
    }


INSTANCE = obj(
    event_id=UUID,
    start=DT,
    end=DT,
    title=STR,
    status=enum(*EVENT_STATUSES),
    is_all_day=BOOL,
    is_exception=BOOL,
    bot_scheduled=BOOL,
    meeting_url=nul(URI),
    meeting_platform=nul(enum(*PLATFORMS)),
)
SERIES_HEAD: dict[str, Schema] = {
    "calendar_id": UUID,
    "event_type": enum(*EVENT_TYPES),
    "series_id": nul(UUID),
}
CONNECTION_CREATED = event(
    "calendar.connection_created",
    obj(
        calendar_id=UUID,
        calendar_platform=enum(*CAL_PLATFORMS),
        account_email=STR,
        status=enum(*CAL_STATUSES),
        created_at=DT,
    ),
    extra=False,
)
CONNECTION_UPDATED = event(
    "calendar.connection_updated",
    obj(
        calendar_id=UUID,
        calendar_platform=enum(*CAL_PLATFORMS),
        account_email=STR,
        status=enum(*CAL_STATUSES),
        created_at=DT,
        updated_at=DT,
    ),
    extra=False,
)
CONNECTION_DELETED = event(
    "calendar.connection_deleted",
    obj(calendar_id=UUID, calendar_platform=enum(*CAL_PLATFORMS), deleted_at=DT),
    extra=False,
)
EVENTS_SYNCED = event(
    "calendar.events_synced",
    obj(
        calendar_id=UUID,
        events=arr(
            obj(
                event_type=enum(*EVENT_TYPES),
                series_id=nul(UUID),
                series_bot_scheduled=BOOL,
                instances=arr(INSTANCE),
            )
        ),
    ),
    extra=False,
)
EVENT_CREATED = event(
    "calendar.event_created",
    obj(**SERIES_HEAD, series_bot_scheduled=BOOL, instances=arr(INSTANCE)),
    extra=False,
)
EVENT_UPDATED = event(
    "calendar.event_updated",
    obj(
        **SERIES_HEAD,
        series_bot_scheduled=BOOL,
        is_exception=BOOL,
        affected_instances=arr(INSTANCE),
    ),
    extra=False,
)
EVENT_CANCELLED = event(
    "calendar.event_cancelled",
    obj(**SERIES_HEAD, cancelled_instances=arr(INSTANCE)),
    extra=False,
)
CALENDAR_WEBHOOKS = {
    "calendar.connection_created": (
        "CalendarConnectionCreated",
        "A calendar was connected",
        CONNECTION_CREATED,
    ),
    "calendar.connection_updated": (
        "CalendarConnectionUpdated",
        "A connection's credentials or status changed",
        CONNECTION_UPDATED,
    ),
    "calendar.connection_deleted": (
        "CalendarConnectionDeleted",
        "A calendar was disconnected",
        CONNECTION_DELETED,
    ),
    "calendar.events_synced": (
        "CalendarEventsSynced",
        "A sync found these events (the first sync: all of them)",
        EVENTS_SYNCED,
    ),
    "calendar.event_created": ("CalendarEventCreated", "A new event", EVENT_CREATED),
    "calendar.event_updated": ("CalendarEventUpdated", "An event changed", EVENT_UPDATED),
    "calendar.event_cancelled": (
        "CalendarEventCancelled",
        "An event was cancelled",
        EVENT_CANCELLED,
    ),
}


WEBHOOKS = {
    "bot.status_change": ("BotStatusChange", "A bot's status changed", STATUS_CHANGE),
    "bot.completed": (
        "BotCompleted",
        "A bot ended with a recording (also the body of a `callback_config` callback)",
        COMPLETED,
    ),
    "bot.failed": (
        "BotFailed",
        "A bot ended without a recording (also the body of a failure callback)",
        FAILED,
    ),
    "bot.chat_message": ("BotChatMessage", "Someone wrote in the meeting's chat", CHAT_MESSAGE),
    **CALENDAR_WEBHOOKS,
}


#: The stateful links of the document: what a creator's 201 names, and the operations
#: that take it. Declared, so a contract run follows these and guesses none (a bot sent
#: now is not a scheduled bot, whatever their shared `bot_id` suggests).
LINKS: dict[str, tuple[str, str, str, tuple[tuple[str, str], ...]]] = {
    "createBot": (
        "bot_id",
        "/data/bot_id",
        "the bot just sent",
        (
            ("Details", "getBotDetails"),
            ("Status", "getBotStatus"),
            ("Screenshots", "getBotScreenshots"),
            ("Leave", "leaveBot"),
            ("ChatMessage", "sendChatMessage"),
            ("PauseRecording", "pauseBotRecording"),
            ("ResumeRecording", "resumeBotRecording"),
            ("DeleteData", "deleteBotData"),
            ("ResendWebhook", "resendFinalWebhook"),
            ("RetryCallback", "retryCallback"),
            ("UpdateConfig", "updateBotConfig"),
        ),
    ),
    "createScheduledBot": (
        "bot_id",
        "/data/bot_id",
        "the scheduled bot just created",
        (
            ("Details", "getScheduledBotDetails"),
            ("Update", "updateScheduledBot"),
            ("Delete", "deleteScheduledBot"),
        ),
    ),
    "createCalendarConnection": (
        "calendar_id",
        "/data/calendar_id",
        "the calendar just connected",
        (
            ("Details", "getCalendarDetails"),
            ("Update", "updateCalendarConnection"),
            ("Delete", "deleteCalendarConnection"),
            ("Sync", "syncCalendar"),
            ("Resubscribe", "resubscribeCalendar"),
            ("Events", "listEvents"),
            ("Series", "listEventSeries"),
            ("ScheduleBot", "createCalendarBot"),
            ("UpdateBot", "updateCalendarBot"),
            ("DeleteBot", "deleteCalendarBot"),
        ),
    ),
    "createZoomCredential": (
        "id",
        "/data/credential_id",
        "the credential just stored",
        (
            ("Details", "getZoomCredential"),
            ("Update", "updateZoomCredential"),
            ("Delete", "deleteZoomCredential"),
        ),
    ),
}


def _with_links(paths: dict[str, Schema]) -> dict[str, Schema]:
    by_id = {
        op["operationId"]: op
        for item in paths.values()
        for op in item.values()
        if "operationId" in op
    }
    for creator, (param, pointer, text, targets) in LINKS.items():
        answer = by_id[creator]["responses"]["201"]
        answer["links"] = {
            name: {
                "operationId": target,
                "parameters": {f"path.{param}": f"$response.body#{pointer}"},
                "description": text,
            }
            for name, target in targets
        }
    return paths


def document() -> Schema:
    schemas: Schema = {
        "Error": ERROR,
        "RateLimited": RATE_LIMITED,
        "CreateBotRequest": CREATE_BOT,
        "BatchCreateBotItem": BATCH_ITEM,
        "BotDetails": BOT_DETAILS,
        "BotSummary": BOT_SUMMARY,
        "Person": PERSON,
        "Tokens": TOKENS,
        "CreateScheduledBotRequest": CREATE_SCHEDULED,
        "BatchCreateScheduledBotItem": BATCH_SCHEDULED_ITEM,
        "UpdateScheduledBotRequest": UPDATE_SCHEDULED,
        "ScheduledBot": SCHEDULED_BOT,
        "ScheduledBotSummary": SCHEDULED_SUMMARY,
        "ZoomCredential": CREDENTIAL,
        "CalendarSummary": CALENDAR_SUMMARY,
        "CalendarDetails": CALENDAR_DETAILS,
        "CalendarEvent": EVENT,
        "CalendarSeries": SERIES,
        "CalendarEventDetails": EVENT_DETAILS,
        "CreateCalendarBotRequest": CALENDAR_BOT,
        "UpdateCalendarBotRequest": UPDATE_CALENDAR_BOT,
    }
    webhooks: Schema = {}
    for name, (component, text, schema) in WEBHOOKS.items():
        schemas[component] = schema
        webhooks[name] = {
            "post": {
                "summary": name,
                "description": text,
                "parameters": [
                    {"name": h, "in": "header", "required": True, "schema": STR}
                    for h in ("svix-id", "svix-timestamp", "svix-signature")
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref(component)}},
                },
                "responses": {"200": {"description": "Any 2xx acknowledges the event"}},
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Meeting BaaS API v2 (mockbaas contract)",
            "version": "2.0.0",
            "description": (
                "The v2 surface that mockbaas serves and checks: `{success, data}` envelopes, "
                "cursor pagination, the FST_ERR_ error envelope, and Svix-signed webhooks."
            ),
        },
        "servers": [{"url": "https://api.meetingbaas.com", "description": "production"}],
        "security": [{"ApiKeyAuth": []}],
        "tags": [
            {"name": "Bots"},
            {"name": "Scheduled bots"},
            {"name": "Calendars"},
            {"name": "Zoom credentials"},
        ],
        "paths": _with_links(
            bot_paths() | scheduled_paths() | calendar_paths() | credential_paths()
        ),
        "webhooks": webhooks,
        "components": {
            "securitySchemes": {
                "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "x-meeting-baas-api-key"}
            },
            "schemas": schemas,
        },
    }


def render() -> str:
    return json.dumps(document(), indent=2) + "\n"


if __name__ == "__main__":
    print(render(), end="")
