"""Schemathesis against the running mock, with our openapi.json and every check it has.

Examples, coverage and fuzzing phases run per operation (`schema.parametrize()`); the
stateful phase runs as a state machine that follows the links between operations (join a
bot, then read it, list it, delete its data or make it leave; create a calendar, then
read, update or delete it or list its events), every scenario on a freshly reset world.
All checks are on, positive and negative data, derandomized with a fixed seed.

What is adapted, and why (nothing here switches a check off to hide a server bug):

- The server runs with `--api-key` (Settings.api_keys): in its default mode any
  non-empty key *is* an account, so `ignored_auth`'s "made-up key" probe would succeed by
  design. With a fixed key set, an unknown key is a 401 as the contract says.
- `cursor` parameters are drawn from cursors the server issues. A cursor is valid only
  if a previous response returned it, which no schema can express; a made-up one gets a
  400 naming `cursor` (tested in test_validation.py).
- The document handed to schemathesis differs from openapi.json in two ways:
  1. `links` between operations, for the stateful phase (what id feeds which call);
  2. `ResyncAllResponse.errors` items are written without `prefixItems`: schemathesis
     4.32 rewrites `prefixItems` to draft-4 tuple form and then compiles the response
     schema as Draft 2020-12, which fails (schemathesis issue #3842). The mock's own
     response checks (strict mode, `assert_conforms`) keep the exact tuple.
- `webhook_url` body fields are pinned to a loopback port nothing listens on: generated
  URLs would otherwise make the mock post webhooks to real hosts on the internet.
- `use_after_free` is off for GET /bots/{uuid}/screenshots only: DELETE /bots/{uuid}
  means "leave the meeting" in the Meeting BaaS API (upstream's design), not "delete the
  bot"; the bot, its recording and its screenshots stay readable after it left.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis.stateful import Bundle, rule
from schemathesis.config._checks import _BUILTIN_CHECK_CONFIGS
from schemathesis.generation.stateful.state_machine import StepInput

from mockbaas.client import MockClient
from mockbaas.config import Settings
from mockbaas.query import encode_cursor
from mockbaas.server import BackgroundServer

ROOT = Path(__file__).resolve().parent.parent
KEY = "schemathesis-key"
SEED = 20250106
MAX_EXAMPLES = 25
#: Where generated webhook URLs point: loopback, a port nothing listens on. Deliveries
#: fail at once instead of reaching real hosts on the internet.
NOWHERE = "http://127.0.0.1:1/schemathesis"


def links() -> dict[str, dict[str, dict[str, Any]]]:
    """operationId -> links of its 200 response."""
    bot = "$response.body#/bot_id"
    calendar = "$response.body#/calendar/uuid"
    first_event = "$response.body#/data/0/uuid"
    scheduled = "$response.body#/0/uuid"
    same = "$request.path.uuid"
    return {
        "join": {
            "Leave": {"operationId": "leave", "parameters": {"path.uuid": bot}},
            "MeetingData": {"operationId": "get_meeting_data", "parameters": {"query.bot_id": bot}},
            "DeleteData": {"operationId": "delete_data", "parameters": {"path.uuid": bot}},
            "Screenshots": {"operationId": "get_screenshots", "parameters": {"path.uuid": bot}},
            # no link to retranscribe_bot: it needs a finished recording, which a bot that
            # just joined (on a clock nobody advances) does not have; its 404 is right
            "Listing": {"operationId": "bots_with_metadata", "parameters": {}},
        },
        "create_calendar": {
            "Get": {"operationId": "get_calendar", "parameters": {"path.uuid": calendar}},
            "Update": {"operationId": "update_calendar", "parameters": {"path.uuid": calendar}},
            "Delete": {"operationId": "delete_calendar", "parameters": {"path.uuid": calendar}},
            "Events": {"operationId": "list_events", "parameters": {"query.calendar_id": calendar}},
            "Resync": {"operationId": "resync_all", "parameters": {}},
        },
        # after a delete, the same id must be gone everywhere (use_after_free)
        "delete_calendar": {
            "GetDeleted": {"operationId": "get_calendar", "parameters": {"path.uuid": same}},
            "UpdateDeleted": {"operationId": "update_calendar", "parameters": {"path.uuid": same}},
            "EventsOfDeleted": {
                "operationId": "list_events",
                "parameters": {"query.calendar_id": same},
            },
        },
        "unschedule_record_event": {
            "PatchUnscheduled": {"operationId": "patch_bot", "parameters": {"path.uuid": same}},
            "GetEvent": {"operationId": "get_event", "parameters": {"path.uuid": same}},
        },
        "list_calendars": {
            "Get": {
                "operationId": "get_calendar",
                "parameters": {"path.uuid": "$response.body#/0/uuid"},
            },
        },
        "list_events": {
            "GetEvent": {"operationId": "get_event", "parameters": {"path.uuid": first_event}},
            "Schedule": {
                "operationId": "schedule_record_event",
                "parameters": {"path.uuid": first_event},
            },
            "Patch": {"operationId": "patch_bot", "parameters": {"path.uuid": first_event}},
            "Unschedule": {
                "operationId": "unschedule_record_event",
                "parameters": {"path.uuid": first_event},
            },
        },
        "schedule_record_event": {
            "GetEvent": {"operationId": "get_event", "parameters": {"path.uuid": scheduled}},
            "Patch": {"operationId": "patch_bot", "parameters": {"path.uuid": scheduled}},
            "Unschedule": {
                "operationId": "unschedule_record_event",
                "parameters": {"path.uuid": scheduled},
            },
        },
        "set_webhook_url": {"Get": {"operationId": "get_webhook_url", "parameters": {}}},
    }


def document() -> dict[str, Any]:
    doc = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
    # 2. the tuple workaround (see the module docstring)
    pair = doc["components"]["schemas"]["ResyncAllResponse"]["properties"]["errors"]["items"]
    prefix = pair.pop("prefixItems")
    pair["items"] = {"anyOf": prefix}
    # 1. links
    by_id = {
        op["operationId"]: op
        for item in doc["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    for op_id, op_links in links().items():
        by_id[op_id]["responses"]["200"]["links"] = op_links
    return doc


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "auth": {"openapi": {"ApiKeyAuth": {"api_key": KEY}}},
        "dictionaries": {"cursors": {"values": [encode_cursor(0), encode_cursor(1)]}},
        "parameters": {"query.cursor": {"dictionary": "cursors"}, "body.webhook_url": NOWHERE},
        "operations": [
            {
                "include-operation-id": "get_screenshots",
                "checks": {"use_after_free": {"enabled": False}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_dict(document(), config=CONFIG)


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    settings = Settings(port=0, strict=True, seed=SEED, api_keys=[KEY])
    with BackgroundServer(settings) as running:
        yield running


def test_every_check_and_phase_is_on():
    """A guard: nobody turns a check or a phase off here without this test noticing."""
    project = schema.config
    for op_id in ("join", "list_events", "get_screenshots"):
        checks = project.checks_config_for(operation=schema.find_operation_by_id(op_id))
        off = [name for name in _BUILTIN_CHECK_CONFIGS if not checks.get_by_name(name=name).enabled]
        assert off == (["use_after_free"] if op_id == "get_screenshots" else []), op_id
    phases = project.phases_for(operation=None)
    names = ("examples", "coverage", "fuzzing", "stateful")
    assert all(phases.get_by_name(name=name).enabled for name in names)
    generation = project.generation_for(operation=None)
    assert {mode.value for mode in generation.modes} == {"positive", "negative"}
    assert generation.deterministic


def test_the_document_is_openapi_json_plus_links():
    """Only the two documented differences: links, and the tuple spelled without prefixItems."""
    original = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
    patched = document()
    for item in patched["paths"].values():
        for operation in item.values():
            operation["responses"].get("200", {}).pop("links", None)
    pair = patched["components"]["schemas"]["ResyncAllResponse"]["properties"]["errors"]
    pair["items"]["prefixItems"] = pair["items"].pop("items")["anyOf"]
    pair["items"]["items"] = False
    assert json.dumps(patched, sort_keys=True) == json.dumps(original, sort_keys=True)


@schema.parametrize()
def test_api(case, server):
    case.call_and_validate(base_url=server.url)


def test_stateful(server):
    machine = schema.as_state_machine()
    # where every step's output goes; the machine files it under "<operation> -> <status>"
    catch_all = Bundle("catch_all")

    class Workflow(machine):  # type: ignore[misc, valid-type]
        """Schemathesis' state machine, with the two creating calls as entry points.

        Its root heuristic takes `zoom_sdk_id`, `oauth_client_id` and `raw_calendar_id`
        for references to resources nothing produces, so it never starts a scenario
        with POST /bots/ or POST /calendars/ - the two calls every link starts from.
        These rules do what its own root rules do: record the case, then step.
        """

        def setup(self) -> None:
            # every scenario starts from the same world, so a replay answers the same
            # (hypothesis replays scenarios to shrink them) and no earlier scenario's
            # bots trip deduplication or rate limits
            MockClient(server.url).reset()

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": server.url}

        def _enter(self, case: schemathesis.Case) -> Any:
            step = StepInput.initial(case)
            self.recorder.record_case(case=case)
            self.control.record_step(step, self.recorder)
            return self._step(step)

        @rule(target=catch_all, case=schema.find_operation_by_id("join").as_strategy())
        def join(self, case: schemathesis.Case) -> Any:
            return self._enter(case)

        @rule(target=catch_all, case=schema.find_operation_by_id("create_calendar").as_strategy())
        def create_calendar(self, case: schemathesis.Case) -> Any:
            return self._enter(case)

    Workflow.run(
        settings=hypothesis.settings(
            max_examples=60,
            stateful_step_count=8,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
