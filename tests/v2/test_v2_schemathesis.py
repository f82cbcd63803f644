"""Schemathesis on the v2 surface, with openapi-v2.json and every check it has.

The same shared configuration as v1 (`mockbaas.suites.schemathesis_config`): a fixed key set (so a
made-up key is a 401), derandomized, positive and negative data. Callback URLs in
generated bodies are pinned to a dead loopback port, like v1's webhook URLs: a fuzzed
bot must never make the mock dial a host on the internet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis.config._checks import _BUILTIN_CHECK_CONFIGS

from mockbaas.config import Settings
from mockbaas.suites.schemathesis_config import (
    NOWHERE,
    schemathesis_config_v2,
    schemathesis_document_v2,
)
from mockbaas.testing import BackgroundServer

#: long runs (fuzzing, many examples, benchmarks): `pytest -m "not slow"` skips them
pytestmark = pytest.mark.slow

KEY = "schemathesis-key"
SEED = 20251201

CONFIG = schemathesis.Config.from_dict(schemathesis_config_v2(KEY, SEED, 25))
schema = schemathesis.openapi.from_dict(schemathesis_document_v2(), config=CONFIG)


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(Settings(port=0, strict=True, seed=SEED, api_keys=[KEY])) as running:
        yield running


def test_callback_urls_are_pinned_to_loopback():
    doc = json.dumps(schemathesis_document_v2())
    assert '"format": "uri"}, "secret"' not in doc
    assert doc.count(NOWHERE) >= 2


def test_every_check_is_on():
    for op_id in ("createBot", "listBots", "getBotScreenshots"):
        checks = schema.config.checks_config_for(operation=schema.find_operation_by_id(op_id))
        assert [n for n in _BUILTIN_CHECK_CONFIGS if not checks.get_by_name(name=n).enabled] == []
    generation = schema.config.generation_for(operation=None)
    assert {mode.value for mode in generation.modes} == {"positive", "negative"}


@schema.parametrize()
def test_api_v2(case, server):
    case.call_and_validate(base_url=server.url)
