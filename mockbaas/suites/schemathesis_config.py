"""What schemathesis reads: our OpenAPI documents as it should see them, and the
configuration every run of ours shares (the `api` suite, and the project's own tests).

Schemathesis is the engine of the `api` suite: it already turns an OpenAPI document into
property-based tests far better than anything hand-written here would. What is ours is
what no schema can say: where generated webhook targets may point, which cursors are
real, which answers a server's state may legitimately give.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from ..contract import v1_path, v2_path
from ..query import encode_cursor

#: Operations whose body names a webhook target. A server that keeps a target policy
#: (the mock does: loopback and what its operator allows) refuses generated targets
#: with a 422, by design, rather than post to made-up hosts.
WEBHOOK_TARGET_OPERATIONS = (
    "join",
    "retranscribe_bot",
    "set_webhook_url",
    "schedule_record_event",
    "patch_bot",
)
#: Reads that still answer after a DELETE on their path, by the API's design (the check
#: `use_after_free` expects a 404): v1's DELETE /bots/{uuid} makes the bot leave the
#: meeting, and its recording and screenshots stay; v2's DELETE of a scheduled bot
#: cancels it, and it stays readable as `cancelled` (a second DELETE is a 409).
READABLE_AFTER_DELETE = ("get_screenshots",)
READABLE_AFTER_DELETE_V2 = ("getScheduledBotDetails",)
#: What schemathesis accepts for valid data (its default), plus that 422.
ACCEPTED_WITH_TARGET_POLICY = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]


def schemathesis_document(path: Path | None = None) -> dict[str, Any]:
    """openapi.json as schemathesis should read it.

    One difference, until schemathesis 4.32's issue #3842 is fixed: it rewrites
    `prefixItems` to the draft-4 tuple form and then compiles the result as 2020-12,
    which fails. The [calendar uuid, message] pair of ResyncAllResponse.errors is given
    as two items of either shape instead; the mock's own checks keep the exact tuple.
    """
    doc: dict[str, Any] = json.loads(Path(path or v1_path()).read_text(encoding="utf-8"))
    pair = doc["components"]["schemas"]["ResyncAllResponse"]["properties"]["errors"]["items"]
    if "prefixItems" in pair:
        pair["items"] = {"anyOf": pair.pop("prefixItems")}
    return doc


#: Generated v2 callback URLs point here: loopback, a port nothing listens on. (The
#: mock's dispatcher would refuse a made-up host anyway; a proxy of the real API would not.)
NOWHERE = "http://127.0.0.1:1/mockbaas-contract"
STREAM_NOWHERE = "ws://127.0.0.1:1/mockbaas-contract"
#: Generated scheduled bots join then: far enough ahead of any clock a run starts with.
LATER = "2030-01-07T09:00:00Z"


def schemathesis_document_v2(path: Path | None = None) -> dict[str, Any]:
    """openapi-v2.json as schemathesis should read it: every callback or streaming URL a
    generated body may hold is NOWHERE (the v2 twin of pinning v1's `webhook_url`).
    Generated hosts are made up and on the internet; a fuzzed bot must never make a
    server dial them. `join_at` is LATER (it must be ahead of the server's clock).
    Nested fields cannot be pinned by configuration, so the schema says it."""
    doc: dict[str, Any] = json.loads(Path(path or v2_path()).read_text(encoding="utf-8"))
    pinned = {"type": "string", "enum": [NOWHERE]}

    def pin(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("properties", {})
            if "url" in props and "method" in props and "secret" in props:
                props["url"] = pinned  # a callback_config
            if "input_url" in props and "output_url" in props:  # a streaming_config
                stream = {"type": "string", "enum": [STREAM_NOWHERE]}
                props["input_url"] = props["output_url"] = {"anyOf": [stream, {"type": "null"}]}
            for value in node.values():
                pin(value)
        elif isinstance(node, list):
            for value in node:
                pin(value)

    pin(doc["paths"])
    pin(doc["components"]["schemas"])
    for name, schema in doc["components"]["schemas"].items():
        if name.endswith(("Request", "Item")) and "join_at" in schema.get("properties", {}):
            # "at least 1 minute ahead" of the server's clock: no schema can say that
            schema["properties"]["join_at"] = {"type": "string", "enum": [LATER]}
    return doc


def v2_cursors() -> list[str]:
    """Cursors of the shape v2 issues (`base64(<iso date>::<id>)`), for the fuzzer."""
    return [
        base64.urlsafe_b64encode(f"2025-01-06T09:00:0{n}.000Z::{n}".encode()).decode()
        for n in range(2)
    ]


def schemathesis_config(api_key: str, seed: int = 0, max_examples: int = 25) -> dict[str, Any]:
    """The schemathesis configuration every run of ours shares (tests and `contract api`).

    Cursors are valid only when a server issued them, which no schema can say: they are
    drawn from cursors of the shape the API returns. Generated webhook URLs are left as
    drawn: the mock refuses every one outside its allow-list with a 422 (accepted for
    the operations that take one) and never dials it.
    An operation answered only 401/403 (a wrong key) fails the run: schemathesis would
    just warn, and a run that tested nothing must not pass. `missing_test_data` stays a
    warning: the stateless phases cannot reach operations that need an existing id.
    A seed given here is used even in deterministic mode (same seed, same requests),
    whatever schemathesis' "Seed: not used" line says. Hypothesis' `filter_too_much`
    health check is off: it reports the generator's trouble with a rich body (some seeds
    of v2's POST /v2/bots), not the server's, and would end that operation's run.
    """
    return {
        "seed": seed,
        "suppress-health-check": ["filter_too_much"],
        "generation": {"max-examples": max_examples, "deterministic": True, "database": "none"},
        "warnings": {"fail-on": ["missing_auth"]},
        "auth": {"openapi": {"ApiKeyAuth": {"api_key": api_key}}},
        "dictionaries": {"cursors": {"values": [encode_cursor(0), encode_cursor(1)]}},
        "parameters": {"query.cursor": {"dictionary": "cursors"}},
        "operations": [
            {
                "include-operation-id": operation_id,
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": ACCEPTED_WITH_TARGET_POLICY}
                },
            }
            for operation_id in WEBHOOK_TARGET_OPERATIONS
        ]
        + _readable_after_delete(READABLE_AFTER_DELETE),
    }


def _readable_after_delete(operation_ids: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {"include-operation-id": op, "checks": {"use_after_free": {"enabled": False}}}
        for op in operation_ids
    ]


#: v2 operations whose schema-valid body may still be refused by state: an OAuth code is
#: single-use, a raw calendar id must be one the credentials see, and a calendar bot on
#: one occurrence names it (each the documented 400).
V2_STATEFUL_400_OPERATIONS = (
    "createZoomCredential",
    "updateZoomCredential",
    "createCalendarConnection",
    "createCalendarBot",
    "updateCalendarBot",
    "deleteCalendarBot",
)
#: v2 operations whose body names a callback or streaming target (the policy's 422).
V2_TARGET_OPERATIONS = (
    "createBot",
    "batchCreateBots",
    "retryCallback",
    "createScheduledBot",
    "batchCreateScheduledBots",
    "updateScheduledBot",
    "createCalendarBot",
    "updateCalendarBot",
)


def schemathesis_config_v2(api_key: str, seed: int = 0, max_examples: int = 25) -> dict[str, Any]:
    """The v1 configuration, with v2 cursors and v2's documented state-dependent answers.

    The stateful phase follows the links openapi-v2.json declares, and only those:
    schemathesis' dependency analysis would also guess from names, and one guess is wrong
    (a bot sent now is not a scheduled bot: `GET /v2/bots/scheduled/{bot_id}` rightly
    answers 404 for it, which it then reports as a lost resource, ST302)."""
    config = schemathesis_config(api_key, seed, max_examples)
    config["phases"] = {"stateful": {"inference": {"algorithms": ["location-headers"]}}}
    config["dictionaries"]["cursors"]["values"] = v2_cursors()
    accepted = {op: list(ACCEPTED_WITH_TARGET_POLICY) for op in V2_TARGET_OPERATIONS}
    for op in V2_STATEFUL_400_OPERATIONS:
        accepted[op] = [*ACCEPTED_WITH_TARGET_POLICY, "400"]
    config["operations"] = [
        {
            "include-operation-id": op,
            "checks": {"positive_data_acceptance": {"expected-statuses": statuses}},
        }
        for op, statuses in accepted.items()
    ] + _readable_after_delete(READABLE_AFTER_DELETE_V2)
    return config


def _inline(value: Any) -> str:
    """A TOML value: JSON spelling for scalars, inline tables inside lists."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return json.dumps(value)


def toml(table: dict[str, Any], prefix: str = "") -> str:
    """Just enough TOML for a schemathesis config: nested tables, scalars and lists."""
    scalars, tables = [], []
    for key, value in table.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            scalars.append(f"{json.dumps(key)} = {_inline(value)}")
    out = ""
    if scalars:
        out += (f"[{prefix}]\n" if prefix else "") + "\n".join(scalars) + "\n"
    for key, value in tables:
        out += toml(value, f"{prefix}.{json.dumps(key)}" if prefix else json.dumps(key))
    return out
