"""What tests share besides fixtures: request bodies, credentials, contract assertions.
(Fixtures live in conftest.py; a test imports plain helpers from here.)"""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mockbaas.contract import Contract
from mockbaas.testing import MockClient, Response

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
