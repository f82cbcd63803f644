"""Tests for openapi.json, the mockbaas contract for the Meeting BaaS v1 API.

The server compiles its request, response and webhook validators from this document and
schemathesis fuzzes the mock with it, so a broken document silently weakens everything
else: these tests pin its structure, its error conventions, its webhook payload schemas
and its compatibility with the upstream Meeting BaaS OpenAPI file.
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from support import ROOT

DOC_PATH = ROOT / "openapi.json"
DOC_URI = "urn:mockbaas:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SECURED = [{"ApiKeyAuth": []}]
ERROR_REF = "#/components/schemas/Error"
UPSTREAM_GLOB = "meetingbaas-openapi*.json"
#: the v1 file as the API publishes it in 2026: what the 6.x SDK sends, checked the same way
UPSTREAM_2026_GLOB = "meetingbaas-v1-openapi-*.json"
#: component schemas clients send (the others are answers): a request may require less
#: than upstream (we refuse nothing upstream allows), an answer must carry at least what
#: upstream promises
REQUEST_SCHEMAS = {
    "JoinRequest",
    "AutomaticLeaveRequest",
    "SpeechToText",
    "SpeechToTextApiParameter",
    "StreamingApiParameter",
    "RetranscribeBody",
    "ListRawCalendarsParams",
    "CreateCalendarParams",
    "UpdateCalendarParams",
    "BotParam2",
    "BotParam3",
    "PostWebhookUrlRequest",
    "CreateConnectionRequest",
}

PUBLIC_OPERATIONS = {
    "webhook_documentation",
    "bot_webhook_documentation",
    "calendar_webhook_documentation",
}
# Operations addressing one resource by id: they document 404.
BY_ID_OPERATIONS = {
    "leave",
    "get_meeting_data",
    "delete_data",
    "retranscribe_bot",
    "get_screenshots",
    "get_calendar",
    "delete_calendar",
    "update_calendar",
    "get_event",
    "schedule_record_event",
    "unschedule_record_event",
    "patch_bot",
    "list_events",
    "get_zoom_oauth_connection",
    "delete_zoom_oauth_connection",
}
EXTRA_ERRORS = {
    "join": {"409"},
    "delete_data": {"403", "429"},
    "create_calendar": {"403", "404"},
    # the calendar provider refuses revoked or expired credentials
    "list_raw_calendars": {"403"},
    "update_calendar": {"403"},
    "create_zoom_oauth_connection": {"409"},
}


def _s(name: str) -> dict[str, str]:
    """A component schema reference, as the document writes it."""
    return {"$ref": f"#/components/schemas/{name}"}


# operationId -> (success status, success schema or None for "no body").
SUCCESS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "join": ("200", _s("JoinResponse")),
    "leave": ("200", _s("LeaveResponse")),
    "get_meeting_data": ("200", _s("Metadata")),
    "delete_data": ("200", _s("DeleteResponse")),
    "bots_with_metadata": ("200", _s("ListRecentBotsResponse")),
    "retranscribe_bot": ("202", None),
    "get_screenshots": ("200", _s("ScreenshotsList")),
    "webhook_documentation": ("200", _s("WebhookDocumentation")),
    "bot_webhook_documentation": ("200", _s("WebhookDocumentation")),
    "calendar_webhook_documentation": ("200", _s("WebhookDocumentation")),
    "resync_all": ("200", _s("ResyncAllResponse")),
    "resync_all_calendars": ("200", _s("ResyncAllResponse")),
    "list_raw_calendars": ("200", _s("ListRawCalendarsResponse")),
    "list_calendars": ("200", {"type": "array", "items": _s("Calendar")}),
    "create_calendar": ("200", _s("CreateCalendarResponse")),
    "get_calendar": ("200", _s("Calendar")),
    "delete_calendar": ("200", None),
    "update_calendar": ("200", _s("CreateCalendarResponse")),
    "get_event": ("200", _s("Event")),
    "schedule_record_event": ("200", {"type": "array", "items": _s("Event")}),
    "unschedule_record_event": ("200", {"type": "array", "items": _s("Event")}),
    "patch_bot": ("200", {"type": "array", "items": _s("Event")}),
    "list_events": ("200", _s("ListEventResponse")),
    "get_webhook_url": ("200", _s("GetWebhookUrlResponse")),
    "set_webhook_url": ("200", _s("GetWebhookUrlResponse")),
    "list_zoom_oauth_connections": (
        "200",
        {"type": "array", "items": _s("ZoomOAuthConnectionResponse")},
    ),
    "create_zoom_oauth_connection": ("201", _s("ZoomOAuthConnectionResponse")),
    "get_zoom_oauth_connection": ("200", _s("ZoomOAuthConnectionResponse")),
    "delete_zoom_oauth_connection": ("204", None),
}

UPSTREAM_SCHEMA_NAMES = (
    "JoinRequest",
    "JoinResponse",
    "LeaveResponse",
    "Metadata",
    "BotData",
    "BotWithParams",
    "Transcript",
    "Word",
    "DeleteResponse",
    "DeleteStatus",
    "ListRecentBotsResponse",
    "RecentBotEntry",
    "RetranscribeBody",
    "ScreenshotsList",
    "ScreenshotWrapper",
    "ResyncAllResponse",
    "ListRawCalendarsParams",
    "ListRawCalendarsResponse",
    "CalendarListEntry",
    "Calendar",
    "CreateCalendarParams",
    "CreateCalendarResponse",
    "UpdateCalendarParams",
    "Event",
    "Attendee",
    "BotParam",
    "BotParam2",
    "BotParam3",
    "ListEventResponse",
    "AutomaticLeaveRequest",
    "Extra",
    "RecordingMode",
    "SpeechToText",
    "SpeechToTextApiParameter",
    "SpeechToTextProvider",
    "StreamingApiParameter",
    "AudioFrequency",
    "Provider",
    "DateTime",
    "OptionalDateTime",
    "GetWebhookUrlResponse",
    "PostWebhookUrlRequest",
)

WEBHOOK_SCHEMAS = {
    "bot.status_change": "BotStatusChangeWebhook",
    "complete": "CompleteWebhook",
    "failed": "FailedWebhook",
    "transcription_complete": "TranscriptionCompleteWebhook",
    "calendar.sync_events": "CalendarSyncEventsWebhook",
}
STATUS_CODES = [
    "joining_call",
    "in_waiting_room",
    "in_call_not_recording",
    "in_call_recording",
    "recording_paused",
    "recording_resumed",
    "call_ended",
    "bot_rejected",
    "bot_removed",
    "waiting_room_timeout",
    "invalid_meeting_url",
    "meeting_error",
]
# Fields each status code must carry (and that no other code may carry).
STATUS_EXTRAS: dict[str, dict[str, str]] = {
    "in_call_recording": {"start_time": "2024-01-01T12:01:30.000Z"},
    "meeting_error": {
        "error_message": "The meeting host's client disconnected the bot.",
        "error_type": "InternalError",
    },
    "call_ended": {"end_reason": "api_request"},
}
BOT_ID = "123e4567-e89b-12d3-a456-426614174000"
CALENDAR_ID = "0b6f3c1e-2a4d-4c8e-9f1a-5d7b3e2c1a90"

# --------------------------------------------------------------------------- helpers


@cache
def load_doc() -> dict[str, Any]:
    """The document, parsed once per session (tests must not mutate it)."""
    return json.loads(DOC_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    """The parsed openapi.json."""
    return load_doc()


@cache
def registry() -> Registry:
    """Registry holding the whole document so `#/components/...` refs resolve in jsonschema."""
    resource = Resource.from_contents(load_doc(), default_specification=DRAFT202012)
    return Registry().with_resource(DOC_URI, resource)


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    """A format-checking 2020-12 validator whose refs resolve against the document."""
    return Draft202012Validator(
        schema, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def component_validator(name: str) -> Draft202012Validator:
    """Validator for one component schema, the way the server compiles them."""
    return validator_for({"$ref": f"{DOC_URI}#/components/schemas/{name}"})


def pointer(document: dict[str, Any], ref: str) -> Any:
    """Follow a local `#/...` JSON pointer; raises KeyError/IndexError when it dangles."""
    assert ref.startswith("#/"), f"only local refs are allowed: {ref}"
    node: Any = document
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow `$ref` chains (siblings of `$ref` are annotations here, so they are dropped)."""
    for _ in range(32):
        if not (isinstance(node, dict) and "$ref" in node):
            return node
        node = pointer(document, node["$ref"])
    raise AssertionError("$ref cycle")


def iter_refs(node: Any, where: str = "#") -> list[tuple[str, str]]:
    """Every (location, $ref) in a JSON tree."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.append((where, node["$ref"]))
        for key, value in node.items():
            found.extend(iter_refs(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(iter_refs(value, f"{where}/{index}"))
    return found


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation under `paths`."""
    return [
        (method.upper(), path, item[method])
        for path, item in document["paths"].items()
        for method in HTTP_METHODS
        if method in item
    ]


def op_by_id(document: dict[str, Any], operation_id: str) -> dict[str, Any]:
    """The operation with this operationId."""
    for _, _, operation in operations(document):
        if operation.get("operationId") == operation_id:
            return operation
    raise KeyError(operation_id)


def param_schema(document: dict[str, Any], operation_id: str, name: str) -> dict[str, Any]:
    """Schema of one parameter of an operation."""
    for param in op_by_id(document, operation_id).get("parameters", []):
        param = resolve(document, param)
        if param["name"] == name:
            return param["schema"]
    raise KeyError(name)


def status(code: str) -> dict[str, Any]:
    """A BotStatus for `code`, carrying exactly the fields that code requires."""
    return {"code": code, "created_at": "2024-01-01T12:00:00.000Z", **STATUS_EXTRAS.get(code, {})}


def status_change(code: str, **status_overrides: Any) -> dict[str, Any]:
    """A bot.status_change payload."""
    st = status(code)
    st.update(status_overrides)
    return {"event": "bot.status_change", "data": {"bot_id": BOT_ID, "status": st}}


# --------------------------------------------------------------------------- document shape


def test_file_is_pretty_printed() -> None:
    """Stable formatting keeps diffs reviewable: 2-space indent, trailing newline."""
    text = DOC_PATH.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


def test_valid_openapi_31(doc: dict[str, Any]) -> None:
    """The server and schemathesis both rely on a spec-valid OpenAPI 3.1 document."""
    validate(doc, cls=OpenAPIV31SpecValidator)


def test_top_level(doc: dict[str, Any]) -> None:
    """Version, servers, dialect and global security are part of the contract."""
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "Meeting BaaS API"
    assert doc["info"]["version"] == "1.1"
    assert "mockbaas" in doc["info"]["description"]
    assert doc["jsonSchemaDialect"] == "https://json-schema.org/draft/2020-12/schema"
    urls = [server["url"] for server in doc["servers"]]
    assert urls == ["https://api.meetingbaas.com", "http://127.0.0.1:8080"]
    assert doc["security"] == SECURED
    scheme = doc["components"]["securitySchemes"]["ApiKeyAuth"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == (
        "apiKey",
        "header",
        "x-meeting-baas-api-key",
    )
    assert not any(path.startswith("/_mockbaas") for path in doc["paths"])


def test_every_ref_resolves(doc: dict[str, Any]) -> None:
    """A dangling $ref would only surface when the server compiles that validator."""
    refs = iter_refs(doc)
    assert refs
    dangling = []
    for where, ref in refs:
        try:
            pointer(doc, ref)
        except (KeyError, IndexError, ValueError, AssertionError):
            dangling.append(f"{where}: {ref}")
    assert not dangling, "\n".join(dangling)


def test_component_schemas_compile(doc: dict[str, Any]) -> None:
    """Every component must be a valid 2020-12 schema and resolve all of its refs."""
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
        # Resolving every ref eagerly catches refs that point at non-schemas.
        for _, ref in iter_refs(schema):
            Draft202012Validator.check_schema(pointer(doc, ref))
        assert schema.get("description"), f"{name} has no description"


def test_component_examples_validate(doc: dict[str, Any]) -> None:
    """Examples embedded in components are shown to users, so they must be valid."""
    seen = 0
    for name, schema in doc["components"]["schemas"].items():
        for example in schema.get("examples", []):
            component_validator(name).validate(example)
            seen += 1
    assert seen >= len(WEBHOOK_SCHEMAS)


def test_upstream_schema_names_present(doc: dict[str, Any]) -> None:
    """Schema names are shared with upstream so generated clients line up."""
    missing = [n for n in UPSTREAM_SCHEMA_NAMES if n not in doc["components"]["schemas"]]
    assert not missing


# --------------------------------------------------------------------------- operations


def test_operations_have_ids_and_descriptions(doc: dict[str, Any]) -> None:
    """operationIds are what clients and the server router key on."""
    ids = [operation.get("operationId") for _, _, operation in operations(doc)]
    assert all(ids)
    assert len(ids) == len(set(ids))
    assert set(ids) == set(SUCCESS)
    for _, _, operation in operations(doc):
        assert operation.get("summary") and operation.get("description"), operation["operationId"]


def test_explicit_security(doc: dict[str, Any]) -> None:
    """Per-operation security is explicit, so no route is public by accident."""
    for method, path, operation in operations(doc):
        expected = [] if operation["operationId"] in PUBLIC_OPERATIONS else SECURED
        assert operation.get("security") == expected, f"{method} {path}"


def test_error_responses(doc: dict[str, Any]) -> None:
    """Each operation documents exactly the error statuses the mock can produce for it."""
    problems = []
    for method, path, operation in operations(doc):
        op_id = operation["operationId"]
        has_body = "requestBody" in operation
        expected = set(EXTRA_ERRORS.get(op_id, set()))
        if operation.get("parameters") or has_body:
            expected.add("400")
        if op_id not in PUBLIC_OPERATIONS:
            expected.add("401")
        if op_id in BY_ID_OPERATIONS:
            expected.add("404")
        if has_body:
            expected |= {"413", "415", "422"}
        errors = {code for code in operation["responses"] if code.startswith(("4", "5"))}
        if errors != expected:
            problems.append(f"{method} {path}: {sorted(errors)} != {sorted(expected)}")
        for code in errors:
            response = resolve(doc, operation["responses"][code])
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if schema != {"$ref": ERROR_REF}:
                problems.append(f"{method} {path} {code}: not the Error schema")
    assert not problems, "\n".join(problems)


def test_success_responses_typed(doc: dict[str, Any]) -> None:
    """Every success response is typed, or explicitly has no body."""
    for method, path, operation in operations(doc):
        code, schema = SUCCESS[operation["operationId"]]
        successes = [c for c in operation["responses"] if c.startswith("2")]
        assert successes == [code], f"{method} {path}"
        response = resolve(doc, operation["responses"][code])
        assert response.get("description"), f"{method} {path}"
        if schema is None:
            assert "content" not in response, f"{method} {path}"
        else:
            assert response["content"] == {"application/json": {"schema": schema}}


def test_every_content_has_schema(doc: dict[str, Any]) -> None:
    """An empty schema would make response validation and fuzzing vacuous."""
    for method, path, operation in operations(doc):
        bodies = [resolve(doc, r) for r in operation["responses"].values()]
        if "requestBody" in operation:
            body = resolve(doc, operation["requestBody"])
            assert body["required"] is True, f"{method} {path}"
            bodies.append(body)
        for body in bodies:
            for media_type, media in body.get("content", {}).items():
                assert media_type == "application/json", f"{method} {path}"
                assert media.get("schema"), f"{method} {path}: empty schema"


def test_reusable_error_responses(doc: dict[str, Any]) -> None:
    """The shared error responses all carry the Error schema; 429 says when to retry."""
    responses = doc["components"]["responses"]
    for name in (
        "BadRequest",
        "Unauthorized",
        "NotFound",
        "Conflict",
        "PayloadTooLarge",
        "UnsupportedMediaType",
        "UnprocessableEntity",
        "TooManyRequests",
    ):
        assert responses[name]["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
        assert responses[name]["description"]
    header = responses["TooManyRequests"]["headers"]["Retry-After"]
    assert header["schema"]["type"] == "integer"
    assert "Bearer" in responses["Unauthorized"]["description"]


def test_error_schema(doc: dict[str, Any]) -> None:
    """The single error body shape the server emits for every failure."""
    validator = component_validator("Error")
    validator.validate({"error": "not_found", "message": "No bot with this id."})
    validator.validate(
        {
            "error": "validation_error",
            "message": "Invalid body.",
            "details": [{"location": "body", "path": "/meeting_url", "message": "too short"}],
        }
    )
    for bad in (
        {"error": "teapot", "message": "x"},
        {"error": "conflict"},
        {"error": "conflict", "message": "x", "extra": 1},
        {
            "error": "validation_error",
            "message": "x",
            "details": [{"location": "cookie", "path": "a", "message": "b"}],
        },
    ):
        assert not validator.is_valid(bad), bad


def test_parameters(doc: dict[str, Any]) -> None:
    """Path ids are uuids; query params never allow null (a query string cannot carry it)."""
    for method, path, operation in operations(doc):
        for param in operation.get("parameters", []):
            param = resolve(doc, param)
            schema = param["schema"]
            if param["in"] == "path":
                assert param["required"] is True
                if param["name"] == "uuid":
                    assert schema == {"type": "string", "format": "uuid"}, f"{method} {path}"
            if param["in"] == "query":
                assert schema["type"] in ("string", "integer", "boolean"), f"{method} {path}"
    assert param_schema(doc, "get_meeting_data", "bot_id")["format"] == "uuid"
    assert param_schema(doc, "get_meeting_data", "include_transcripts") == {
        "type": "boolean",
        "default": True,
    }
    limit = param_schema(doc, "bots_with_metadata", "limit")
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 50, 10)
    assert param_schema(doc, "list_events", "calendar_id")["format"] == "uuid"
    assert param_schema(doc, "list_events", "status")["enum"] == ["upcoming", "past", "all"]
    for op_id in ("schedule_record_event", "unschedule_record_event", "patch_bot"):
        assert param_schema(doc, op_id, "all_occurrences")["type"] == "boolean"


@pytest.mark.parametrize(
    ("op_id", "name", "good", "bad"),
    [
        (
            "bots_with_metadata",
            "created_after",
            [
                "2023-05-01",
                "2023-05-01T00:00",
                "2023-05-01T00:00:00",
                "2023-05-01T00:00:00Z",
                "2023-05-01T00:00:00.123456+02:00",
                "2023-05-31T23:59:59-05:30",
            ],
            [
                "yesterday",
                "2023-5-1",
                "2023-05-01 00:00:00",
                "2023-13-01",
                "2023-05-01T25:00",
                "2023-05-01T00:00:00+0200",
                "",
                "\u0661\u0662\u0663\u0664-05-01",
            ],
        ),
        ("list_events", "start_date_gte", ["2023-01-01T00:00:00Z"], ["2023-01-01T00:00:00ZZ"]),
        (
            "bots_with_metadata",
            "filter_by_extra",
            ["customer_id:12345", "status:active,project:sales", "a.b-c_d:x y:z"],
            ["customer_id", ":12345", "a:b,", "a:b,,c:d", "bad key:1"],
        ),
        (
            "bots_with_metadata",
            "sort_by_extra",
            ["customer_id", "priority:desc", "priority:asc"],
            ["priority:down", "a,b", "", "a:asc:desc"],
        ),
    ],
)
def test_query_patterns(
    doc: dict[str, Any], op_id: str, name: str, good: list[str], bad: list[str]
) -> None:
    """Query patterns accept the documented formats and reject junk before the handler."""
    validator = validator_for(param_schema(doc, op_id, name))
    for value in good:
        assert validator.is_valid(value), value
    for value in bad:
        assert not validator.is_valid(value), value


def test_accounts_webhook_url(doc: dict[str, Any]) -> None:
    """The account webhook routes are not in upstream's file but real clients call them."""
    item = doc["paths"]["/accounts/webhook_url"]
    assert item["get"]["operationId"] == "get_webhook_url"
    assert item["post"]["operationId"] == "set_webhook_url"
    assert item["post"]["requestBody"]["required"] is True
    response = component_validator("GetWebhookUrlResponse")
    response.validate({"webhook_url": None})
    response.validate({"webhook_url": "https://example.com/hook"})
    request = component_validator("PostWebhookUrlRequest")
    request.validate({"webhook_url": "https://example.com/hook"})
    assert not request.is_valid({})
    assert not request.is_valid({"webhook_url": None})


def test_join_request() -> None:
    """JoinRequest is strict: required fields, no unknown keys, non-empty names."""
    validator = component_validator("JoinRequest")
    body = {
        "meeting_url": "https://meet.google.com/abc-defg-hij",
        "bot_name": "AI Notetaker",
        "reserved": False,
        "recording_mode": "speaker_view",
        "bot_image": "https://example.com/bot.jpg",
        "entry_message": "I am a good meeting bot :)",
        "speech_to_text": {"provider": "Default"},
        "automatic_leave": {"waiting_room_timeout": 600},
        "streaming": {"input": "wss://example.com/in", "audio_frequency": "16khz"},
        "start_time": 1735732800000,
        "extra": {"customer_id": "12345"},
        "webhook_url": "https://example.com/hook",
        "deduplication_key": None,
    }
    validator.validate(body)
    validator.validate({**body, "speech_to_text": "Default"})
    validator.validate({**body, "speech_to_text": {"provider": "Gladia", "api_key": "k"}})
    # optional since the 2026 file (deprecated, default false)
    validator.validate({k: v for k, v in body.items() if k != "reserved"})
    validator.validate(
        {
            **body,
            "automatic_leave": {"silence_timeout": 300},
            "zoom_obf_token_user_id": "KDcuGIm1QgePTO8WbOqwIQ",
            "zoom_obf_token": None,
            "zoom_obf_token_url": "https://example.com/obf",
            "zoom_access_token_url": "https://example.com/zak",
        }
    )
    for bad in (
        {**body, "meeting_url": ""},
        {**body, "bot_name": ""},
        {**body, "start_time": -1},
        {**body, "unknown_field": 1},
        {**body, "recording_mode": "grid"},
        {k: v for k, v in body.items() if k != "bot_name"},
        {**body, "automatic_leave": {"silence_timeout": -1}},
        {**body, "speech_to_text": "Gladia"},  # the docs: Gladia and Runpod need api_key
        {**body, "speech_to_text": {"provider": "Runpod"}},
    ):
        assert not validator.is_valid(bad)


def test_resync_all_errors_are_pairs(doc: dict[str, Any]) -> None:
    """ResyncAllResponse.errors entries are exactly [calendar uuid, message]."""
    pair = doc["components"]["schemas"]["ResyncAllResponse"]["properties"]["errors"]["items"]
    assert len(pair["prefixItems"]) == 2 and pair["items"] is False
    validator = component_validator("ResyncAllResponse")
    validator.validate({"synced_calendars": [CALENDAR_ID], "errors": [[CALENDAR_ID, "boom"]]})
    for errors in ([[CALENDAR_ID]], [[CALENDAR_ID, "a", "b"]], [["nope", "a"]], [[1, "a"]]):
        assert not validator.is_valid({"synced_calendars": [], "errors": errors}), errors


# --------------------------------------------------------------------------- webhooks


def test_webhooks_section(doc: dict[str, Any]) -> None:
    """One POST per event, with a required JSON body, the auth header and the delivery id."""
    assert set(doc["webhooks"]) == set(WEBHOOK_SCHEMAS)
    for event, schema_name in WEBHOOK_SCHEMAS.items():
        post = doc["webhooks"][event]["post"]
        body = post["requestBody"]
        assert body["required"] is True
        assert body["content"] == {"application/json": {"schema": _s(schema_name)}}
        params = {p["name"]: p for p in (resolve(doc, p) for p in post["parameters"])}
        key = params["x-meeting-baas-api-key"]
        assert (key["in"], key["required"], key["schema"]["type"]) == ("header", True, "string")
        delivery = params["x-mockbaas-delivery-id"]
        assert delivery["in"] == "header" and not delivery.get("required", False)
        assert "200" in post["responses"]
        envelope = doc["components"]["schemas"][schema_name]
        assert envelope["properties"]["event"]["const"] == event
        assert envelope["additionalProperties"] is False


def test_webhook_objects_are_closed(doc: dict[str, Any]) -> None:
    """Every object inside a webhook payload rejects unknown fields, at any depth, but
    the caller's own `extra`, which comes back as it was sent."""
    open_objects: list[str] = []
    seen: set[str] = set()

    def walk(node: Any, where: str) -> None:
        """Visit every subschema once, following refs (if/then/else hold no objects)."""
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if ref not in seen:
                    seen.add(ref)
                    walk(pointer(doc, ref), ref)
                return
            if node.get("type") == "object" and node.get("additionalProperties") is not False:
                open_objects.append(where)
            for key, value in node.items():
                if key not in ("if", "else", "then", "not"):
                    walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    for name in WEBHOOK_SCHEMAS.values():
        walk(_s(name), name)
    assert "#/components/schemas/FailedWebhookData" in seen
    assert open_objects == ["#/components/schemas/Extra"]


def test_status_codes_exact(doc: dict[str, Any]) -> None:
    """The status code list is the documented one, no more, no less."""
    assert doc["components"]["schemas"]["BotStatusCode"]["enum"] == STATUS_CODES


VALID_PAYLOADS: list[tuple[str, dict[str, Any]]] = [
    *[("BotStatusChangeWebhook", status_change(code)) for code in STATUS_CODES],
    (
        "CompleteWebhook",
        {
            "event": "complete",
            "data": {
                "bot_id": BOT_ID,
                "mp4": "https://bots-videos.s3.eu-west-3.amazonaws.com/rec.mp4?X-Amz-Signature=a",
                "speakers": ["Alice", "Bob"],
                "transcript": [
                    {
                        "speaker": "Alice",
                        "words": [
                            {"start": 1.3348110430839002, "end": 1.4549110430839003, "word": "Hi"},
                            {
                                "start": 1.4549110430839003,
                                "end": 1.5750110430839004,
                                "word": "Bob!",
                            },
                        ],
                    },
                    {
                        "speaker": "Bob",
                        "offset": 2.65,
                        "words": [
                            {"start": 2.6583010430839, "end": 2.778401043083901, "word": "Hello"}
                        ],
                    },
                ],
                "event": "complete",
            },
        },
    ),
    (
        "CompleteWebhook",
        {
            "event": "complete",
            "data": {
                "bot_id": BOT_ID,
                "mp4": "https://storage.example.com/v.mp4",
                "speakers": [],
                "event": "complete",
            },
        },
    ),
    ("FailedWebhook", {"event": "failed", "data": {"bot_id": BOT_ID, "error": "BotRemoved"}}),
    *[
        ("FailedWebhook", {"event": "failed", "data": {"bot_id": BOT_ID, "error": code}})
        # the webhook reference's codes (the `snake` error vocabulary)
        for code in (
            "meeting_not_found",
            "access_denied",
            "authentication_error",
            "network_error",
            "internal_error",
        )
    ],
    (
        "FailedWebhook",
        {
            "event": "failed",
            "data": {
                "bot_id": BOT_ID,
                "error": "TimeoutWaitingToStart",
                "message": "Nobody admitted the bot within 600 seconds.",
            },
        },
    ),
    (
        "TranscriptionCompleteWebhook",
        {"event": "transcription_complete", "data": {"bot_id": BOT_ID}},
    ),
    (
        "CalendarSyncEventsWebhook",
        {
            "event": "calendar.sync_events",
            "data": {
                "calendar_id": CALENDAR_ID,
                "last_updated_ts": "2023-09-01T15:30:45Z",
                "affected_event_uuids": [
                    "123e4567-e89b-12d3-a456-426614174001",
                    "123e4567-e89b-12d3-a456-426614174002",
                ],
            },
        },
    ),
]


@pytest.mark.parametrize(("schema_name", "payload"), VALID_PAYLOADS)
def test_valid_webhook_payloads(schema_name: str, payload: dict[str, Any]) -> None:
    """Realistic payloads of every event (and every status code) are accepted."""
    component_validator(schema_name).validate(payload)


def _without_bot_id(payload: dict[str, Any]) -> dict[str, Any]:
    """Copy of a payload with data.bot_id removed."""
    out = copy.deepcopy(payload)
    del out["data"]["bot_id"]
    return out


_MEETING_ERROR = status_change("meeting_error")
del _MEETING_ERROR["data"]["status"]["error_type"]
_CALL_ENDED = status_change("call_ended")
del _CALL_ENDED["data"]["status"]["end_reason"]
_RECORDING = status_change("in_call_recording")
del _RECORDING["data"]["status"]["start_time"]
_COMPLETE = dict(VALID_PAYLOADS[len(STATUS_CODES)][1])
_FAILED = {"event": "failed", "data": {"bot_id": BOT_ID, "error": "CannotJoinMeeting"}}
_SYNC = VALID_PAYLOADS[-1][1]

INVALID_PAYLOADS: list[tuple[str, str, Any]] = [
    ("missing bot_id", "BotStatusChangeWebhook", _without_bot_id(status_change("joining_call"))),
    ("unknown status code", "BotStatusChangeWebhook", status_change("exploded")),
    ("meeting_error without error_type", "BotStatusChangeWebhook", _MEETING_ERROR),
    ("call_ended without end_reason", "BotStatusChangeWebhook", _CALL_ENDED),
    ("in_call_recording without start_time", "BotStatusChangeWebhook", _RECORDING),
    (
        "start_time on joining_call",
        "BotStatusChangeWebhook",
        status_change("joining_call", start_time="2024-01-01T12:00:00Z"),
    ),
    (
        "error fields on bot_removed",
        "BotStatusChangeWebhook",
        status_change("bot_removed", error_message="x", error_type="BotRemoved"),
    ),
    (
        "end_reason on recording_paused",
        "BotStatusChangeWebhook",
        status_change("recording_paused", end_reason="api_request"),
    ),
    (
        "unknown end_reason",
        "BotStatusChangeWebhook",
        status_change("call_ended", end_reason="bored"),
    ),
    (
        "created_at not a date-time",
        "BotStatusChangeWebhook",
        status_change("joining_call", created_at="yesterday"),
    ),
    (
        "bot_id not a uuid",
        "BotStatusChangeWebhook",
        {
            **status_change("joining_call"),
            "data": {"bot_id": "42", "status": status("joining_call")},
        },
    ),
    (
        "extra field on the envelope",
        "BotStatusChangeWebhook",
        {**status_change("joining_call"), "extra": 1},
    ),
    (
        "extra field in status",
        "BotStatusChangeWebhook",
        status_change("joining_call", colour="blue"),
    ),
    ("wrong event name", "CompleteWebhook", {**_COMPLETE, "event": "completed"}),
    ("missing bot_id", "CompleteWebhook", _without_bot_id(_COMPLETE)),
    (
        "missing mp4",
        "CompleteWebhook",
        {"event": "complete", "data": {"bot_id": BOT_ID, "speakers": []}},
    ),
    (
        "word without end",
        "CompleteWebhook",
        {
            "event": "complete",
            "data": {
                "bot_id": BOT_ID,
                "mp4": "https://x.example/v.mp4",
                "speakers": ["A"],
                "transcript": [{"speaker": "A", "words": [{"start": 1.0, "word": "Hi"}]}],
            },
        },
    ),
    (
        "extra field in data",
        "CompleteWebhook",
        {**_COMPLETE, "data": {**_COMPLETE["data"], "duration": 12}},
    ),
    ("missing bot_id", "FailedWebhook", _without_bot_id(_FAILED)),
    *[
        (
            f"unknown error {error}",
            "FailedWebhook",
            {"event": "failed", "data": {"bot_id": BOT_ID, "error": error}},
        )
        # in neither vocabulary: a PascalCase code of the snake list, and the other way round
        for error in ("MeetingNotFound", "cannot_join_meeting", "access-denied", "Network_Error")
    ],
    (
        "missing data.event (the getting-started guide's example)",
        "CompleteWebhook",
        {"event": "complete", "data": {k: v for k, v in _COMPLETE["data"].items() if k != "event"}},
    ),
    (
        "data.event naming another event",
        "CompleteWebhook",
        {**_COMPLETE, "data": {**_COMPLETE["data"], "event": "failed"}},
    ),
    ("missing error", "FailedWebhook", {"event": "failed", "data": {"bot_id": BOT_ID}}),
    (
        "extra field in data",
        "FailedWebhook",
        {"event": "failed", "data": {**_FAILED["data"], "code": 500}},
    ),
    (
        "missing bot_id",
        "TranscriptionCompleteWebhook",
        {"event": "transcription_complete", "data": {}},
    ),
    (
        "extra field in data",
        "TranscriptionCompleteWebhook",
        {"event": "transcription_complete", "data": {"bot_id": BOT_ID, "mp4": "x"}},
    ),
    (
        "bad timestamp",
        "CalendarSyncEventsWebhook",
        {**_SYNC, "data": {**_SYNC["data"], "last_updated_ts": "yesterday"}},
    ),
    (
        "event ids not uuids",
        "CalendarSyncEventsWebhook",
        {**_SYNC, "data": {**_SYNC["data"], "affected_event_uuids": ["evt_67890fghij"]}},
    ),
    (
        "missing calendar_id",
        "CalendarSyncEventsWebhook",
        {**_SYNC, "data": {k: v for k, v in _SYNC["data"].items() if k != "calendar_id"}},
    ),
    ("status change sent as complete", "CompleteWebhook", status_change("joining_call")),
]


@pytest.mark.parametrize(
    ("schema_name", "payload"),
    [pytest.param(s, p, id=f"{s}-{why}") for why, s, p in INVALID_PAYLOADS],
)
def test_invalid_webhook_payloads(schema_name: str, payload: Any) -> None:
    """Payloads a receiver must not get are rejected by the same schemas."""
    assert not component_validator(schema_name).is_valid(payload)


def test_webhook_documentation_from_webhooks(doc: dict[str, Any]) -> None:
    """What the documentation routes serve, built from `webhooks`, matches its schema."""
    events = []
    for event, item in doc["webhooks"].items():
        body_schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        events.append(
            {
                "event": event,
                "description": item["post"]["description"],
                "payload_schema": resolve(doc, body_schema),
            }
        )
    validator = component_validator("WebhookDocumentation")
    validator.validate({"events": events})
    assert not validator.is_valid({"events": [{"event": "complete"}]})


# --------------------------------------------------------------------------- upstream


def upstream_path(glob: str = UPSTREAM_GLOB) -> Path | None:
    """The upstream OpenAPI file, from MOCKBAAS_UPSTREAM_DIR or ../shared/upstream."""
    directory = Path(os.environ.get("MOCKBAAS_UPSTREAM_DIR", ROOT.parent / "shared" / "upstream"))
    candidates = sorted(directory.glob(glob)) if directory.is_dir() else []
    return candidates[-1] if candidates else None


def _load_upstream(glob: str) -> dict[str, Any]:
    path = upstream_path(glob)
    if path is None:
        pytest.skip(f"upstream Meeting BaaS OpenAPI file ({glob}) not found")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def upstream() -> dict[str, Any]:
    """The upstream document; tests using it skip when it is not available."""
    return _load_upstream(UPSTREAM_GLOB)


@pytest.fixture(scope="module")
def upstream_2026() -> dict[str, Any]:
    """The 2026 v1 document; tests using it skip when it is not available."""
    return _load_upstream(UPSTREAM_2026_GLOB)


def json_types(document: dict[str, Any], schema: Any) -> set[str]:
    """JSON types a schema admits; the empty set means unconstrained."""
    schema = resolve(document, schema)
    if not isinstance(schema, dict):
        return set()
    declared = schema.get("type")
    if declared is not None:
        return {declared} if isinstance(declared, str) else set(declared)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            branches = [json_types(document, branch) for branch in schema[key]]
            return set() if any(not b for b in branches) else set().union(*branches)
    values = enum_values(document, schema)
    return {"string" for v in values if isinstance(json.loads(v), str)}


def enum_values(document: dict[str, Any], schema: Any) -> set[str]:
    """Non-null enum/const values, through anyOf/oneOf (JSON-encoded to be hashable)."""
    schema = resolve(document, schema)
    if not isinstance(schema, dict):
        return set()
    values = list(schema.get("enum", []))
    if "const" in schema:
        values.append(schema["const"])
    found = {json.dumps(v) for v in values if v is not None}
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key, []):
            found |= enum_values(document, branch)
    return found


def find_node(document: dict[str, Any], schema: Any, keys: tuple[str, ...]) -> Any:
    """The (sub)schema holding one of `keys`, looking through refs and anyOf/oneOf/allOf."""
    schema = resolve(document, schema)
    if not isinstance(schema, dict):
        return None
    if any(key in schema for key in keys):
        return schema
    for combinator in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(combinator, []):
            node = find_node(document, branch, keys)
            if node is not None:
                return node
    return None


def types_compatible(ours: set[str], theirs: set[str]) -> bool:
    """Ours may narrow upstream's types (drop null, integer for number), never widen them."""
    if not theirs:
        return True
    if not ours:
        return False
    return all(t in theirs or (t == "integer" and "number" in theirs) for t in ours)


def compare_schemas(
    up_doc: dict[str, Any],
    our_doc: dict[str, Any],
    up: Any,
    ours: Any,
    where: str,
    problems: list[str],
    depth: int = 0,
    request: bool = False,
) -> None:
    """Recursively check that our schema keeps upstream's fields, requireds, types, enums.

    Required fields: in a request ours may be fewer (we accept what upstream accepts),
    in an answer more (we send what upstream promises); `request` says which."""
    if depth > 16:
        return
    up, ours = resolve(up_doc, up), resolve(our_doc, ours)
    up_types, our_types = json_types(up_doc, up), json_types(our_doc, ours)
    if not types_compatible(our_types, up_types):
        problems.append(f"{where}: types {sorted(our_types)} not within {sorted(up_types)}")
    up_enum, our_enum = enum_values(up_doc, up), enum_values(our_doc, ours)
    if up_enum and up_enum != our_enum:
        problems.append(f"{where}: enum {sorted(our_enum)} != {sorted(up_enum)}")

    up_obj = find_node(up_doc, up, ("properties",))
    if up_obj is not None:
        our_obj = find_node(our_doc, ours, ("properties",))
        if our_obj is None:
            problems.append(f"{where}: upstream is an object with properties, ours is not")
            return
        up_required, our_required = (
            set(up_obj.get("required", [])),
            set(our_obj.get("required", [])),
        )
        if not (our_required <= up_required if request else our_required >= up_required):
            problems.append(
                f"{where}: required {sorted(our_obj.get('required', []))} != "
                f"{sorted(up_obj.get('required', []))}"
            )
        if up_obj.get("additionalProperties") is False and (
            our_obj.get("additionalProperties") is not False
        ):
            problems.append(f"{where}: upstream forbids additional properties, ours does not")
        for name, sub in up_obj["properties"].items():
            if name not in our_obj["properties"]:
                problems.append(f"{where}.{name}: missing")
            else:
                compare_schemas(
                    up_doc,
                    our_doc,
                    sub,
                    our_obj["properties"][name],
                    f"{where}.{name}",
                    problems,
                    depth + 1,
                    request,
                )

    up_arr = find_node(up_doc, up, ("items", "prefixItems"))
    if up_arr is not None:
        our_arr = find_node(our_doc, ours, ("items", "prefixItems"))
        if our_arr is None:
            problems.append(f"{where}: upstream is an array, ours is not")
            return
        up_items = up_arr.get("prefixItems", up_arr.get("items"))
        if isinstance(up_items, list):  # draft-4 style tuple upstream
            our_items = our_arr.get("prefixItems", [])
            if len(our_items) != len(up_items):
                problems.append(f"{where}: tuple of {len(our_items)} != {len(up_items)}")
            for index, (u, o) in enumerate(zip(up_items, our_items, strict=False)):
                compare_schemas(
                    up_doc, our_doc, u, o, f"{where}[{index}]", problems, depth + 1, request
                )
        elif isinstance(up_items, dict):
            compare_schemas(
                up_doc,
                our_doc,
                up_items,
                our_arr.get("items"),
                f"{where}[]",
                problems,
                depth + 1,
                request,
            )


def json_schema_of(document: dict[str, Any], holder: Any) -> Any:
    """The application/json schema of a request body or response, or None."""
    holder = resolve(document, holder)
    if not isinstance(holder, dict):
        return None
    schema = holder.get("content", {}).get("application/json", {}).get("schema")
    return schema or None


def params_by_key(
    document: dict[str, Any], operation: dict[str, Any]
) -> dict[tuple[str, str, bool], dict[str, Any]]:
    """An operation's parameters keyed by (name, in, required)."""
    out = {}
    for param in operation.get("parameters", []):
        param = resolve(document, param)
        out[(param["name"], param["in"], bool(param.get("required")))] = param
    return out


def upstream_problems(up_doc: dict[str, Any], our_doc: dict[str, Any]) -> list[str]:
    """Every incompatibility of our document with upstream, as readable lines."""
    problems: list[str] = []
    ours = {(m, p): op for m, p, op in operations(our_doc)}
    for method, path, up_op in operations(up_doc):
        label = f"{method} {path}"
        our_op = ours.get((method, path))
        if our_op is None:
            problems.append(f"{label}: missing")
            continue
        if our_op.get("operationId") != up_op.get("operationId"):
            problems.append(
                f"{label}: operationId {our_op.get('operationId')!r} != "
                f"{up_op.get('operationId')!r}"
            )

        up_params, our_params = params_by_key(up_doc, up_op), params_by_key(our_doc, our_op)
        # the docs' own spellings (camelCase filters) are served too: optional, deprecated
        our_params = {
            key: param
            for key, param in our_params.items()
            if key in up_params or not (param.get("deprecated") and not key[2])
        }
        if set(up_params) != set(our_params):
            problems.append(f"{label}: parameters {sorted(our_params)} != {sorted(up_params)}")
        for key in set(up_params) & set(our_params):
            compare_schemas(
                up_doc,
                our_doc,
                up_params[key].get("schema", {}),
                our_params[key].get("schema", {}),
                f"{label} ?{key[0]}",
                problems,
                request=True,
            )

        if "requestBody" in up_op:
            up_body = resolve(up_doc, up_op["requestBody"])
            our_body = resolve(our_doc, our_op.get("requestBody", {}))
            if bool(up_body.get("required")) != bool(our_body.get("required")):
                problems.append(f"{label}: requestBody.required differs")
            compare_schemas(
                up_doc,
                our_doc,
                json_schema_of(up_doc, up_body) or {},
                json_schema_of(our_doc, our_body) or {},
                f"{label} body",
                problems,
                request=True,
            )
        elif "requestBody" in our_op:
            problems.append(f"{label}: ours has a request body, upstream has none")

        up_ok = json_schema_of(up_doc, up_op.get("responses", {}).get("200"))
        if up_ok:
            our_ok = json_schema_of(our_doc, our_op["responses"].get("200"))
            if our_ok is None:
                problems.append(f"{label}: upstream 200 has a JSON body, ours does not")
            else:
                compare_schemas(up_doc, our_doc, up_ok, our_ok, f"{label} 200", problems)

    up_schemas = up_doc.get("components", {}).get("schemas", {})
    our_schemas = our_doc["components"]["schemas"]
    for name in sorted(set(up_schemas) & set(our_schemas)):
        compare_schemas(
            up_doc,
            our_doc,
            up_schemas[name],
            our_schemas[name],
            name,
            problems,
            request=name in REQUEST_SCHEMAS,
        )
    return problems


def test_upstream_operations_and_schemas(upstream: dict[str, Any], doc: dict[str, Any]) -> None:
    """Real clients work unchanged: same routes, ids, parameters, fields, types and enums."""
    problems = upstream_problems(upstream, doc)
    assert not problems, "incompatible with upstream:\n" + "\n".join(sorted(set(problems)))


def test_upstream_2026_operations_and_schemas(
    upstream_2026: dict[str, Any], doc: dict[str, Any]
) -> None:
    """The 2026 v1 file too (Zoom OAuth routes, /calendars/resync_all, new fields): what
    the 6.x SDK sends is accepted, what it reads is there."""
    problems = upstream_problems(upstream_2026, doc)
    assert not problems, "incompatible with upstream 2026:\n" + "\n".join(sorted(set(problems)))


def test_upstream_2026_comparison_detects_breakage(
    upstream_2026: dict[str, Any], doc: dict[str, Any]
) -> None:
    """Required fields by direction: a request requiring more, or an answer promising
    less, than the 2026 file is caught."""
    broken = copy.deepcopy(doc)
    schemas = broken["components"]["schemas"]
    schemas["JoinRequest"]["required"].append("reserved")
    schemas["Metadata"]["required"].remove("audio")
    del schemas["BotWithParams"]["properties"]["bot_joined_at"]
    del broken["paths"]["/zoom_oauth_connections/{uuid}"]
    problems = "\n".join(upstream_problems(upstream_2026, broken))
    for needle in (
        "JoinRequest: required",
        "Metadata: required",
        "BotWithParams.bot_joined_at: missing",
        "GET /zoom_oauth_connections/{uuid}: missing",
    ):
        assert needle in problems, needle


def test_upstream_comparison_detects_breakage(
    upstream: dict[str, Any], doc: dict[str, Any]
) -> None:
    """The comparator itself must notice typical regressions, or the test above is vacuous."""
    broken = copy.deepcopy(doc)
    schemas = broken["components"]["schemas"]
    del schemas["JoinRequest"]["properties"]["bot_name"]
    schemas["Event"]["required"].remove("raw")
    schemas["AudioFrequency"]["enum"] = ["16khz"]
    schemas["Metadata"]["properties"]["duration"]["type"] = "string"
    broken["paths"]["/bots/meeting_data"]["get"]["parameters"][0]["required"] = False
    broken["paths"]["/calendars/{uuid}"]["get"]["operationId"] = "fetch_calendar"
    problems = "\n".join(upstream_problems(upstream, broken))
    for needle in (
        "JoinRequest.bot_name: missing",
        "Event: required",
        "AudioFrequency: enum",
        "Metadata.duration: types",
        "GET /bots/meeting_data: parameters",
        "'fetch_calendar'",
    ):
        assert needle in problems, needle
