"""What tests share besides fixtures: request bodies, credentials, contract assertions.
(Fixtures live in conftest.py; a test imports plain helpers from here.)"""

from __future__ import annotations

from mockbaas.client import Response
from mockbaas.contract import Contract

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


def assert_conforms(contract: Contract, operation_id: str, response: Response) -> None:
    """The response is one openapi.json declares for this operation, body included."""
    problems = contract.response_errors(operation_id, response.status, response.body)
    assert not problems, f"{operation_id} {response.status}: {problems}"
