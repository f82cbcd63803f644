"""pytest fixtures: a real mock server in-process, and a webhook receiver.

- `mockbaas`: a `MockClient` on a fresh mock (reset before each test; manual clock).
- `mockbaas_server`: the session's `BackgroundServer` (its `.mock` is the live world).
- `mockbaas_receiver`: a loopback `WebhookReceiver`, cleared before each test.
- `mockbaas_settings`: override it (session scope) to change seed, scenarios, etc.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .client import MockClient
from .config import Settings
from .receiver import WebhookReceiver
from .server import BackgroundServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockbaas")
    group.addoption("--mockbaas-seed", type=int, default=0, help="seed of the mockbaas fixture")


@pytest.fixture(scope="session")
def mockbaas_settings(request: pytest.FixtureRequest) -> Settings:
    return Settings(port=0, seed=request.config.getoption("--mockbaas-seed"), strict=True)


@pytest.fixture(scope="session")
def mockbaas_server(mockbaas_settings: Settings) -> Iterator[BackgroundServer]:
    server = BackgroundServer(mockbaas_settings).start()
    yield server
    server.stop()


@pytest.fixture
def mockbaas(mockbaas_server: BackgroundServer) -> MockClient:
    client = MockClient(mockbaas_server.url)
    client.reset()
    return client


@pytest.fixture(scope="session")
def _mockbaas_receiver_session() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def mockbaas_receiver(_mockbaas_receiver_session: WebhookReceiver) -> WebhookReceiver:
    _mockbaas_receiver_session.clear()
    return _mockbaas_receiver_session
