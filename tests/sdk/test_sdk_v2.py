"""The official TypeScript SDK's v2 client (`@meeting-baas/sdk` 6.0.5, `api_version: "v2"`)
against the mock: every method it has, over loopback, through a real in-process server.

`tests/sdk/driver_v2.js` calls each method once, in an order that gives each call something
to work on. Skipped when `node`/`npm` are not installed (the packages come from the same
`tests/sdk/package.json` as the v1 run).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_sdk import KEY, sdk_dir  # noqa: F401  # the fixture that installs the SDK

from mockbaas.config import Settings
from mockbaas.testing import BackgroundServer, MockClient

V2_METHODS = [
    "createBot",
    "batchCreateBots",
    "listBots",
    "getBotDetails",
    "getBotStatus",
    "getBotScreenshots",
    "leaveBot",
    "deleteBotData",
    "resendFinalWebhook",
    "retryCallback",
    "updateBotConfig",
    "createScheduledBot",
    "batchCreateScheduledBots",
    "listScheduledBots",
    "getScheduledBot",
    "updateScheduledBot",
    "deleteScheduledBot",
    "listRawCalendars",
    "createCalendarConnection",
    "listCalendars",
    "getCalendarDetails",
    "updateCalendarConnection",
    "deleteCalendarConnection",
    "syncCalendar",
    "resubscribeCalendar",
    "listEvents",
    "listEventSeries",
    "getEventDetails",
    "createCalendarBot",
    "updateCalendarBot",
    "deleteCalendarBot",
    "createZoomCredential",
    "listZoomCredentials",
    "getZoomCredential",
    "updateZoomCredential",
    "deleteZoomCredential",
    "getApiKey",
    "getBaseUrl",
]


@pytest.fixture(scope="module")
def server() -> Any:
    with BackgroundServer(Settings(port=0, strict=True)) as running:
        yield running


def test_every_v2_method(sdk_dir: Path, server):  # noqa: F811
    api = MockClient(server.url, api_key=KEY)
    api.reset()
    done = subprocess.run(
        ["node", "driver_v2.js", server.url, KEY],
        cwd=sdk_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    calls = {c["method"]: c for c in made}
    assert sorted(c["method"] for c in made) == sorted(V2_METHODS)  # each once
    failed = {
        m: (c["status"], c["code"], c["message"]) for m, c in calls.items() if not c["success"]
    }
    assert failed == {}

    data = {m: c["data"]["data"] for m, c in calls.items() if c["data"] is not None}
    bot_id = data["createBot"]["bot_id"]
    assert data["getBotDetails"]["bot_id"] == bot_id
    assert data["getBotDetails"]["status"] == "completed"
    assert data["getBotDetails"]["extra"] == {"sdk": "v2"}
    assert data["getBotStatus"]["status"] == "joining_call"
    assert bot_id in [b["bot_id"] for b in data["listBots"]]
    assert data["batchCreateBots"][0]["index"] == 0
    assert data["getScheduledBot"]["bot_name"] == "SDK scheduled"
    assert [e["event_id"] for e in data["createCalendarBot"]] == [
        e["event_id"] for e in data["deleteCalendarBot"]
    ]
    assert data["updateZoomCredential"]["name"] == "SDK app renamed"
    # and no call the SDK made was refused or flagged by the contract
    assert api.requests(violations=True) == []
