"""The official TypeScript SDK (`@meeting-baas/sdk` 5.0.10 and 6.0.5, from npm) against
the mock: every v1 method, over loopback, through a real in-process server.

`tests/sdk/driver.js` calls each method once, in an order that gives each call something
to work on, and prints what the SDK returned. Skipped when `node`/`npm` are not installed
(or the packages cannot be installed, e.g. offline).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mockbaas.config import Settings
from mockbaas.testing import BackgroundServer, MockClient

SDK_DIR = Path(__file__).resolve().parent
VERSIONS = {"sdk5": "5.0.10", "sdk6": "6.0.5"}
KEY = "sdk-key"
V1_METHODS = [
    "joinMeeting",
    "getMeetingData",
    "getScreenshots",
    "listBots",
    "retranscribeBot",
    "leaveMeeting",
    "deleteBotData",
    "listRawCalendars",
    "createCalendar",
    "listCalendars",
    "getCalendar",
    "listCalendarEvents",
    "getCalendarEvent",
    "scheduleCalendarRecordEvent",
    "patchBot",
    "unscheduleCalendarRecordEvent",
    "updateCalendar",
    "resyncAllCalendars",
    "deleteCalendar",
    "getWebhookDocumentation",
    "getBotWebhookDocumentation",
    "getCalendarWebhookDocumentation",
]
ZOOM_METHODS = [
    "createZoomOauthConnection",
    "listZoomOauthConnections",
    "getZoomOauthConnection",
    "deleteZoomOauthConnection",
]


def _installed_version(name: str) -> str | None:
    manifest = SDK_DIR / "node_modules" / name / "package.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text())["version"]


@pytest.fixture(scope="module")
def sdk_dir() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed")
    if any(_installed_version(n) != v for n, v in VERSIONS.items()):
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=SDK_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot install the SDK packages: {done.stderr.strip()[-500:]}")
    return SDK_DIR


@pytest.fixture(scope="module")
def server() -> Any:
    with BackgroundServer(Settings(port=0, strict=True)) as running:
        yield running


def run_driver(sdk_dir: Path, name: str, url: str) -> dict[str, dict[str, Any]]:
    done = subprocess.run(
        ["node", "driver.js", name, url, KEY],
        cwd=sdk_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    calls = json.loads(done.stdout)
    methods = [c["method"] for c in calls]
    assert len(methods) == len(set(methods))
    return {c["method"]: c for c in calls}


@pytest.mark.parametrize("name", sorted(VERSIONS))
def test_every_v1_method(sdk_dir, server, name):
    api = MockClient(server.url, api_key=KEY)
    api.reset()
    calls = run_driver(sdk_dir, name, server.url)
    expected = V1_METHODS + (ZOOM_METHODS if name == "sdk6" else [])
    assert sorted(calls) == sorted(expected)
    failed = {m: c["error"] for m, c in calls.items() if not c["success"]}
    assert failed == {}

    data = {m: c["data"] for m, c in calls.items()}
    bot_id = data["joinMeeting"]["bot_id"]
    meeting = data["getMeetingData"]
    assert meeting["bot_data"]["bot"]["uuid"] == bot_id
    assert meeting["bot_data"]["bot"]["bot_name"] == f"SDK {name}"
    assert meeting["bot_data"]["bot"]["extra"] == {"sdk": name}
    assert meeting["duration"] > 0 and meeting["bot_data"]["transcripts"]
    assert meeting["mp4"].startswith(server.url)
    assert data["getScreenshots"] and all(s["url"] for s in data["getScreenshots"])
    assert [b["uuid"] for b in data["listBots"]["bots"]] == [bot_id]
    assert data["retranscribeBot"] in ("", None)  # 202, no body (axios reads "")
    assert data["leaveMeeting"] == {"ok": True}  # already ended: nothing to do
    assert data["deleteBotData"]["ok"] is True
    assert data["deleteBotData"]["status"] == "deleted"

    calendar = data["createCalendar"]["calendar"]
    primary = next(c for c in data["listRawCalendars"]["calendars"] if c["is_primary"])
    assert (calendar["google_id"], calendar["email"]) == (primary["id"], primary["email"])
    assert calendar["status"] == "syncing"  # create answers as the first sync starts
    assert data["listCalendars"] == [{**calendar, "status": "active"}]
    assert data["getCalendar"]["uuid"] == calendar["uuid"]
    event = data["listCalendarEvents"]["data"][0]
    assert data["getCalendarEvent"]["uuid"] == event["uuid"]
    scheduled = data["scheduleCalendarRecordEvent"]
    assert [e["bot_param"]["bot_name"] for e in scheduled] == ["Calendar bot"]
    assert [e["bot_param"]["bot_name"] for e in data["patchBot"]] == ["Renamed calendar bot"]
    assert [e["bot_param"] for e in data["unscheduleCalendarRecordEvent"]] == [None]
    assert data["updateCalendar"]["calendar"]["uuid"] == calendar["uuid"]
    assert data["resyncAllCalendars"] == {"synced_calendars": [calendar["uuid"]], "errors": []}
    assert data["deleteCalendar"] in ("", None)
    assert api.request("GET", "/calendars/").json() == []

    for method in (
        "getWebhookDocumentation",
        "getBotWebhookDocumentation",
        "getCalendarWebhookDocumentation",
    ):
        assert data[method]
    if name == "sdk6":
        made = data["createZoomOauthConnection"]
        assert data["listZoomOauthConnections"] == [made]
        assert data["getZoomOauthConnection"] == made
        assert data["deleteZoomOauthConnection"] in ("", None)
        assert api.request("GET", "/zoom_oauth_connections/").json() == []

    # and no call the SDK made was refused or flagged by the contract
    assert api.requests(violations=True) == []
