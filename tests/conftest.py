"""Shared fixtures. The `mockbaas` and `mockbaas_receiver` fixtures come from the
package's own pytest plugin (mockbaas.pytest_plugin), the same ones users get."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from mockbaas.client import MockClient, Response
from mockbaas.contract import Contract

# Property tests check behaviour, never speed: a busy CI machine must not fail them on
# hypothesis' per-example deadline (speed lives in `make bench`).
settings.register_profile("mockbaas", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mockbaas")

API_KEY = "test-key"
MEET_URL = "https://meet.google.com/abc-defg-hij"
#: The smallest valid join request and calendar credentials, shared by the API tests.
JOIN = {"meeting_url": MEET_URL, "bot_name": "Notetaker", "reserved": False}
CREDS = {
    "platform": "Google",
    "oauth_client_id": "id",
    "oauth_client_secret": "secret",
    "oauth_refresh_token": "token",
}


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract.load()


@pytest.fixture
def api(mockbaas: MockClient) -> MockClient:
    return mockbaas


def assert_conforms(contract: Contract, operation_id: str, response: Response) -> None:
    """The response is one openapi.json declares for this operation, body included."""
    problems = contract.response_errors(operation_id, response.status, response.body)
    assert not problems, f"{operation_id} {response.status}: {problems}"
