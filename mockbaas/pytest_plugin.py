"""pytest fixtures: a real mock server in-process, and a webhook receiver.

- `mockbaas`: a `MockClient` on a fresh mock (reset before each test; manual clock). It
  sends the first of `mockbaas_settings.api_keys` when keys are fixed, else "test-key".
- `mockbaas_server`: the session's `BackgroundServer` (its `.mock` is the live world).
- `mockbaas_receiver`: a loopback `WebhookReceiver`, cleared before each test. It outlives
  the server, so the events the mock still holds at the end of the session get their last
  attempt delivered rather than refused.
- `mockbaas_settings`: override it (session scope) to change anything else.

Configuration without code: `--mockbaas-seed N` on the command line, and the ini keys
`mockbaas_seed` and `mockbaas_scenarios` (folders of scenario files, relative to the
rootdir, one per line).

Overriding the settings, in your conftest.py. Start from `port=0` (any free port; a plain
`Settings()` listens on 8080, like `mockbaas serve`) and `strict=True` (the default
fixture's: a response the contract refuses is a mock bug, answered 500)::

    import pytest
    from mockbaas.config import Settings

    @pytest.fixture(scope="session")
    def mockbaas_settings():
        return Settings(port=0, strict=True, api_keys=["my-key"],
                        webhook_schedule=(1, 1))
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .client import MockClient
from .config import Settings
from .receiver import WebhookReceiver
from .server import BackgroundServer

#: The key the `mockbaas` client sends when any non-empty key is an account.
DEFAULT_KEY = "test-key"
#: Media links of the fixture are signed with a fixed secret, so that a test comparing
#: responses across runs sees the same bytes. (`mockbaas serve` draws a random one.)
FIXTURE_MEDIA_SECRET = "mockbaas-pytest-fixture"


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
    return Settings(
        port=0, seed=seed, strict=True, scenario_dirs=dirs, media_secret=FIXTURE_MEDIA_SECRET
    )


@pytest.fixture(scope="session")
def mockbaas_server(
    mockbaas_settings: Settings, _mockbaas_receiver_session: WebhookReceiver
) -> Iterator[BackgroundServer]:
    """The session's server. It depends on the receiver only so that the receiver is torn
    down after it: stopping the server drains pending webhooks, which need a listener."""
    allow = mockbaas_settings.webhook_allow
    if allow and _mockbaas_receiver_session.host not in allow:
        allow.append(_mockbaas_receiver_session.host)  # a narrowed allow-list keeps ours
    server = BackgroundServer(mockbaas_settings).start()
    yield server
    server.stop()


@pytest.fixture
def mockbaas(mockbaas_server: BackgroundServer) -> MockClient:
    """A client on a freshly reset mock, with a key the server accepts."""
    settings = mockbaas_server.settings
    keys = settings.api_keys
    client = MockClient(
        mockbaas_server.url,
        api_key=keys[0] if keys else DEFAULT_KEY,
        control_token=settings.control_token,
    )
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
