"""Shared fixtures. The `mockbaas` and `mockbaas_receiver` fixtures come from the
package's own pytest plugin (mockbaas.testing.plugin), the same ones users get; plain
helpers are in support.py."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from mockbaas.contract import Contract
from mockbaas.testing import MockClient
from mockbaas.webhooks.dispatcher import WebhookDispatcher

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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--webhook-jitter",
        type=float,
        default=0.0,
        metavar="MS",
        help="hold every webhook post of the in-process servers a random 0..MS real "
        "milliseconds (seeded), so posts to different subjects arrive in other orders: "
        "shakes out tests that rely on an interleaving the mock does not promise",
    )


@pytest.fixture(scope="session", autouse=True)
def webhook_jitter(request: pytest.FixtureRequest) -> Iterator[None]:
    limit = request.config.getoption("--webhook-jitter") / 1000
    if limit <= 0:
        yield
        return
    post = WebhookDispatcher._post
    rng = random.Random(f"jitter {limit}")

    async def jittered(self: WebhookDispatcher, *args: Any) -> Any:
        await asyncio.sleep(rng.random() * limit)
        return await post(self, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WebhookDispatcher, "_post", jittered)
        yield
