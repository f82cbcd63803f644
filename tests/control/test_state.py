"""State that survives a restart (`--state FILE`), and id epochs without it.

In process: a world stopped half-way and loaded again answers exactly what the same world
would have answered had it never stopped. Over a real `mockbaas serve` process: SIGTERM,
restart with the same file, same bots, clock and journal, and the pending webhook is
delivered with its delivery id; a file it cannot load is refused; without `--state`,
restarts never repeat an id.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support import CREDS, MEET_URL, serve_process

from mockbaas import state
from mockbaas.clock import REALTIME, to_ms
from mockbaas.config import Settings
from mockbaas.core import MockBaaS
from mockbaas.testing import BackgroundServer, MockClient, WebhookReceiver
from mockbaas.webhooks import Faults

ZOOM_URL = "https://us02web.zoom.us/j/81234567890"
Transcript = list[tuple[str, int, bytes]]


# -- in process: stop half-way, load, go on ---------------------------------------------------
class Script:
    """Records every answer, settling timers after each call (as test_determinism does)."""

    def __init__(self, api: MockClient) -> None:
        self.api = api
        self.seen: Transcript = []

    def call(self, label: str, method: str, path: str, **kw: Any) -> Any:
        resp = self.api.request(method, path, **kw)
        self.seen.append((label, resp.status, resp.body))
        self.api.clock()
        return resp.json() if resp.body else None

    def control(self, label: str, method: str, path: str, body: Any = None) -> Any:
        result = self.api._control(method, path, body)
        self.seen.append((label, 200, json.dumps(result, sort_keys=True).encode()))
        return result


def first_half(s: Script, hook: str, receiver: WebhookReceiver) -> dict[str, str]:
    """Leave every kind of timer pending: plan steps, a waiting-room timeout, a reserved
    join, processing before `complete`, a retranscription, a calendar bot, webhooks
    waiting for a retry."""
    join = {"meeting_url": MEET_URL, "bot_name": "Notes", "reserved": False}
    done = s.call("done", "POST", "/bots/", json_body=join | {"speech_to_text": "Default"})
    s.call("account hook", "POST", "/accounts/webhook_url", json_body={"webhook_url": hook})
    s.control("advance 5", "POST", "/clock/advance", {"seconds": 5})
    s.call("leave done", "DELETE", f"/bots/{done['bot_id']}")
    s.control("advance 10", "POST", "/clock/advance", {"seconds": 10})
    s.call("retranscribe", "POST", "/bots/retranscribe", json_body={"bot_uuid": done["bot_id"]})
    waiting = s.call(
        "waiting",
        "POST",
        "/bots/",
        json_body=join
        | {"meeting_url": ZOOM_URL, "extra": {"mockbaas_scenario": "waiting_room_timeout"}},
    )
    live = s.call(
        "live", "POST", "/bots/", json_body=join | {"meeting_url": MEET_URL + "-x", "extra": {}}
    )
    s.call("reserved", "POST", "/bots/", json_body=join | {"reserved": True, "bot_name": "R"})
    calendar = s.call("calendar", "POST", "/calendars/", json_body=CREDS)["calendar"]
    provider = f"/provider/accounts/{calendar['email']}"
    series = {"name": "Series", "start_time": "2025-01-08T10:00:00Z", "recurrence": {"count": 3}}
    made = s.control("provider series", "POST", f"{provider}/events", series)
    s.control("provider exception", "DELETE", f"{provider}/events/{made['event']['instances'][1]}")
    s.control("provider failing", "POST", f"{provider}/failures", {"count": 1, "message": "down"})
    events = s.call("events", "GET", "/calendar_events/", params={"calendar_id": calendar["uuid"]})
    s.call(
        "schedule",
        "POST",
        f"/calendar_events/{events['data'][0]['uuid']}/bot",
        json_body={"bot_name": "Cal"},
    )
    zoom = {
        "authorization_code": "code-1",
        "redirect_uri": "https://app.example.com/zoom/callback",
        "zoom_client_id": "zoom-client",
        "zoom_client_secret": "zoom-secret",
    }
    s.call("zoom", "POST", "/zoom_oauth_connections/", json_body=zoom)
    s.control("advance 20", "POST", "/clock/advance", {"seconds": 20})
    receiver.go_down()
    ending = s.call("ending", "POST", "/bots/", json_body=join | {"meeting_url": ZOOM_URL + "1"})
    s.control("advance 30", "POST", "/clock/advance", {"seconds": 30})
    s.call("leave ending", "DELETE", f"/bots/{ending['bot_id']}")
    s.control("advance 1", "POST", "/clock/advance", {"seconds": 1})
    return {"done": done["bot_id"], "waiting": waiting["bot_id"], "live": live["bot_id"]}


def second_half(s: Script, receiver: WebhookReceiver, calendar_id: str) -> None:
    receiver.come_back()
    join = {"meeting_url": MEET_URL + "-new", "bot_name": "New", "reserved": False}
    s.call("new bot", "POST", "/bots/", json_body=join | {"speech_to_text": "Default"})
    for seconds in (2, 30, 600, 86_400):
        s.control(f"advance {seconds}", "POST", "/clock/advance", {"seconds": seconds})
    s.call("listing", "GET", "/bots/bots_with_metadata", params={"limit": 50})
    # the provider account and the calendar's mirror came through the restart whole
    email = s.call("calendar", "GET", f"/calendars/{calendar_id}")["email"]
    view = s.control("provider view", "GET", f"/provider/accounts/{email}")
    first = view["calendars"][0]["events"][0]["id"]
    s.control(
        "provider rename", "PATCH", f"/provider/accounts/{email}/events/{first}", {"name": "R"}
    )
    s.call("resync", "POST", "/calendars/resync_all")
    # the rename's and the resync's posts have their answers before anything is compared
    s.control("settle", "POST", "/clock/advance", {"seconds": 0})
    s.call("calendar after", "GET", f"/calendars/{calendar_id}")
    s.call("events", "GET", "/calendar_events/", params={"calendar_id": calendar_id})
    s.call("zoom", "GET", "/zoom_oauth_connections/")
    reused = {
        "authorization_code": "code-1",  # single-use, before and after the restart
        "redirect_uri": "https://app.example.com/zoom/callback",
        "zoom_client_id": "zoom-client",
        "zoom_client_secret": "zoom-secret",
    }
    s.call("zoom code again", "POST", "/zoom_oauth_connections/", json_body=reused)
    s.control("bots", "GET", "/bots")
    s.control("journal", "GET", "/webhooks")
    s.control("clock", "GET", "/clock")
    s.control("requests", "GET", "/requests")


def views(api: MockClient) -> dict[str, Any]:
    """Everything the control API shows (reads that change nothing)."""
    bots = api._control("GET", "/bots")
    return {
        "bots": bots,
        "each": [api.bot(b["bot_id"]) for b in bots["bots"]],
        "journal": api._control("GET", "/webhooks"),
        "clock": api.clock(),
        "requests": api._control("GET", "/requests"),
        "faults": api._control("GET", "/webhooks/faults"),
    }


def settings(path: Path | None, faults: Faults) -> Settings:
    return Settings(
        port=0,
        strict=True,
        seed=42,
        public_url="http://mockbaas.test",
        webhook_schedule=(30, 30, 30),
        faults=faults,
        state_file=path,
        media_secret="state-tests",  # the uninterrupted world and the restarted one sign alike
    )


def by_subject(posts: list[tuple[str, bytes]]) -> dict[str, list[str]]:
    """Delivery ids in arrival order, per bot or calendar."""
    order: dict[str, list[str]] = {}
    for delivery_id, body in posts:
        data = json.loads(body)["data"]
        order.setdefault(data.get("bot_id") or data.get("calendar_id") or "", []).append(
            delivery_id
        )
    return order


@pytest.mark.parametrize(
    "faults", [Faults(), Faults(out_of_order=True)], ids=["in_order", "out_of_order"]
)
def test_a_restarted_world_goes_on_as_if_it_never_stopped(tmp_path, faults):
    path = tmp_path / "world.json"
    with WebhookReceiver() as receiver:
        # the world that never stops
        with BackgroundServer(settings(None, faults)) as server:
            s = Script(MockClient(server.url))
            first_half(s, receiver.url, receiver)
            calendar_id = s.api.request("GET", "/calendars/").json()[0]["uuid"]
            uninterrupted = Script(s.api)
            posts_before = len(receiver.received)
            second_half(uninterrupted, receiver, calendar_id)
            posts_uninterrupted = [
                (r.headers["x-mockbaas-delivery-id"], r.body)
                for r in receiver.received[posts_before:]
            ]
        receiver.clear()

        # the same world, stopped (saved) half-way and loaded by a new server
        with BackgroundServer(settings(path, faults)) as server:
            s = Script(MockClient(server.url))
            ids = first_half(s, receiver.url, receiver)
            s.api.request("GET", "/calendars/")
            before = views(s.api)
        saved = json.loads(path.read_bytes())
        assert saved["format"] == state.FORMAT and saved["seed"] == 42
        pending = [d for d in before["journal"]["deliveries"] if d["state"] == "pending"]
        assert pending, "the test must leave webhooks waiting for a retry"
        with BackgroundServer(settings(path, faults)) as server:
            api = MockClient(server.url)
            assert views(api) == before  # same bots, histories, pending timers, journal, clock
            assert {p["status"] for b in before["each"] for p in b["pending"]} >= {"timeout"}
            assert api.bot(ids["waiting"])["status"] == "in_waiting_room"
            restarted = Script(api)
            posts_before = len(receiver.received)
            second_half(restarted, receiver, calendar_id)
            posts_restarted = [
                (r.headers["x-mockbaas-delivery-id"], r.body)
                for r in receiver.received[posts_before:]
            ]
    assert [label for label, _, _ in restarted.seen] == [
        label for label, _, _ in uninterrupted.seen
    ]
    for (label, status_a, body_a), (_, status_b, body_b) in zip(
        uninterrupted.seen, restarted.seen, strict=True
    ):
        assert (label, status_a, body_a) == (label, status_b, body_b)
    # the webhooks pending at the stop reached the receiver afterwards, same ids, same bytes,
    # each subject's in the same order (subjects are posted concurrently: their interleaving
    # at the receiver is not part of the promise)
    assert sorted(posts_restarted) == sorted(posts_uninterrupted)
    assert by_subject(posts_restarted) == by_subject(posts_uninterrupted)
    assert {d["id"] for d in pending} <= {delivery_id for delivery_id, _ in posts_restarted}


def test_a_reset_with_state_starts_an_empty_world_that_is_saved(tmp_path):
    path = tmp_path / "world.json"
    with BackgroundServer(settings(path, Faults())) as server:
        api = MockClient(server.url)
        api.join(MEET_URL)
        api.reset()
    assert json.loads(path.read_bytes())["bots"] == []


# -- over a real process ----------------------------------------------------------------------
@contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen[str], MockClient]]:
    """`mockbaas serve --port 0 --clock manual ARGS`; the port is read from its banner."""
    with serve_process("--clock", "manual", *args) as (proc, url):
        yield proc, MockClient(url, api_key="state-key")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def test_kill_term_then_restart_continues_bots_clock_and_journal(tmp_path):
    path = tmp_path / "mock-state.json"
    flags = ("--state", str(path), "--seed", "3", "--webhook-retry-schedule", "100,100")
    with WebhookReceiver() as receiver:
        receiver.go_down()  # every attempt before the restart fails
        with serving(*flags, "--webhook-url", receiver.url) as (proc, api):
            first = api.join(MEET_URL, speech_to_text={"provider": "Default"})
            second = api.join(ZOOM_URL, scenario="waiting_room_timeout")
            api.advance(50)
            before = views(api)
            stop(proc)
        assert receiver.received, "the first attempts were made (and failed)"
        pending = [d for d in before["journal"]["deliveries"] if d["state"] == "pending"]
        head = pending[0]
        assert head["attempts"][0]["error"] == "answered HTTP 503 (not 2xx)"
        assert head["next_attempt_at"] is not None
        receiver.clear()  # up again

        with serving(*flags, "--webhook-url", receiver.url) as (proc, api):
            after = views(api)
            assert after == before
            assert api.bot(first)["status"] == "in_call_recording"
            assert api.statuses(second) == ["joining_call", "in_waiting_room"]
            assert not receiver.received  # nothing is sent before its retry is due
            api.advance(100)
            got = [r for r in receiver.received if r.delivery_id == head["id"]]
            assert got and got[0].headers["x-mockbaas-attempt"] == "2"
            assert got[0].json() == head["payload"]
            assert api.webhooks()[0]["state"] == "delivered"
            api.advance(3600)
            assert api.bot(first)["outcome"] == "complete"
            assert api.statuses(second)[-1] == "waiting_room_timeout"
            new_bot = api.join(MEET_URL + "-later")
            stop(proc)
    assert new_bot not in (first, second)
    saved = json.loads(path.read_bytes())
    assert [b["uuid"] for b in saved["bots"]] == [first, second, new_bot]


def test_media_links_issued_before_a_restart_still_open_after_it(tmp_path):
    path = tmp_path / "world.json"
    drawn = Settings(port=0, strict=True, state_file=path)  # no media secret: a random key
    with BackgroundServer(drawn) as server:
        api = MockClient(server.url)
        bot = api.join(MEET_URL)
        api.advance(3600)
        link = api.request("GET", "/bots/meeting_data", params={"bot_id": bot}).json()["mp4"]
        assert MockClient(link).request("GET", "").status == 200
    with BackgroundServer(Settings(port=0, strict=True, state_file=path)) as server:
        moved = link.replace(link.split("/_mockbaas")[0], server.url)  # same path, new port
        assert MockClient(moved).request("GET", "").status == 200
        forged = moved.replace("X-Amz-Signature=", "X-Amz-Signature=0")
        assert MockClient(forged).request("GET", "").status == 403


def refused(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockbaas", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not a readable state file"),
        (b"", "is not a readable state file"),
        (b'{"hello": 1}', "is not a mockbaas state file"),
        (b'{"kind": "mockbaas-state", "format": 99, "seed": 0, "epoch": 1}', "state format 99"),
        (b'{"kind": "mockbaas-state", "format": 1, "seed": 5, "epoch": 1}', "--seed 5"),
        (b'{"kind": "mockbaas-state", "format": 1, "seed": 0, "epoch": 1}', "is damaged"),
    ],
    ids=["corrupt", "empty", "foreign", "unknown_format", "other_seed", "truncated"],
)
def test_a_state_file_that_cannot_be_loaded_is_refused(tmp_path, content, message):
    path = tmp_path / "state.json"
    path.write_bytes(content)
    result = refused("--state", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"mockbaas: {path}")
    assert message in result.stderr
    assert path.read_bytes() == content  # never overwritten


def test_a_state_file_in_a_missing_folder_is_refused(tmp_path):
    result = refused("--state", str(tmp_path / "nowhere" / "state.json"))
    assert result.returncode == 2 and "no folder" in result.stderr


def test_an_explicit_other_epoch_is_refused(tmp_path):
    path = tmp_path / "state.json"
    with serving("--state", str(path), "--epoch", "7") as (proc, _):
        stop(proc)
    result = refused("--state", str(path), "--deterministic")
    assert result.returncode == 2 and "epoch 7" in result.stderr
    with serving("--state", str(path)) as (proc, api):  # no flag: the file's epoch
        assert api.request("GET", "/_mockbaas/health").status == 200
        stop(proc)


def ids_of_one_run(*flags: str) -> tuple[str, str]:
    with serving(*flags) as (proc, api):
        bot = api.join(MEET_URL)
        delivery = api.webhooks(bot_id=bot)[0]["id"]
        stop(proc)
    return bot, delivery


def test_without_state_a_restart_never_repeats_an_id():
    runs = [ids_of_one_run() for _ in range(2)]
    assert runs[0][0] != runs[1][0]  # bot ids
    assert runs[0][1] != runs[1][1]  # webhook delivery ids


def test_deterministic_and_epoch_replay_the_same_ids():
    assert ids_of_one_run("--deterministic") == ids_of_one_run("--deterministic")
    assert ids_of_one_run("--epoch", "12345") == ids_of_one_run("--epoch", "12345")
    # epoch 0 is the fixture's: the bot id the README shows for seed 0
    assert ids_of_one_run("--deterministic")[0] == "e3e70682-c209-4cac-a29f-6fbed82c07cd"


def test_a_bot_whose_scenario_is_not_loaded_is_refused(tmp_path):
    path = tmp_path / "world.json"
    with BackgroundServer(settings(path, Faults())) as server:
        MockClient(server.url).join(MEET_URL, scenario="rejected")
    saved = json.loads(path.read_bytes())
    saved["bots"][0]["scenario"] = "only_in_my_folder"
    path.write_text(json.dumps(saved))
    with pytest.raises(state.StateError, match="'only_in_my_folder'.*--scenarios"):
        MockBaaS(settings(path, Faults()))


def test_the_realtime_clock_resumes_where_it_stopped(tmp_path):
    """Not at the wall clock: the time the mock was down does not count."""
    path = tmp_path / "world.json"
    future = datetime(2031, 5, 1, tzinfo=UTC)
    realtime = Settings(port=0, clock=REALTIME, start_time=future, state_file=path)
    with BackgroundServer(realtime) as server:
        bot = MockClient(server.url).join(MEET_URL)
    saved = json.loads(path.read_bytes())["clock"]["now_ms"]
    assert saved >= to_ms(future)
    again = Settings(port=0, clock=REALTIME, state_file=path)  # no start time: would be now
    with BackgroundServer(again) as server:
        api = MockClient(server.url)
        assert saved <= api.clock()["now_ms"] < saved + 86_400_000
        assert api.bot(bot)["history"][0]["code"] == "joining_call"
