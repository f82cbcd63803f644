"""Shared fixtures. The `mockbaas` and `mockbaas_receiver` fixtures come from the
package's own pytest plugin (mockbaas.testing.plugin), the same ones users get; plain
helpers are in support.py."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from mockbaas.contract import Contract
from mockbaas.testing import MockClient

# Property tests check behaviour, never speed: a busy CI machine must not fail them on
# hypothesis' per-example deadline (speed lives in `make bench`).
settings.register_profile("mockbaas", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mockbaas")


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract.load()


@pytest.fixture
def api(mockbaas: MockClient) -> MockClient:
    return mockbaas
