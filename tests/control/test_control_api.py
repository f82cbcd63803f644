"""The /_mockbaas control API over HTTP: reset, clock, bot view, pushed transitions,
the webhook journal and the scenario list; bad input is a 4xx JSON error that changes
nothing."""

from __future__ import annotations

from typing import Any

import pytest
from support import MEET_URL

from mockbaas.clock import DEFAULT_START, iso, to_ms
from mockbaas.control.responses import MAX_ADVANCE_S
from mockbaas.scenarios import BUILTIN_DIR
from mockbaas.testing import MockClient

T0 = to_ms(DEFAULT_START)
DAY = 24 * 3600
REC = "in_call_recording"


def at(seconds: float) -> str:
    return iso(T0 + int(round(seconds * 1000)))


def timeline(api: MockClient, bot_id: str) -> list[tuple[str, str]]:
    return [(e["code"], e["created_at"]) for e in api.bot(bot_id)["history"]]


def transition(api: MockClient, bot_id: str, body: Any) -> Any:
    return api.request("POST", f"/_mockbaas/bots/{bot_id}/transition", json_body=body)


# -- reset and clock ------------------------------------------------------------------------
def test_reset_forgets_everything_and_replays(api: MockClient) -> None:
    first = api.join(MEET_URL)
    api.advance(3600)
    assert api.webhooks()
    reset = api.reset()
    assert reset["ok"] is True and reset["clock"]["now"] == at(0)
    assert api._control("GET", "/bots")["bots"] == []
    assert api.webhooks() == []
    assert api.clock()["now"] == at(0)
    assert api.join(MEET_URL) == first  # same seed, same ids; dedup forgotten too


def test_clock_snapshot(api: MockClient) -> None:
    assert api.clock() == {
        "mode": "manual",
        "speed": 1.0,
        "now": at(0),
        "now_ms": T0,
        "start": at(0),
        "pending_timers": 0,
        "next_due": None,
    }
    api.join(MEET_URL)
    snap = api.clock()
    assert snap["next_due"] == at(8) and snap["pending_timers"] >= 1
    moved = api.advance(8)
    assert moved["now"] == at(8) and moved["fired"] >= 1
    assert api.clock()["next_due"] == at(10)


def test_fired_counts_the_worlds_timers_not_the_webhook_plumbing(
    api: MockClient, mockbaas_receiver
) -> None:
    """A retry or a subject's next post is armed when a real answer comes back: counting
    those would make the same requests answer a different `fired`."""
    api.join(MEET_URL)
    quiet = api.advance(8)["fired"]  # joining_call -> in_call_not_recording
    api.reset()
    mockbaas_receiver.fail_next(1)
    api.join(MEET_URL, webhook_url=mockbaas_receiver.url)
    assert api.advance(8)["fired"] == quiet == 1
    # meanwhile the journal went through a retry, and a second event behind it
    assert [len(d["attempts"]) for d in api.webhooks()] == [2, 1]


@pytest.mark.parametrize(
    ("raw", "status", "says"),
    [
        (b'{"seconds": -1}', 422, "seconds: must be between 0 and 31622400"),
        (b'{"seconds": "10"}', 422, "seconds: must be a number"),
        (b'{"seconds": true}', 422, "seconds: must be a number"),
        (b'{"seconds": null}', 422, "seconds: must be a number"),
        (b"{}", 422, "seconds"),
        (b'{"seconds": NaN}', 400, "not valid JSON"),  # not JSON, as on the API routes
        (b'{"seconds": Infinity}', 400, "not valid JSON"),
        (b'{"seconds": %d}' % (MAX_ADVANCE_S + 1), 422, "must be between 0 and 31622400"),
        (b'{"seconds": 1e400}', 400, "out of the range of a double"),
        (b'{"seconds": 1, "wait": "a"}', 422, "wait: must be a number or null"),
        (b'{"seconds": 1, "wait": 601}', 422, "wait: must be between 0 and 600 seconds"),
        (b"[10]", 422, "expected a JSON object"),
        (b"seconds=10", 400, "not valid JSON"),
        (b'{"seconds": 10', 400, "not valid JSON"),
    ],
)
def test_advance_refuses_bad_input(api: MockClient, raw: bytes, status: int, says: str) -> None:
    bot_id = api.join(MEET_URL)
    before = api.clock()
    resp = api.request(
        "POST", "/_mockbaas/clock/advance", data=raw, headers={"content-type": "application/json"}
    )
    assert resp.status == status
    body = resp.json()
    assert body["error"] in ("validation_error", "invalid_json") and says in body["message"]
    assert api.clock() == before
    assert api.statuses(bot_id) == ["joining_call"]


def test_advance_zero_and_fractions(api: MockClient) -> None:
    bot_id = api.join(MEET_URL)
    assert api.advance(0)["now"] == at(0)
    api.advance(7.999)
    assert api.statuses(bot_id) == ["joining_call"]
    api.advance(0.0004)  # time is whole milliseconds: this rounds to nothing
    assert api.clock()["now_ms"] == T0 + 7999
    api.advance(0.0006)  # and this to one
    assert api.clock()["now_ms"] == T0 + 8000
    assert api.statuses(bot_id)[-1] == "in_call_not_recording"
    assert api.advance(MAX_ADVANCE_S)["now_ms"] == T0 + 8000 + MAX_ADVANCE_S * 1000


# -- reading bots ---------------------------------------------------------------------------
def test_bot_view_and_unknown_bot(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, bot_name="Scribe")
    view = api.bot(bot_id)
    assert view == {
        "bot_id": bot_id,
        "account_id": 1,
        "scenario": "happy_path",
        "status": "joining_call",
        "outcome": None,
        "error_type": None,
        "end_reason": None,
        "created_at": at(0),
        "join_at": at(0),
        "ended_at": None,
        "recorded_seconds": 0.0,
        "data_deleted": False,
        "history": [{"code": "joining_call", "created_at": at(0)}],
        "pending": [{"status": "in_call_not_recording", "due": at(8)}],
        "allowed_next": sorted(
            [
                "in_waiting_room",
                "in_call_not_recording",
                "bot_rejected",
                "invalid_meeting_url",
                "meeting_error",
                "call_ended",
            ]
        ),
    }
    api.advance(8)
    assert api.bot(bot_id)["pending"] == [
        {"status": REC, "due": at(10)},
        {"status": "timeout", "due": at(608)},
    ]
    resp = api.request("GET", "/_mockbaas/bots/00000000-0000-4000-8000-000000000000")
    assert resp.status == 404 and resp.json()["error"] == "not_found"
    assert [b["bot_id"] for b in api._control("GET", "/bots")["bots"]] == [bot_id]


# -- pushed transitions ---------------------------------------------------------------------
def test_admit_resumes_the_scenario_after_that_step(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, scenario="waiting_room_admitted")
    api.advance(20)
    view = api.push(bot_id, "admit")
    assert view["status"] == "in_call_not_recording"
    assert view["pending"][0] == {"status": REC, "due": at(22)}
    api.advance(DAY)
    assert timeline(api, bot_id) == [
        ("joining_call", at(0)),
        ("in_waiting_room", at(5)),
        ("in_call_not_recording", at(20)),
        (REC, at(22)),
        ("call_ended", at(1222)),
    ]
    assert api.bot(bot_id)["outcome"] == "complete"


def test_pause_and_resume_not_in_the_plan(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, scenario="until_removed")
    api.advance(100)
    api.push(bot_id, "pause")
    api.advance(50)
    api.push(bot_id, "recording_resumed")  # raw status codes work too
    api.advance(40)
    assert api.bot(bot_id)["recorded_seconds"] == 90 + 40
    api.request("DELETE", f"/bots/{bot_id}")
    api.advance(DAY)
    assert timeline(api, bot_id) == [
        ("joining_call", at(0)),
        ("in_call_not_recording", at(8)),
        (REC, at(10)),
        ("recording_paused", at(100)),
        ("recording_resumed", at(150)),
        ("call_ended", at(190)),
    ]
    meeting = api.request("GET", "/bots/meeting_data", params={"bot_id": bot_id}).json()
    assert meeting["duration"] == 130


def test_pause_drops_a_plan_that_has_no_such_step(api: MockClient) -> None:
    bot_id = api.join(MEET_URL)  # happy_path: call_ended at 1810 is dropped
    api.advance(60)
    assert api.push(bot_id, "pause")["pending"] == []
    api.advance(DAY)
    view = api.bot(bot_id)
    assert view["status"] == "recording_paused" and view["outcome"] is None


def test_remove_while_recording_completes_with_bot_removed(api: MockClient) -> None:
    bot_id = api.join(MEET_URL)
    api.advance(70)
    api.push(bot_id, "remove")
    api.advance(DAY)
    view = api.bot(bot_id)
    assert view["history"][-2:] == [
        {"code": "bot_removed", "created_at": at(70)},
        {"code": "call_ended", "created_at": at(70), "end_reason": "bot_removed"},
    ]
    assert (view["outcome"], view["end_reason"]) == ("complete", "bot_removed")


@pytest.mark.parametrize(
    ("scenario", "when", "push", "entry", "outcome", "error"),
    [
        (
            "waiting_room_timeout",
            30,
            {"status": "reject"},
            {"code": "bot_rejected"},
            "failed",
            "BotNotAccepted",
        ),
        (
            "waiting_room_timeout",
            30,
            {"status": "timeout"},
            {"code": "waiting_room_timeout"},
            "failed",
            "TimeoutWaitingToStart",
        ),
        (
            "happy_path",
            0,
            {"status": "error"},
            {
                "code": "meeting_error",
                "error_type": "CannotJoinMeeting",
                "error_message": "The bot could not join the meeting URL provided.",
            },
            "failed",
            "CannotJoinMeeting",
        ),
        (
            "happy_path",
            9,
            {"status": "error"},
            {
                "code": "meeting_error",
                "error_type": "InternalError",
                "error_message": "An unexpected error occurred.",
            },
            "failed",
            "InternalError",
        ),
        ("happy_path", 9, {"status": "remove"}, {"code": "bot_removed"}, "failed", "BotRemoved"),
        (
            "happy_path",
            9,
            {"status": "end", "end_reason": "bot_removed"},
            {"code": "call_ended", "end_reason": "bot_removed"},
            "failed",
            "BotRemoved",
        ),
        (
            "happy_path",
            9,
            {"status": "end", "end_reason": "meeting_error"},
            {"code": "call_ended", "end_reason": "meeting_error"},
            "failed",
            "InternalError",
        ),
        (
            "happy_path",
            9,
            {"status": "end"},
            {"code": "call_ended", "end_reason": "no_attendees"},
            "failed",
            "TimeoutWaitingToStart",
        ),
        (
            "happy_path",
            9,
            {"status": "end", "end_reason": "api_request"},
            {"code": "call_ended", "end_reason": "api_request"},
            "complete",
            None,
        ),
        (
            "happy_path",
            60,
            {"status": "end", "end_reason": "recording_timeout"},
            {"code": "call_ended", "end_reason": "recording_timeout"},
            "complete",
            None,
        ),
        (
            "happy_path",
            60,
            {"status": "error", "error_type": "CannotJoinMeeting", "error_message": "Lost it"},
            {
                "code": "meeting_error",
                "error_type": "CannotJoinMeeting",
                "error_message": "Lost it",
            },
            "complete",
            None,
        ),
        (
            "cannot_join",
            3,
            {"status": "meeting_error", "error_message": "Custom"},
            {"code": "meeting_error", "error_type": "CannotJoinMeeting", "error_message": "Custom"},
            "failed",
            "CannotJoinMeeting",
        ),
    ],
)
def test_pushed_endings(
    api: MockClient, scenario: str, when: int, push: dict, entry: dict, outcome: str, error: Any
) -> None:
    bot_id = api.join(MEET_URL, scenario=scenario)
    api.advance(when)
    api.push(bot_id, **push)
    api.advance(DAY)
    view = api.bot(bot_id)
    pushed = next(e for e in view["history"] if e["code"] == entry["code"])
    assert pushed == {**entry, "created_at": at(when)}
    assert (view["outcome"], view["error_type"]) == (outcome, error)
    finals = [d["event"] for d in api.webhooks(bot_id=bot_id) if d["event"] != "bot.status_change"]
    assert finals == [outcome]
    if outcome == "failed":
        failed = api.webhooks(bot_id=bot_id, event="failed")[0]
        assert failed["created_at"] == at(when)
        message = entry.get("error_message")
        if message:
            assert failed["payload"]["data"]["message"] == message


def _frozen(api: MockClient, bot_id: str) -> tuple[Any, Any, Any]:
    return api.bot(bot_id), api.webhooks(), api.clock()


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"status": "resume"}, 409, "in_call_recording; recording_resumed is not a legal"),
        (
            {"status": "admit"},
            409,
            "allowed: bot_removed, call_ended, meeting_error, recording_paused",
        ),
        ({"status": "joining_call"}, 409, "not a legal next state"),
        ({"status": "invalid_meeting_url"}, 409, "not a legal next state"),
        ({"status": "nope"}, 422, "unknown status or action"),
        ({"status": "complete"}, 422, "unknown status or action"),
        ({"status": ""}, 422, "status"),
        ({"status": 3}, 422, "status"),
        ({}, 422, "status"),
        ({"status": "pause", "error_type": "InternalError"}, 422, "only applies to meeting_error"),
        ({"status": "error", "end_reason": "api_request"}, 422, "only applies to call_ended"),
        ({"status": "pause", "error_message": "x"}, 422, "only applies to meeting_error"),
        ({"status": "error", "error_type": "Boom"}, 422, "error_type"),
        ({"status": "end", "end_reason": "bored"}, 422, "end_reason"),
        ({"status": "pause", "when": 3}, 422, "unknown field"),
        ({"status": "pause", "uuid": "x", "self": 1}, 422, "unknown field"),
        ([], 422, "JSON object"),
    ],
)
def test_bad_or_illegal_push_changes_nothing(
    api: MockClient, body: Any, status: int, needle: str
) -> None:
    bot_id = api.join(MEET_URL)
    api.advance(60)
    before = _frozen(api, bot_id)
    resp = transition(api, bot_id, body)
    assert resp.status == status, resp.body
    assert resp.json()["error"] == ("conflict" if status == 409 else "validation_error")
    assert needle in resp.json()["message"]
    assert _frozen(api, bot_id) == before
    api.advance(DAY)  # and the scenario goes on as if nothing was asked
    assert api.bot(bot_id)["outcome"] == "complete"


def test_push_to_an_ended_or_unknown_bot(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, scenario="rejected")
    api.advance(DAY)
    before = _frozen(api, bot_id)
    resp = transition(api, bot_id, {"status": "admit"})
    assert resp.status == 409
    assert resp.json()["message"] == (
        f"bot {bot_id} is bot_rejected, ended (failed); in_call_not_recording is not a legal "
        "next state (allowed: none)"
    )
    assert _frozen(api, bot_id) == before
    resp = transition(api, "00000000-0000-4000-8000-000000000000", {"status": "admit"})
    assert resp.status == 404 and resp.json()["error"] == "not_found"
    bad = api.request(
        "POST",
        "/_mockbaas/bots/x/transition",
        data=b"{",
        headers={"content-type": "application/json"},
    )
    assert bad.status == 400


def test_push_while_processing_is_refused(api: MockClient) -> None:
    bot_id = api.join(MEET_URL)
    api.advance(1812)  # call_ended at 1810, complete at 1815
    resp = transition(api, bot_id, {"status": "pause"})
    assert resp.status == 409 and "ended (processing)" in resp.json()["message"]
    api.advance(10)
    assert api.bot(bot_id)["outcome"] == "complete"


def test_push_on_a_bot_that_has_not_joined_yet(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, reserved=True)
    assert api.bot(bot_id)["allowed_next"] == ["joining_call"]
    resp = transition(api, bot_id, {"status": "admit"})
    assert resp.status == 409 and "not joined yet" in resp.json()["message"]
    assert "allowed: joining_call" in resp.json()["message"]
    api.advance(30)
    view = api.push(bot_id, "joining_call")  # join now instead of at 240 s
    assert view["join_at"] == at(30)
    api.advance(DAY)
    assert timeline(api, bot_id)[:3] == [
        ("joining_call", at(30)),
        ("in_call_not_recording", at(38)),
        (REC, at(40)),
    ]


def test_client_push_raises_on_refusal(api: MockClient) -> None:
    bot_id = api.join(MEET_URL)
    with pytest.raises(RuntimeError, match="409"):
        api.push(bot_id, "resume")


# -- webhook journal and scenarios ------------------------------------------------------------
def test_webhook_journal_filters(api: MockClient) -> None:
    a = api.join(MEET_URL)
    b = api.join("https://zoom.us/j/1", scenario="rejected")
    api.advance(DAY)
    everything = api.webhooks()
    assert [d["seq"] for d in everything] == list(range(1, len(everything) + 1))
    assert {d["subject"] for d in api.webhooks(bot_id=a)} == {a}
    assert [d["subject"] for d in api.webhooks(event="failed")] == [b]
    assert [d["subject"] for d in api.webhooks(event="complete")] == [a]
    assert len(api.webhooks(state="no_url")) == len(everything)
    assert api.webhooks(state="delivered") == []
    one = everything[0]
    assert api._control("GET", f"/webhooks/{one['id']}") == one


def test_scenarios_are_listed(api: MockClient) -> None:
    listed = api.scenarios()
    assert listed["default"] == "happy_path"
    names = [s["name"] for s in listed["scenarios"]]
    assert sorted(names) == sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))
    happy = next(s for s in listed["scenarios"] if s["name"] == "happy_path")
    assert happy == {
        "name": "happy_path",
        "description": "Joins straight in, records 30 minutes, ends when the last attendee leaves.",
        "source": "builtin:happy_path.yaml",
        "default": True,
        "match": {},
        "processing_seconds": 5.0,
        "steps": [
            {"status": "joining_call", "after": 0.0},
            {"status": "in_call_not_recording", "after": 8.0},
            {"status": "in_call_recording", "after": 2.0},
            {"status": "call_ended", "after": 1800.0, "end_reason": "no_attendees"},
        ],
    }


def test_the_journal_filters_by_v1_and_v2_event_names(api):
    assert api.webhooks(event="bot.completed") == []  # a v2 name: known, none sent yet
    assert api.webhooks(event="complete") == []
    resp = api.request("GET", "/_mockbaas/webhooks", params={"event": "bot.done"})
    assert resp.status == 400 and "bot.completed" in resp.json()["message"]
    resp = api.request("GET", "/_mockbaas/webhooks", params={"event": "complet"})
    message = resp.json()["details"][0]["message"]
    assert message.startswith("one of ") and message.endswith('; did you mean "complete"?')
