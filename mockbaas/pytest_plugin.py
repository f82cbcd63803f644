"""pytest fixtures: a real mock server in-process, and a webhook receiver.

- `mockbaas`: a `MockClient` on a fresh mock (reset before each test; manual clock).
- `mockbaas_server`: the session's `BackgroundServer` (its `.mock` is the live world).
- `mockbaas_receiver`: a loopback `WebhookReceiver`, cleared before each test.
- `mockbaas_settings`: override it (session scope) to change anything else.

Configuration without code: `--mockbaas-seed N` on the command line, and the ini keys
`mockbaas_seed` and `mockbaas_scenarios` (folders of scenario files, relative to the
rootdir, one per line).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .client import MockClient
from .config import Settings
from .receiver import WebhookReceiver
from .server import BackgroundServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockbaas")
    group.addoption("--mockbaas-seed", type=int, default=None, help="seed of the mockbaas fixture")
    parser.addini("mockbaas_seed", "seed of the mockbaas fixture", default="0")
    parser.addini(
        "mockbaas_scenarios", "folders of extra scenario files (rootdir-relative)", type="paths"
    )


@pytest.fixture(scope="session")
def mockbaas_settings(request: pytest.FixtureRequest) -> Settings:
    """Manual clock, strict responses, any free loopback port."""
    config = request.config
    seed = config.getoption("--mockbaas-seed")
    if seed is None:
        seed = int(config.getini("mockbaas_seed"))
    dirs = [Path(p) for p in config.getini("mockbaas_scenarios")]
    return Settings(port=0, seed=seed, strict=True, scenario_dirs=dirs)


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
