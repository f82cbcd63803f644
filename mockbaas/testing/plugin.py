"""pytest fixtures: a real mock server in-process, and a webhook receiver.

- `mockbaas`: a `MockClient` on a fresh mock (reset before each test; manual clock). It
  sends the first of `mockbaas_settings.api_keys` when keys are fixed, else "test-key".
- `mockbaas_server`: the session's `BackgroundServer` (its `.mock` is the live world).
- `mockbaas_receiver`: a loopback `WebhookReceiver`, cleared before each test. It outlives
  the server, so the events the mock still holds at the end of the session get their last
  attempt delivered rather than refused.
- `mockbaas_settings`: override it (session scope) to change anything else. Overridden
  in a folder's conftest.py, it gives that folder's tests their own server; the session
  server keeps the settings of the rootdir's.
- `@pytest.mark.mockbaas(**settings)`: this test (or module, or class, via `pytestmark`)
  gets its own server, with these `Settings` fields changed; stopped after the test.
- `mockbaas_factory(**settings)`: a `MockClient` on a new server, stopped after the test.

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

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ..config import Settings
from .client import MockClient
from .receiver import WebhookReceiver
from .server import BackgroundServer

#: The key the `mockbaas` client sends when any non-empty key is an account.
DEFAULT_KEY = "test-key"
#: Media links of the fixture are signed with a fixed secret, so that a test comparing
#: responses across runs sees the same bytes. (`mockbaas serve` draws a random one.)
FIXTURE_MEDIA_SECRET = "mockbaas-pytest-fixture"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockbaas(**settings): run this test on its own mock server, with these "
        "mockbaas.config.Settings fields changed (the session server is untouched)",
    )


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


class _Servers:
    """One server per distinct `mockbaas_settings` object: a folder that overrides the
    fixture gets its own, whatever order the tests run in. Stopped at the session's end."""

    def __init__(self) -> None:
        self.servers: dict[int, BackgroundServer] = {}

    def add(self, server: BackgroundServer) -> BackgroundServer:
        self.servers[id(server.settings)] = server
        return server

    def for_settings(self, settings: Settings) -> BackgroundServer:
        server = self.servers.get(id(settings))
        if server is None or server.settings is not settings:
            server = self.add(BackgroundServer(settings).start())
        return server

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


@pytest.fixture(scope="session")
def _mockbaas_servers(_mockbaas_receiver_session: WebhookReceiver) -> Iterator[_Servers]:
    servers = _Servers()
    yield servers
    servers.stop()


def _client(server: BackgroundServer) -> MockClient:
    keys = server.settings.api_keys
    client = MockClient(
        server.url,
        api_key=keys[0] if keys else DEFAULT_KEY,
        control_token=server.settings.control_token,
    )
    client.server = server  # for tests that want the world
    return client


@pytest.fixture
def mockbaas_factory(
    request: pytest.FixtureRequest, _mockbaas_receiver_session: WebhookReceiver
) -> Iterator[Callable[..., MockClient]]:
    """`mockbaas_factory(**settings)`: a client on a new server whose settings are the
    ones in scope (`mockbaas_settings`) with these fields changed; any free port unless
    `port` is given. Every server it started stops when the test ends."""
    started: list[BackgroundServer] = []

    def make(**changes: Any) -> MockClient:
        base = request.getfixturevalue("mockbaas_settings")
        try:
            settings = dataclasses.replace(base, **{"port": 0, **changes})
        except TypeError as exc:
            fields = ", ".join(f.name for f in dataclasses.fields(Settings))
            raise pytest.UsageError(f"mockbaas: {exc}; Settings fields: {fields}") from None
        started.append(BackgroundServer(settings).start())
        return _client(started[-1])

    yield make
    for server in reversed(started):
        server.stop()


@pytest.fixture
def mockbaas(
    request: pytest.FixtureRequest,
    mockbaas_settings: Settings,
    _mockbaas_servers: _Servers,
) -> MockClient:
    """A client on a freshly reset mock, with a key the server accepts: the test's own
    server under `@pytest.mark.mockbaas(...)`, else the one for the settings in scope."""
    marker = request.node.get_closest_marker("mockbaas")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.mockbaas takes Settings fields as keywords")
        client: MockClient = request.getfixturevalue("mockbaas_factory")(**marker.kwargs)
        return client
    session = request.getfixturevalue("mockbaas_server")
    if session.settings is mockbaas_settings:
        server = _mockbaas_servers.add(session)
    else:
        server = _mockbaas_servers.for_settings(mockbaas_settings)
    client = _client(server)
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
