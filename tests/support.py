"""What tests share besides fixtures: request bodies, credentials, contract assertions.
(Fixtures live in conftest.py; a test imports plain helpers from here.)"""

from __future__ import annotations

import json
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock as patching

import pytest

from mockbaas.contract import Contract
from mockbaas.testing import MockClient, Received, Response

#: the project's top folder (tests live in rooms one level down: tests/<room>/test_*.py)
ROOT = Path(__file__).resolve().parent.parent

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


@contextmanager
def serve_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`mockbaas serve --port 0 ARGS` as its own process: (the process, its URL read from the
    banner). Killed on the way out if it is still running."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockbaas", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    url = None
    try:
        while url is None:  # a bound on waiting, not an assertion on time
            found = re.search(r"listening on (http://127\.0\.0\.1:(\d+))", lines.get(timeout=30))
            if found:
                assert found.group(2) != "0"
                url = found.group(1)
    except queue.Empty:
        proc.kill()
        pytest.fail(f"mockbaas serve did not start: {proc.communicate()}")
    try:
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def checked_call(
    api: MockClient, contract: Contract, op: str, method: str, path: str, **kw: Any
) -> Response:
    """`api.request`, with the answer checked against `contract` for operation `op`."""
    response = api.request(method, path, **kw)
    problems = contract.response_errors(op, response.status, response.body)
    assert not problems, f"{op} {response.status}: {problems}"
    return response


#: `svix_verify` swaps a module global of the verifier; receivers verify in worker threads
#: (one per concurrent post), and two overlapping swaps would leave the fake clock behind
_VERIFIER_CLOCK = threading.Lock()


def svix_verify(secret: str, received: Received) -> Any:
    """What a Svix-verifying receiver does. The mock signs with its virtual time, so the
    verifier's replay window is checked against that time, not this machine's."""
    import standardwebhooks
    from standardwebhooks import webhooks as swh

    headers = {
        "webhook-id": received.headers["svix-id"],
        "webhook-timestamp": received.headers["svix-timestamp"],
        "webhook-signature": received.headers["svix-signature"],
    }
    moment = datetime.fromtimestamp(int(received.headers["svix-timestamp"]), tz=UTC)
    with _VERIFIER_CLOCK, patching.patch.object(swh, "datetime", wraps=datetime) as clock:
        clock.now.return_value = moment
        return standardwebhooks.Webhook(secret).verify(received.body, headers)


def per_subject(bodies: list[bytes]) -> dict[str, list[bytes]]:
    """Webhook bodies in arrival order, per bot or calendar: the order the mock promises
    (posts to different subjects run concurrently, so their interleaving is not)."""
    order: dict[str, list[bytes]] = {}
    for body in bodies:
        data = json.loads(body)["data"]
        order.setdefault(data.get("bot_id") or data.get("calendar_id") or "", []).append(body)
    return order
