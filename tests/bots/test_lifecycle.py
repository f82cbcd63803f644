"""Bots living their lives over HTTP: every built-in scenario end to end, the documented
rules (timeouts, reserved/start_time, DELETE, deduplication, invalid URLs), coverage of
every status/error/end reason, and determinism across fresh servers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from support import MEET_URL, assert_conforms

from mockbaas.bots import lifecycle as lc
from mockbaas.clock import DEFAULT_START, iso, to_ms
from mockbaas.config import Settings
from mockbaas.scenarios import BUILTIN_DIR, parse
from mockbaas.testing import BackgroundServer, MockClient

T0 = to_ms(DEFAULT_START)
DAY = 24 * 3600


def at(seconds: float) -> str:
    """The ISO time `seconds` after the virtual epoch of a fresh manual server."""
    return iso(T0 + int(round(seconds * 1000)))


def now_s(api: MockClient) -> float:
    return (api.clock()["now_ms"] - T0) / 1000


def advance_to(api: MockClient, seconds: float) -> None:
    """Advance to an absolute virtual offset (never backwards)."""
    step = round(seconds - now_s(api), 3)
    assert step >= 0, f"cannot go back to {seconds} from {now_s(api)}"
    api.advance(step)


@dataclass
class Walk:
    """What one built-in scenario must do, joined at t=0 with no options."""

    steps: list[tuple[Any, ...]]  # (code, seconds) or (code, seconds, {extra fields})
    outcome: str
    final_at: float  # when complete/failed is emitted
    duration: int
    error_type: str | None = None
    end_reason: str | None = None
    message: str | None = None
    # a scenario that never ends by itself: how the test ends it (after the steps)
    script: Callable[[MockClient, str], None] | None = None


def _delete_at_3600(api: MockClient, bot_id: str) -> None:
    api.advance(3600 - now_s(api))
    assert api.statuses(bot_id)[-1] == "in_call_recording"
    assert [d["event"] for d in api.webhooks(bot_id=bot_id)][-1] == "bot.status_change"
    assert api.request("DELETE", f"/bots/{bot_id}").json() == {"ok": True}


REC = "in_call_recording"
EXPECTED: dict[str, Walk] = {
    "happy_path": Walk(
        [
            ("joining_call", 0),
            ("in_call_not_recording", 8),
            (REC, 10),
            ("call_ended", 1810, {"end_reason": "no_attendees"}),
        ],
        "complete",
        1815,
        1800,
        end_reason="no_attendees",
    ),
    "waiting_room_admitted": Walk(
        [
            ("joining_call", 0),
            ("in_waiting_room", 5),
            ("in_call_not_recording", 50),
            (REC, 52),
            ("call_ended", 1252, {"end_reason": "no_attendees"}),
        ],
        "complete",
        1257,
        1200,
        end_reason="no_attendees",
    ),
    "waiting_room_timeout": Walk(
        [("joining_call", 0), ("in_waiting_room", 5), ("waiting_room_timeout", 605)],
        "failed",
        605,
        0,
        error_type="TimeoutWaitingToStart",
        message="The bot has quit after waiting to be accepted.",
    ),
    "rejected": Walk(
        [("joining_call", 0), ("in_waiting_room", 5), ("bot_rejected", 25)],
        "failed",
        25,
        0,
        error_type="BotNotAccepted",
        message="The bot has been refused in the meeting.",
    ),
    "removed_by_participant": Walk(
        [
            ("joining_call", 0),
            ("in_call_not_recording", 8),
            (REC, 10),
            ("bot_removed", 610),
            ("call_ended", 610, {"end_reason": "bot_removed"}),
        ],
        "complete",
        615,
        600,
        end_reason="bot_removed",
    ),
    "removed_before_recording": Walk(
        [("joining_call", 0), ("in_call_not_recording", 8), ("bot_removed", 38)],
        "failed",
        38,
        0,
        error_type="BotRemoved",
        message="The bot was removed from the meeting by a participant.",
    ),
    "invalid_url": Walk(
        [("joining_call", 0), ("invalid_meeting_url", 2)],
        "failed",
        2,
        0,
        error_type="InvalidMeetingUrl",
        message="The meeting URL provided is not a valid (Zoom, Meet, Teams) URL.",
    ),
    "cannot_join": Walk(
        [
            ("joining_call", 0),
            (
                "meeting_error",
                15,
                {
                    "error_type": "CannotJoinMeeting",
                    "error_message": "The meeting is only open to signed-in users invited to it.",
                },
            ),
        ],
        "failed",
        15,
        0,
        error_type="CannotJoinMeeting",
        message="The meeting is only open to signed-in users invited to it.",
    ),
    "internal_error": Walk(
        [
            ("joining_call", 0),
            ("in_call_not_recording", 8),
            (
                "meeting_error",
                28,
                {
                    "error_type": "InternalError",
                    "error_message": "The recorder crashed before the recording started.",
                },
            ),
        ],
        "failed",
        28,
        0,
        error_type="InternalError",
        message="The recorder crashed before the recording started.",
    ),
    "meeting_error": Walk(
        [
            ("joining_call", 0),
            ("in_call_not_recording", 8),
            (REC, 10),
            (
                "meeting_error",
                910,
                {
                    "error_type": "InternalError",
                    "error_message": "The connection to the meeting was lost.",
                },
            ),
            ("call_ended", 910, {"end_reason": "meeting_error"}),
        ],
        "complete",
        915,
        900,
        end_reason="meeting_error",
    ),
    "pause_resume": Walk(
        [
            ("joining_call", 0),
            ("in_call_not_recording", 8),
            (REC, 10),
            ("recording_paused", 610),
            ("recording_resumed", 910),
            ("recording_paused", 1210),
            ("recording_resumed", 1270),
            ("call_ended", 1510, {"end_reason": "no_attendees"}),
        ],
        "complete",
        1515,
        600 + 300 + 240,
        end_reason="no_attendees",
    ),
    "no_attendees": Walk(
        [
            ("joining_call", 0),
            ("in_call_not_recording", 8),
            ("call_ended", 608, {"end_reason": "no_attendees"}),
        ],
        "failed",
        608,
        0,
        error_type="TimeoutWaitingToStart",
        end_reason="no_attendees",
        message="The bot has quit after waiting to be accepted.",
    ),
    "no_speaker": Walk(
        [
            ("joining_call", 0),
            ("in_call_not_recording", 8),
            (REC, 10),
            ("call_ended", 910, {"end_reason": "no_speaker"}),
        ],
        "complete",
        915,
        900,
        end_reason="no_speaker",
    ),
    "long_meeting": Walk(
        [
            ("joining_call", 0),
            ("in_waiting_room", 5),
            ("in_call_not_recording", 35),
            (REC, 37),
            ("call_ended", 14437, {"end_reason": "recording_timeout"}),
        ],
        "complete",
        14497,
        14400,
        end_reason="recording_timeout",
    ),
    "until_removed": Walk(
        [
            ("joining_call", 0),
            ("in_call_not_recording", 8),
            (REC, 10),
            ("call_ended", 3600, {"end_reason": "api_request"}),
        ],
        "complete",
        3605,
        3590,
        end_reason="api_request",
        script=_delete_at_3600,
    ),
}

BUILTIN_FILES = sorted(BUILTIN_DIR.glob("*.yaml"))


def history_of(walk: Walk) -> list[dict[str, Any]]:
    out = []
    for code, seconds, *extra in walk.steps:
        entry = {"code": code, "created_at": at(seconds)}
        if code == REC:
            entry["start_time"] = at(seconds)
        entry.update(extra[0] if extra else {})
        out.append(entry)
    return out


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=[p.stem for p in BUILTIN_FILES])
def test_builtin_scenario_end_to_end(api: MockClient, contract, path) -> None:
    name = parse(path.read_text(), str(path)).name
    if name not in EXPECTED:
        pytest.fail(f"built-in scenario {name!r} ({path.name}) has no expected walk here")
    walk = EXPECTED[name]
    expected = history_of(walk)
    bot_id = api.join(MEET_URL, scenario=name)
    assert api.bot(bot_id)["scenario"] == name

    # step by step: nothing happens a millisecond early, each step lands at its time
    scripted = walk.script is not None
    timed = [(e, seconds) for e, (_, seconds, *_) in zip(expected, walk.steps, strict=True)]
    if scripted:
        timed = timed[:-1]
    for when in sorted({seconds for _, seconds in timed}):
        if when > now_s(api):
            advance_to(api, when - 0.001)
            assert api.bot(bot_id)["history"] == [e for e, s in timed if s < when]
            advance_to(api, when)
        assert api.bot(bot_id)["history"] == [e for e, s in timed if s <= when]
    if scripted:
        walk.script(api, bot_id)
    view = api.bot(bot_id)
    assert view["history"] == expected

    # the final event at its exact time, then nothing ever again
    final = "complete" if walk.outcome == "complete" else "failed"
    if walk.final_at > now_s(api):
        advance_to(api, walk.final_at - 0.001)
        assert final not in [d["event"] for d in api.webhooks(bot_id=bot_id)]
        advance_to(api, walk.final_at)
    journal = api.webhooks(bot_id=bot_id)
    api.advance(2 * DAY)
    assert api.webhooks(bot_id=bot_id) == journal
    view = api.bot(bot_id)
    assert view["history"] == expected
    assert view["pending"] == [] and view["allowed_next"] == []
    assert (view["outcome"], view["error_type"], view["end_reason"]) == (
        walk.outcome,
        walk.error_type,
        walk.end_reason,
    )
    ended_at = next(
        (e["created_at"] for e in expected if e["code"] == "call_ended"), at(walk.final_at)
    )
    assert view["ended_at"] == ended_at

    # the webhook journal: one status_change per history entry, then the final event
    assert [d["event"] for d in journal] == ["bot.status_change"] * len(expected) + [final]
    assert all(d["state"] == "no_url" and d["url"] is None for d in journal)
    assert [d["payload"]["data"]["status"] for d in journal[:-1]] == expected
    assert [d["created_at"] for d in journal[:-1]] == [e["created_at"] for e in expected]
    assert journal[-1]["created_at"] == at(walk.final_at)
    for delivery in journal:
        assert contract.webhook_errors(delivery["event"], delivery["payload"]) == []
    data = journal[-1]["payload"]["data"]
    sent_extra = {"mockbaas_scenario": name}  # what api.join(scenario=...) sends
    if final == "failed":
        assert data == {
            "bot_id": bot_id,
            "event_uuid": None,
            "error": walk.error_type,
            "message": walk.message,
            "extra": sent_extra,
        }
    else:
        # no speech_to_text: no transcript
        assert list(data) == ["bot_id", "event_uuid", "mp4", "audio", "speakers", "event", "extra"]
        assert data["bot_id"] == bot_id and data["speakers"] == [] and data["event"] == "complete"
        assert data["event_uuid"] is None and data["extra"] == sent_extra
        assert f"/_mockbaas/media/{bot_id}/recording.mp4?" in data["mp4"]
        audio, mp4 = urlsplit(data["audio"]), urlsplit(data["mp4"])
        assert audio.path == f"/_mockbaas/media/{bot_id}/audio.wav"
        assert parse_qs(audio.query)["X-Amz-Expires"] == parse_qs(mp4.query)["X-Amz-Expires"]

    resp = api.request("GET", "/bots/meeting_data", params={"bot_id": bot_id})
    assert_conforms(contract, "get_meeting_data", resp)
    meeting = resp.json()
    assert meeting["duration"] == walk.duration
    assert meeting["bot_data"]["bot"]["ended_at"] == ended_at
    assert meeting["bot_data"]["bot"]["errors"] == walk.error_type
    assert meeting["bot_data"]["transcripts"] == []
    assert (meeting["mp4"] != "") == (walk.outcome == "complete")


def test_every_status_error_type_and_end_reason_is_reachable(api: MockClient, contract) -> None:
    """Each documented status code, error type and end reason happens in some built-in
    scenario or documented rule (here: DELETE), and the engine's lists are the docs'."""
    schemas = contract.document["components"]["schemas"]
    assert set(lc.STATUS_CODES) == set(schemas["BotStatusCode"]["enum"])
    assert set(lc.ERROR_TYPES) == set(schemas["ErrorType"]["enum"])
    assert set(lc.END_REASONS) == set(schemas["RecordingEndReason"]["enum"])
    names = [parse(path.read_text(), str(path)).name for path in BUILTIN_FILES]
    bots = {
        name: api.join(f"https://meet.google.com/cov-{i:03d}", scenario=name)
        for i, name in enumerate(names)
    }
    api.advance(DAY)
    for bot_id in bots.values():  # the DELETE rule ends what still runs (until_removed)
        if api.bot(bot_id)["outcome"] is None:
            api.request("DELETE", f"/bots/{bot_id}")
    api.advance(DAY)
    codes, errors, reasons = set(), set(), set()
    for bot_id in bots.values():
        view = api.bot(bot_id)
        assert view["outcome"] in ("complete", "failed")
        codes |= {e["code"] for e in view["history"]}
        errors |= {e["error_type"] for e in view["history"] if "error_type" in e}
        errors |= {view["error_type"]} - {None}
        reasons |= {e["end_reason"] for e in view["history"] if "end_reason" in e}
    assert codes == set(lc.STATUS_CODES)
    assert errors == set(lc.ERROR_TYPES)
    assert reasons == set(lc.END_REASONS)
    failed = {d["payload"]["data"]["error"] for d in api.webhooks(event="failed")}
    assert failed == set(lc.ERROR_TYPES)  # every error type is also a `failed` outcome


# -- automatic_leave ------------------------------------------------------------------------
def test_custom_waiting_room_timeout_ends_wait_at_exactly_that_time(api: MockClient) -> None:
    bot_id = api.join(
        MEET_URL, scenario="waiting_room_timeout", automatic_leave={"waiting_room_timeout": 42}
    )
    api.advance(46.999)
    assert api.statuses(bot_id) == ["joining_call", "in_waiting_room"]
    api.advance(0.001)
    view = api.bot(bot_id)
    assert view["history"][-1] == {"code": "waiting_room_timeout", "created_at": at(47)}
    assert (view["outcome"], view["error_type"]) == ("failed", "TimeoutWaitingToStart")
    assert api.webhooks(bot_id=bot_id, event="failed")[0]["created_at"] == at(47)


def test_waiting_room_timeout_preempts_a_later_admission(api: MockClient) -> None:
    bot_id = api.join(
        MEET_URL, scenario="waiting_room_admitted", automatic_leave={"waiting_room_timeout": 30}
    )
    api.advance(DAY)
    view = api.bot(bot_id)
    assert [(e["code"], e["created_at"]) for e in view["history"]] == [
        ("joining_call", at(0)),
        ("in_waiting_room", at(5)),
        ("waiting_room_timeout", at(35)),
    ]
    assert view["error_type"] == "TimeoutWaitingToStart"


def test_admission_before_the_timeout_cancels_it(api: MockClient) -> None:
    # admitted at 50 s, timeout would be at 5 + 45 = 50 s: ties go to the timeout armed
    # first, so one more second of patience lets the admission win
    bot_id = api.join(
        MEET_URL, scenario="waiting_room_admitted", automatic_leave={"waiting_room_timeout": 46}
    )
    api.advance(DAY)
    assert api.bot(bot_id)["outcome"] == "complete"
    assert "waiting_room_timeout" not in api.statuses(bot_id)


def test_custom_noone_joined_timeout(api: MockClient) -> None:
    bot_id = api.join(
        MEET_URL, scenario="no_attendees", automatic_leave={"noone_joined_timeout": 120}
    )
    api.advance(127.999)
    assert api.statuses(bot_id) == ["joining_call", "in_call_not_recording"]
    api.advance(0.001)
    view = api.bot(bot_id)
    assert view["history"][-1] == {
        "code": "call_ended",
        "created_at": at(128),
        "end_reason": "no_attendees",
    }
    assert (view["outcome"], view["error_type"]) == ("failed", "TimeoutWaitingToStart")
    assert [d["event"] for d in api.webhooks(bot_id=bot_id)][-2:] == ["bot.status_change", "failed"]


def test_noone_joined_timeout_shorter_than_the_scenario(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, automatic_leave={"noone_joined_timeout": 1})
    api.advance(DAY)
    view = api.bot(bot_id)
    assert [(e["code"], e["created_at"]) for e in view["history"]] == [
        ("joining_call", at(0)),
        ("in_call_not_recording", at(8)),
        ("call_ended", at(9)),
    ]
    assert view["error_type"] == "TimeoutWaitingToStart"


def test_timeouts_do_not_fire_once_recording(api: MockClient) -> None:
    bot_id = api.join(
        MEET_URL,
        scenario="until_removed",
        automatic_leave={"noone_joined_timeout": 5, "waiting_room_timeout": 5},
    )
    api.advance(DAY)
    view = api.bot(bot_id)
    assert view["status"] == "in_call_recording" and view["outcome"] is None
    assert view["pending"] == []


# -- reserved / start_time ------------------------------------------------------------------
def test_reserved_bot_joins_four_minutes_later(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, reserved=True)
    view = api.bot(bot_id)
    assert view["join_at"] == at(240) and view["history"] == [] and view["status"] is None
    assert view["pending"] == [{"status": "joining_call", "due": at(240)}]
    api.advance(239.999)
    assert api.statuses(bot_id) == [] and api.webhooks(bot_id=bot_id) == []
    api.advance(0.001)
    assert api.bot(bot_id)["history"] == [{"code": "joining_call", "created_at": at(240)}]
    api.advance(DAY)
    hist = api.bot(bot_id)["history"]
    assert [(e["code"], e["created_at"]) for e in hist] == [
        ("joining_call", at(240)),
        ("in_call_not_recording", at(248)),
        (REC, at(250)),
        ("call_ended", at(2050)),
    ]


@pytest.mark.parametrize(
    ("start_offset", "join_offset"),
    [(3600, 3360), (240, 0), (241, 1), (-3600, 0), (0, 0)],
    ids=["in-an-hour", "exactly-4-min", "4-min-1-s", "in-the-past", "now"],
)
def test_start_time_joins_four_minutes_before(
    api: MockClient, start_offset: int, join_offset: int
) -> None:
    start_ms = T0 + start_offset * 1000
    bot_id = api.join(MEET_URL, start_time=start_ms, reserved=True)
    assert api.bot(bot_id)["join_at"] == at(join_offset)
    if join_offset:
        api.advance(join_offset - 0.001)
        assert api.statuses(bot_id) == []
        api.advance(0.001)
    assert api.bot(bot_id)["history"] == [{"code": "joining_call", "created_at": at(join_offset)}]


def test_delete_before_a_reserved_bot_joins(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, reserved=True)
    api.advance(60)
    assert api.request("DELETE", f"/bots/{bot_id}").json() == {"ok": True}
    api.advance(DAY)
    view = api.bot(bot_id)
    assert view["history"] == [
        {"code": "call_ended", "created_at": at(60), "end_reason": "api_request"}
    ]
    assert view["outcome"] == "complete"
    assert [d["event"] for d in api.webhooks(bot_id=bot_id)] == ["bot.status_change", "complete"]


# -- DELETE /bots/{uuid} --------------------------------------------------------------------
def test_delete_leaves_at_once_and_delivers_data_so_far(api: MockClient, contract) -> None:
    bot_id = api.join(MEET_URL, speech_to_text={"provider": "Default"})
    api.advance(100)
    resp = api.request("DELETE", f"/bots/{bot_id}")
    assert (resp.status, resp.json()) == (200, {"ok": True})
    assert_conforms(contract, "leave", resp)
    view = api.bot(bot_id)
    assert view["history"][-1] == {
        "code": "call_ended",
        "created_at": at(100),
        "end_reason": "api_request",
    }
    assert view["outcome"] is None and view["ended_at"] == at(100)  # processing
    api.advance(4.999)
    assert api.webhooks(bot_id=bot_id, event="complete") == []
    api.advance(0.001)
    complete = api.webhooks(bot_id=bot_id, event="complete")
    assert [d["created_at"] for d in complete] == [at(105)]
    words = [w for seg in complete[0]["payload"]["data"]["transcript"] for w in seg["words"]]
    assert words and max(w["end"] for w in words) <= 90  # recorded 10 s .. 100 s
    meeting = api.request("GET", "/bots/meeting_data", params={"bot_id": bot_id}).json()
    assert meeting["duration"] == 90
    # again: still 200 and nothing changes
    journal = api.webhooks(bot_id=bot_id)
    assert api.request("DELETE", f"/bots/{bot_id}").json() == {"ok": True}
    api.advance(DAY)
    assert api.webhooks(bot_id=bot_id) == journal


@pytest.mark.parametrize(
    ("scenario", "when", "duration"),
    [
        ("waiting_room_admitted", 20, 0),
        ("pause_resume", 700, 600),
        ("happy_path", 9, 0),
        ("happy_path", 0, 0),
    ],
    ids=["waiting-room", "paused", "before-recording", "at-join"],
)
def test_delete_in_any_live_state_completes(
    api: MockClient, scenario: str, when: int, duration: int
) -> None:
    bot_id = api.join(MEET_URL, scenario=scenario)
    api.advance(when)
    before = api.bot(bot_id)["history"]
    assert before and before[-1]["code"] != "call_ended"
    api.request("DELETE", f"/bots/{bot_id}")
    api.advance(DAY)
    view = api.bot(bot_id)
    assert view["history"][:-1] == before
    assert view["history"][-1] == {
        "code": "call_ended",
        "created_at": at(when),
        "end_reason": "api_request",
    }
    assert view["outcome"] == "complete" and view["end_reason"] == "api_request"
    meeting = api.request("GET", "/bots/meeting_data", params={"bot_id": bot_id}).json()
    assert meeting["duration"] == duration


def test_delete_of_an_ended_bot_changes_nothing(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, scenario="rejected")
    api.advance(DAY)
    view, journal = api.bot(bot_id), api.webhooks(bot_id=bot_id)
    assert api.request("DELETE", f"/bots/{bot_id}").json() == {"ok": True}
    api.advance(DAY)
    assert api.bot(bot_id) == view and api.webhooks(bot_id=bot_id) == journal


def test_delete_unknown_or_other_accounts_bot_is_404(api: MockClient) -> None:
    bot_id = api.join(MEET_URL)
    for path, key in [
        (f"/bots/{bot_id}", "someone-else"),
        ("/bots/00000000-0000-4000-8000-000000000000", None),
    ]:
        resp = api.request("DELETE", path, api_key=key)
        assert resp.status == 404 and resp.json()["error"] == "not_found"
    api.advance(20)
    assert api.bot(bot_id)["status"] == REC


# -- deduplication --------------------------------------------------------------------------
def test_second_bot_to_same_meeting_is_refused_for_five_minutes(api: MockClient, contract) -> None:
    first = api.join(MEET_URL)
    body = {"meeting_url": MEET_URL, "bot_name": "again", "reserved": False}
    resp = api.request("POST", "/bots/", json_body=body)
    assert resp.status == 409
    assert_conforms(contract, "join", resp)
    assert resp.json()["error"] == "conflict"
    assert "deduplication_key" in resp.json()["message"]
    assert [b["bot_id"] for b in api._control("GET", "/bots")["bots"]] == [first]
    api.advance(299.999)
    assert api.request("POST", "/bots/", json_body=body).status == 409
    api.advance(0.001)
    second = api.request("POST", "/bots/", json_body=body)
    assert second.status == 200
    assert api.request("POST", "/bots/", json_body=body).status == 409  # the new one blocks


def test_dedup_bypass(api: MockClient) -> None:
    api.join(MEET_URL, deduplication_key="a")
    assert (
        api.request(
            "POST",
            "/bots/",
            json_body={
                "meeting_url": MEET_URL,
                "bot_name": "b",
                "reserved": False,
                "deduplication_key": "a",
            },
        ).status
        == 409
    )
    api.join(MEET_URL, deduplication_key="b")
    api.join(MEET_URL)  # no key differs from "a" and "b"
    api.join("https://meet.google.com/xyz-wxyz-xyz")  # another meeting
    other = MockClient(api.url, api_key="another-account")
    other.join(MEET_URL)  # another account
    assert len(api._control("GET", "/bots")["bots"]) == 5


# -- meeting URLs ---------------------------------------------------------------------------
INVALID_URLS = [
    "http://",
    "https:///j/123",
    "https://example.com/meeting/123",
    "https://zoom.us.evil.com/j/123",
    "https://notzoom.us/j/123",
    "https://meet.google.com",
    "https://meet.google.com/",
    "https://zoom.us",
    "https://teams.microsoft.com/",
    "ftp://zoom.us/j/123",
    "meet.google.com/abc-defg-hij",
    "not a url",
    "https://[::1/j/1",
]
VALID_URLS = [
    "https://meet.google.com/abc-defg-hij",
    "HTTPS://MEET.GOOGLE.COM/abc-defg-hij",
    "https://zoom.us/j/1234567890",
    "https://us02web.zoom.us/j/1234567890?pwd=abc",
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0",
    "https://teams.live.com/meet/9384721937",
    "http://meet.google.com/abc-defg-hij",
]


@pytest.mark.parametrize("url", INVALID_URLS)
def test_invalid_meeting_urls_fail_with_invalid_meeting_url(api: MockClient, url: str) -> None:
    bot_id = api.join(url, scenario="happy_path")  # the URL rule wins over the scenario
    api.advance(DAY)
    view = api.bot(bot_id)
    assert view["history"] == [
        {"code": "joining_call", "created_at": at(0)},
        {"code": "invalid_meeting_url", "created_at": at(2)},
    ]
    assert (view["outcome"], view["error_type"]) == ("failed", "InvalidMeetingUrl")


@pytest.mark.parametrize("url", VALID_URLS)
def test_zoom_meet_and_teams_urls_join(api: MockClient, url: str) -> None:
    bot_id = api.join(url)
    api.advance(DAY)
    assert api.bot(bot_id)["outcome"] == "complete"
    assert "invalid_meeting_url" not in api.statuses(bot_id)


# -- scenario choice ------------------------------------------------------------------------
def test_unknown_scenario_is_422_and_creates_nothing(api: MockClient, contract) -> None:
    for extra in ({"mockbaas_scenario": "nope"}, {"mockbaas_scenario": 3}):
        resp = api.request(
            "POST",
            "/bots/",
            json_body={"meeting_url": MEET_URL, "bot_name": "b", "reserved": False, "extra": extra},
        )
        assert resp.status == 422
        assert_conforms(contract, "join", resp)
        assert resp.json()["details"][0]["path"] == "extra.mockbaas_scenario"
    assert "happy_path" in resp.json()["message"] or "scenario" in resp.json()["message"]
    assert api._control("GET", "/bots")["bots"] == []
    api.join(MEET_URL)  # nothing was recorded for dedup either


def test_default_scenario_is_happy_path(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, extra={"user": 1})
    assert api.bot(bot_id)["scenario"] == "happy_path"


# -- determinism ----------------------------------------------------------------------------
def _script(url: str) -> dict[str, Any]:
    api = MockClient(url)
    bots = [
        api.join(
            f"https://meet.google.com/d-{name}",
            scenario=name,
            speech_to_text={"provider": "Default"},
        )
        for name in ("happy_path", "pause_resume", "until_removed", "meeting_error", "rejected")
    ]
    api.advance(30)
    api.push(bots[2], "pause")
    api.advance(100)
    api.push(bots[2], "resume")
    api.advance(500)
    api.request("DELETE", f"/bots/{bots[2]}")
    api.advance(DAY)
    return {
        "bots": [api.bot(b) for b in bots],
        "meeting_data": [
            api.request("GET", "/bots/meeting_data", params={"bot_id": b}).json() for b in bots
        ],
        "journal": api.webhooks(),
    }


def _run(seed: int) -> dict[str, Any]:
    settings = Settings(
        port=0, seed=seed, strict=True, public_url="http://mock.test", media_secret="fixed"
    )
    with BackgroundServer(settings) as server:
        return _script(server.url)


def test_same_seed_and_script_give_identical_results() -> None:
    first, second = _run(7), _run(7)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    transcripts = [m["bot_data"]["transcripts"] for m in first["meeting_data"]]
    assert transcripts[0] and transcripts[1]  # there is something to compare


def test_another_seed_gives_other_ids_and_transcripts() -> None:
    first, other = _run(7), _run(8)
    ids = {b["bot_id"] for b in first["bots"]}
    assert ids.isdisjoint({b["bot_id"] for b in other["bots"]})
    words = [
        [w["text"] for t in m["bot_data"]["transcripts"] for w in t["words"]]
        for m in first["meeting_data"]
    ]
    other_words = [
        [w["text"] for t in m["bot_data"]["transcripts"] for w in t["words"]]
        for m in other["meeting_data"]
    ]
    assert words != other_words
    # same script, same lives: only ids and generated content differ
    assert [[(e["code"], e["created_at"]) for e in b["history"]] for b in first["bots"]] == [
        [(e["code"], e["created_at"]) for e in b["history"]] for b in other["bots"]
    ]
