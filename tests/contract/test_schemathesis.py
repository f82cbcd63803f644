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
- The document and the shared configuration come from `mockbaas.suites.schemathesis_config`, the
  same ones `mockbaas contract api` hands to schemathesis: cursors drawn from issued
  ones, a 422 accepted where a generated webhook URL meets the mock's target policy
  (it refuses every non-loopback one, never dials it), and the resync error pair spelled
  without `prefixItems` (schemathesis issue #3842). The links between operations that
  the stateful phase follows are part of openapi.json itself.
- `use_after_free` is off for GET /bots/{uuid}/screenshots only (in the shared
  configuration, so `contract api` agrees): DELETE /bots/{uuid} means "leave the meeting"
  in the Meeting BaaS API (upstream's design), not "delete the bot"; the bot, its
  recording and its screenshots stay readable after it left.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis.stateful import Bundle, rule
from schemathesis.config._checks import _BUILTIN_CHECK_CONFIGS
from schemathesis.generation.stateful.state_machine import StepInput
from support import ROOT

from mockbaas.config import Settings
from mockbaas.suites.schemathesis_config import schemathesis_config, schemathesis_document
from mockbaas.testing import BackgroundServer, MockClient

#: long runs (fuzzing, many examples, benchmarks): `pytest -m "not slow"` skips them
pytestmark = pytest.mark.slow

KEY = "schemathesis-key"
SEED = 20250106
MAX_EXAMPLES = 25


CONFIG = schemathesis.Config.from_dict(schemathesis_config(KEY, SEED, MAX_EXAMPLES))
schema = schemathesis.openapi.from_dict(schemathesis_document(), config=CONFIG)


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


def test_the_document_is_openapi_json_but_for_the_tuple():
    """The one documented difference: the resync error pair without prefixItems."""
    original = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
    patched = schemathesis_document()
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
