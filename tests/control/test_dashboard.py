"""The dashboard over HTTP: its files are served by the mock itself (nothing from
elsewhere, a strict CSP), its snapshot route answers exactly what the rest of the control
API says, and the control API guard applies. The page in a browser:
test_dashboard_browser.py."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockbaas.control import UI_FILES
from mockbaas.control.ui_route import CSP
from mockbaas.testing import MockClient

TOKEN = "dashboard-token"
HOSTILE = '<img src=x onerror="document.title=1">'


def test_the_page_and_its_files_come_from_the_mock_and_nowhere_else(mockbaas):
    html = mockbaas.request("GET", "/_mockbaas/ui")
    assert html.status == 200
    assert html.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<title>mockbaas</title>" in html.body
    linked = re.findall(rb'(?:src|href)="([^"]*)"', html.body)
    assert sorted(linked) == [
        b"/_mockbaas/ui/app.css",
        b"/_mockbaas/ui/app.js",
        b"/_mockbaas/ui/icon.svg",  # else browsers ask the API for /favicon.ico
    ]
    for path, kind in [
        ("app.js", "text/javascript"),
        ("app.css", "text/css"),
        ("icon.svg", "image/svg+xml"),
    ]:
        resp = mockbaas.request("GET", f"/_mockbaas/ui/{path}")
        assert resp.status == 200 and resp.headers["Content-Type"] == f"{kind}; charset=utf-8"
        # the SVG namespace is a name, never fetched; nothing else may point elsewhere
        body = resp.body.replace(b'xmlns="http://www.w3.org/2000/svg"', b"")
        assert not re.search(rb"(?i)\b(?:https?|wss?|ftp):|url\(|@import|//[\w-]+\.[\w.-]", body)
    for resp in (html, mockbaas.request("GET", "/_mockbaas/ui/app.js")):
        assert resp.headers["Content-Security-Policy"] == CSP
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self';" in CSP and "connect-src 'self';" in CSP  # no inline, no CDN
    assert "frame-ancestors 'none'" in CSP  # its buttons cannot be clickjacked
    assert mockbaas.request("GET", "/_mockbaas/ui/other.js").status == 404
    assert mockbaas.requests() == []  # not API traffic


def test_the_page_builds_nodes_never_html_from_strings(mockbaas):
    script = mockbaas.request("GET", "/_mockbaas/ui/app.js").body.decode()
    sinks = ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
             "Function(", "srcdoc", "setTimeout(\"", "javascript:"]  # fmt: skip
    assert [s for s in sinks if s in script] == []
    assert "createTextNode" in script


def test_the_state_is_what_the_control_api_says_at_one_instant(mockbaas, mockbaas_receiver):
    happy = mockbaas.join(webhook_url=mockbaas_receiver.url)
    rejected = mockbaas.join(
        "https://zoom.us/j/5", scenario="rejected", webhook_url=mockbaas_receiver.url
    )
    mockbaas.request("POST", "/bots/", json_body={"meeting_url": 5})  # a contract violation
    mockbaas.advance(30)
    journal = mockbaas._control("GET", "/webhooks")
    state = mockbaas._control("GET", "/ui/state")
    assert state == {
        "clock": mockbaas.clock(),
        "bots": {"total": 2, "items": [mockbaas.bot(happy), mockbaas.bot(rejected)]},
        "deliveries": {"total": len(journal["deliveries"]), "items": journal["deliveries"]},
        "journal": journal["journal"],
        "requests": {"total": 3, "items": mockbaas.requests()},
    }
    assert state["clock"]["now"] == "2025-01-06T09:00:30.000Z"
    assert [b["status"] for b in state["bots"]["items"]] == ["in_call_recording", "bot_rejected"]
    assert [(d["event"], d["state"]) for d in state["deliveries"]["items"]][-1] == (
        "failed",
        "delivered",
    )
    assert [(r["status"], r["violation"]) for r in state["requests"]["items"]] == [
        (200, False),
        (200, False),
        (422, True),
    ]
    assert mockbaas.requests()[-1]["seq"] == 3  # reading the state is not traffic


def test_the_state_keeps_the_latest_items_and_refuses_a_bad_limit(mockbaas):
    bots = [mockbaas.join(f"https://zoom.us/j/{n}") for n in range(3)]
    state = mockbaas._control("GET", "/ui/state", limit=2)
    assert [b["bot_id"] for b in state["bots"]["items"]] == bots[1:]
    assert state["bots"]["total"] == 3
    assert [r["seq"] for r in state["requests"]["items"]] == [2, 3]
    assert state["requests"]["total"] == 3
    padded = mockbaas._control("GET", "/ui/state", limit="0" * 5000 + "1")
    assert [b["bot_id"] for b in padded["bots"]["items"]] == bots[2:]
    for bad in ["0", "1001", "-1", "abc", "", "1.5", "²", "9" * 5000, "0" * 5000]:
        resp = mockbaas.request("GET", "/_mockbaas/ui/state", params={"limit": bad})
        assert resp.status == 400, bad
        assert resp.json()["message"] == "limit: must be an integer from 1 to 1000"


def test_strings_from_callers_come_back_as_json_text(mockbaas):
    bot = mockbaas.join()
    mockbaas.push(bot, "error", error_type="InternalError", error_message=HOSTILE)
    mockbaas.request("GET", "/bots/meeting_data", params={"bot_id": HOSTILE})
    resp = mockbaas.request("GET", "/_mockbaas/ui/state")
    assert resp.headers["Content-Type"].startswith("application/json")
    state = resp.json()
    assert state["bots"]["items"][0]["history"][-1]["error_message"] == HOSTILE
    call = state["requests"]["items"][-1]
    assert call["query"].startswith("bot_id=<img src")
    assert call["error"]["message"] == f'bot_id: {json.dumps(HOSTILE)} is not a "uuid"'


def test_with_a_token_the_files_are_public_and_the_data_is_not(mockbaas_factory):
    served = mockbaas_factory(control_token=TOKEN)
    bare = MockClient(served.url, control_token=None)
    bare.control_token = None
    for path in UI_FILES:
        assert bare.request("GET", path).status == 200, path
    refused = bare.request("GET", "/_mockbaas/ui/state")
    assert refused.status == 401 and refused.json()["error"] == "unauthorized"
    assert bare.request("POST", "/_mockbaas/ui", json_body={}).status == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert bare.request("GET", "/_mockbaas/ui/state", headers=auth).status == 200


@pytest.mark.parametrize("path", ["/_mockbaas/ui", "/_mockbaas/ui/state"])
def test_without_a_token_the_local_only_rules_apply(mockbaas, path):
    rebinding = mockbaas.request("GET", path, headers={"Host": "rebind.attacker.test"})
    assert rebinding.status == 403 and "DNS rebinding" in rebinding.json()["message"]
    cross = mockbaas.request("GET", path, headers={"Origin": "https://attacker.test"})
    assert cross.status == 403 and "cross-site" in cross.json()["message"]


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=st.one_of(st.text(max_size=12), st.integers(-5, 2000).map(str)))
def test_any_limit_is_the_latest_items_or_a_400_never_a_crash(mockbaas, raw):
    resp = mockbaas.request("GET", "/_mockbaas/ui/state", params={"limit": raw})
    valid = raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 1000  # short: int() is safe
    assert resp.status == (200 if valid else 400), raw
    if not valid:
        assert resp.json()["message"] == "limit: must be an integer from 1 to 1000"
