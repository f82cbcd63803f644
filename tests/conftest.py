"""Shared fixtures. The `mockbaas` and `mockbaas_receiver` fixtures come from the
package's own pytest plugin (mockbaas.pytest_plugin), the same ones users get."""

from __future__ import annotations

import pytest

from mockbaas.client import MockClient, Response
from mockbaas.contract import Contract

API_KEY = "test-key"
MEET_URL = "https://meet.google.com/abc-defg-hij"


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
