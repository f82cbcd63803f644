"""openapi-v2.json: a valid document, generated from our own definitions, and compatible
with the published v2 reference (same operations, parameters, field names and types)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from support import ROOT

from mockbaas.v2 import contract_source

OURS = json.loads((ROOT / "openapi-v2.json").read_text())
UPSTREAM = Path(os.environ.get("MOCKBAAS_UPSTREAM_DIR", ROOT.parent / "shared" / "upstream"))
REFERENCE_FILE = UPSTREAM / "meetingbaas-v2-openapi-2026-05-11.json"
METHODS = ("get", "post", "put", "patch", "delete")

#: Reference operations our contract does not describe yet (the mock does not serve them).
NOT_YET: frozenset[str] = frozenset()
#: Reference webhook payload schemas and the event names they describe.
WEBHOOK_SCHEMAS = {
    "bot.status_change": "BotWebhookStatusChange",
    "bot.completed": "BotWebhookCompleted",
    "bot.failed": "BotWebhookFailed",
    "bot.chat_message": "BotWebhookChatMessage",
    "calendar.connection_created": "CalendarWebhookConnectionCreated",
    "calendar.connection_updated": "CalendarWebhookConnectionUpdated",
    "calendar.connection_deleted": "CalendarWebhookConnectionDeleted",
    "calendar.events_synced": "CalendarWebhookEventsSynced",
    "calendar.event_created": "CalendarWebhookEventCreated",
    "calendar.event_updated": "CalendarWebhookEventUpdated",
    "calendar.event_cancelled": "CalendarWebhookEventCancelled",
}


def test_document_is_valid_openapi_31():
    validate(OURS)


def test_committed_file_is_what_the_definitions_generate():
    assert (ROOT / "openapi-v2.json").read_text() == contract_source.render(), (
        "regenerate: python -m mockbaas.v2.contract_source > openapi-v2.json"
    )


def test_every_error_answer_is_the_v2_envelope():
    for path, item in OURS["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                if status.startswith(("4", "5")):
                    schema = answer["content"]["application/json"]["schema"]["$ref"]
                    assert schema.endswith("RateLimited" if status == "429" else "Error"), (
                        method,
                        path,
                        status,
                    )
            assert "429" in op["responses"] and "400" in op["responses"], (method, path)


# -- compatibility with the reference ----------------------------------------------------
def _resolve(doc: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _types(node: dict[str, Any]) -> set[str]:
    if "type" in node:
        kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
        return {"number" if k == "integer" else k for k in kinds}
    values = node.get("enum", [node["const"]] if "const" in node else [])
    return {
        "null"
        if v is None
        else "boolean"
        if isinstance(v, bool)
        else "number"
        if isinstance(v, (int, float))
        else "string"
        for v in values
    }


def shape(doc: dict[str, Any], node: Any, path: str = "", out: dict | None = None) -> dict:
    """Every field path of a schema with the JSON types it may have (integer counts as
    number: the API's own examples mix them)."""
    out = {} if out is None else out
    node = _resolve(doc, node)
    if not isinstance(node, dict):
        return out
    branches = node.get("anyOf") or node.get("oneOf") or node.get("allOf")
    if branches:
        for branch in branches:
            shape(doc, branch, path, out)
        return out
    out.setdefault(path, set()).update(_types(node))
    for name, sub in node.get("properties", {}).items():
        shape(doc, sub, f"{path}.{name}" if path else name, out)
    if "items" in node:
        shape(doc, node["items"], f"{path}[]", out)
    return out


def _operations(doc: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        op["operationId"]: (method, path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def _body_schema(doc: dict[str, Any], holder: dict[str, Any] | None) -> Any:
    if not holder:
        return None
    holder = _resolve(doc, holder)
    return holder.get("content", {}).get("application/json", {}).get("schema")


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    if not REFERENCE_FILE.exists():
        pytest.skip(
            f"the v2 reference is not here ({REFERENCE_FILE.name}); set MOCKBAAS_UPSTREAM_DIR"
        )
    return json.loads(REFERENCE_FILE.read_text())


def test_same_operations_as_the_reference(reference):
    ours, theirs = _operations(OURS), _operations(reference)
    assert set(ours) == set(theirs) - NOT_YET
    for op_id, (method, path, _) in ours.items():
        assert (method, path) == theirs[op_id][:2], op_id


def test_same_parameters_as_the_reference(reference):
    theirs = _operations(reference)
    for op_id, (_, _, op) in _operations(OURS).items():
        ref_params = {
            (p["name"], p["in"]): shape(reference, p["schema"])[""] - {"null"}
            for p in theirs[op_id][2].get("parameters", [])
        }
        our_params = {
            (p["name"], p["in"]): shape(OURS, p["schema"])[""] - {"null"}
            for p in op.get("parameters", [])
        }
        assert our_params == ref_params, op_id


def test_same_request_fields_and_types_as_the_reference(reference):
    theirs = _operations(reference)
    for op_id, (_, _, op) in _operations(OURS).items():
        ref_body = _body_schema(reference, theirs[op_id][2].get("requestBody"))
        our_body = _body_schema(OURS, op.get("requestBody"))
        assert (ref_body is None) == (our_body is None), op_id
        if ref_body is not None:
            assert shape(OURS, our_body) == shape(reference, ref_body), op_id


def test_same_response_fields_and_types_as_the_reference(reference):
    theirs = _operations(reference)
    for op_id, (_, _, op) in _operations(OURS).items():
        ref_responses = theirs[op_id][2]["responses"]
        for status, answer in ref_responses.items():
            assert status in op["responses"], (op_id, status)
            ref_schema = _body_schema(reference, answer)
            our_schema = _body_schema(OURS, op["responses"][status])
            ours, refs = shape(OURS, our_schema), shape(reference, ref_schema)
            if status.startswith("2"):
                assert ours == refs, (op_id, status)
            else:  # the error envelope: same fields; ours pins `code` and `statusCode`
                assert set(ours) >= set(refs), (op_id, status)


def test_same_webhook_payloads_as_the_reference(reference):
    for event, component in WEBHOOK_SCHEMAS.items():
        ref_schema = reference["components"]["schemas"][component]
        our_schema = OURS["webhooks"][event]["post"]["requestBody"]["content"]["application/json"][
            "schema"
        ]
        assert shape(OURS, our_schema) == shape(reference, ref_schema), event
