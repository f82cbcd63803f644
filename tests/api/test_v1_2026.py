"""What the 2026 v1 file adds to bots, over HTTP: automatic_leave.silence_timeout (a silent
call ends with `no_speaker`), bot_joined_at / bot_exited_at / is_stopped, event_uuid and
the extra recording files in meeting_data, the Zoom token fields stored and echoed."""

from __future__ import annotations

import io
import json
import wave
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from support import CREDS, MEET_URL, assert_conforms

from mockbaas.clock import DEFAULT_START, iso, parse_iso, to_ms
from mockbaas.config import Settings
from mockbaas.testing import BackgroundServer, MockClient, Response

T0 = to_ms(DEFAULT_START)
STT = {"provider": "Default"}
SILENT = """\
name: silent
description: people talk for 20 recorded seconds, then nobody speaks
silent_from: 20
steps:
  - {status: joining_call}
  - {status: in_call_not_recording, after: 8}
  - {status: in_call_recording, after: 2}
  - {status: recording_paused, after: 30}
  - {status: recording_resumed, after: 100}
  - {status: call_ended, after: 5000, end_reason: no_attendees}
"""


def at(seconds: float) -> str:
    return iso(T0 + int(round(seconds * 1000)))


def fetch(api: MockClient, url: str) -> Response:
    assert url.startswith(api.url + "/_mockbaas/media/"), url
    return api.request("GET", url[len(api.url) :])


def meeting_data(api: MockClient, bot_id: str, contract: Any) -> dict[str, Any]:
    resp = api.request("GET", "/bots/meeting_data", params={"bot_id": bot_id})
    assert resp.status == 200, resp.body
    assert_conforms(contract, "get_meeting_data", resp)
    return resp.json()


@pytest.fixture(scope="module")
def silent_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    folder = tmp_path_factory.mktemp("scenarios")
    (folder / "silent.yaml").write_text(SILENT)
    with BackgroundServer(Settings(port=0, strict=True, scenario_dirs=[folder])) as server:
        yield server


@pytest.fixture
def silent_api(silent_server: BackgroundServer) -> MockClient:
    client = MockClient(silent_server.url)
    client.reset()
    return client


# -- silence_timeout --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("timeout", "ends_at"),
    [
        # recording from 10 s, silent from 30 s; paused 40..140 (not counted)
        pytest.param({"silence_timeout": 5}, 30 + 5, id="before-the-pause"),
        pytest.param({"silence_timeout": 20}, 140 + (20 - 10), id="pause-not-counted"),
        pytest.param({}, 140 + (600 - 10), id="default-600"),
    ],
)
def test_a_silent_call_ends_with_no_speaker(
    silent_api: MockClient, contract, timeout: dict[str, int], ends_at: int
) -> None:
    body: dict[str, Any] = {"automatic_leave": timeout} if timeout else {}
    bot_id = silent_api.join(MEET_URL, scenario="silent", **body)
    silent_api.advance(3 * 3600)
    history = silent_api.bot(bot_id)["history"]
    ended = [e for e in history if e["code"] == "call_ended"]
    assert ended == [{"code": "call_ended", "created_at": at(ends_at), "end_reason": "no_speaker"}]
    # nothing after the end but what always follows it
    assert history[-1] == ended[0]
    (complete,) = silent_api.webhooks(bot_id=bot_id, event="complete")
    assert complete["payload"]["data"]["bot_id"] == bot_id
    data = meeting_data(silent_api, bot_id, contract)
    bot = data["bot_data"]["bot"]
    assert bot["silence_timeout"] == timeout.get("silence_timeout")
    assert bot["bot_exited_at"] == at(ends_at)


def test_silence_timeout_without_silence_changes_nothing(api: MockClient, contract) -> None:
    """The built-in scenarios keep talking: the call ends as the scenario says."""
    bot_id = api.join(MEET_URL, automatic_leave={"silence_timeout": 1})
    api.advance(3600)
    assert api.bot(bot_id)["history"][-1]["end_reason"] == "no_attendees"


def test_silence_timeout_is_checked(api: MockClient) -> None:
    resp = api.request(
        "POST",
        "/bots/",
        json_body={
            "meeting_url": MEET_URL,
            "bot_name": "b",
            "automatic_leave": {"silence_timeout": -1},
        },
    )
    assert resp.status == 422
    assert resp.json()["details"][0]["path"] == "automatic_leave.silence_timeout"


# -- joined / exited / stopped ------------------------------------------------------------------
def test_joined_exited_and_stopped(api: MockClient, contract) -> None:
    bot_id = api.join(MEET_URL)
    api.advance(5)
    bot = meeting_data(api, bot_id, contract)["bot_data"]["bot"]
    assert (bot["bot_joined_at"], bot["bot_exited_at"], bot["is_stopped"]) == (None, None, False)
    api.advance(100)  # in the call since 8 s
    bot = meeting_data(api, bot_id, contract)["bot_data"]["bot"]
    assert (bot["bot_joined_at"], bot["bot_exited_at"], bot["is_stopped"]) == (
        at(8),
        None,
        False,
    )
    api.advance(3600)  # the call ended at 1810 s
    bot = meeting_data(api, bot_id, contract)["bot_data"]["bot"]
    assert (bot["bot_joined_at"], bot["bot_exited_at"]) == (at(8), at(1810))
    assert bot["is_stopped"] is True
    listed = api.request("GET", "/bots/bots_with_metadata").json()["bots"]
    assert listed[0]["uuid"] == bot_id


def test_a_bot_that_never_joined(api: MockClient, contract) -> None:
    bot_id = api.join(MEET_URL, scenario="rejected")
    api.advance(3600)
    bot = meeting_data(api, bot_id, contract)["bot_data"]["bot"]
    assert (bot["bot_joined_at"], bot["bot_exited_at"], bot["is_stopped"]) == (None, None, True)


# -- meeting_data: event_uuid and files --------------------------------------------------------
def test_event_uuid_names_the_calendar_event(api: MockClient, contract) -> None:
    plain = api.join(MEET_URL)
    calendar = api.request("POST", "/calendars/", json_body=CREDS).json()["calendar"]
    events = api.request(
        "GET", "/calendar_events/", params={"calendar_id": calendar["uuid"]}
    ).json()["data"]
    event = events[0]
    resp = api.request(
        "POST",
        f"/calendar_events/{event['uuid']}/bot",
        json_body={"bot_name": "cal", "extra": {}, "silence_timeout": 300},
    )
    assert resp.status == 200
    assert resp.json()[0]["bot_param"]["silence_timeout"] == 300
    api.advance((parse_iso(event["start_time"]) - T0) / 1000)
    (bot_id,) = [b["bot_id"] for b in api._control("GET", "/bots")["bots"] if b["bot_id"] != plain]
    data = meeting_data(api, bot_id, contract)["bot_data"]
    assert data["event_uuid"] == event["uuid"]
    assert data["bot"]["silence_timeout"] == 300
    assert meeting_data(api, plain, contract)["bot_data"]["event_uuid"] is None
    # the 2026 webhook reference: `complete` (and `failed`) name the event and the extra
    api.advance(3600)
    finals = {b: api.webhooks(bot_id=b, event="complete")[0]["payload"] for b in (bot_id, plain)}
    assert finals[bot_id]["data"]["event_uuid"] == event["uuid"]
    assert finals[bot_id]["data"]["extra"] == {}
    assert finals[plain]["data"]["event_uuid"] is None
    for payload in finals.values():
        assert contract.webhook_errors("complete", payload) == []


def test_recording_files_are_served(api: MockClient, contract) -> None:
    bot_id = api.join(MEET_URL, speech_to_text=STT)
    api.advance(1815)
    data = meeting_data(api, bot_id, contract)
    assert data["speaker_diarization_file_network"] == ""
    paths = {
        key: urlsplit(data[key]).path
        for key in ("audio", "meeting_participants_file", "speaker_diarization_file")
    }
    assert paths == {
        "audio": f"/_mockbaas/media/{bot_id}/audio.wav",
        "meeting_participants_file": f"/_mockbaas/media/{bot_id}/participants.json",
        "speaker_diarization_file": f"/_mockbaas/media/{bot_id}/speaker_diarization.json",
    }
    audio = fetch(api, data["audio"])
    assert audio.status == 200 and audio.headers["Content-Type"] == "audio/wav"
    # the `complete` webhook's `audio` link serves the same file
    complete = api.webhooks(bot_id=bot_id, event="complete")[0]["payload"]["data"]
    assert fetch(api, complete["audio"]).body == audio.body
    with wave.open(io.BytesIO(audio.body)) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (1, 16_000)

    speakers = api.webhooks(bot_id=bot_id, event="complete")[0]["payload"]["data"]["speakers"]
    people = fetch(api, data["meeting_participants_file"])
    assert people.headers["Content-Type"] == "application/json"
    assert json.loads(people.body) == [{"id": n + 1, "name": s} for n, s in enumerate(speakers)]

    marks = json.loads(fetch(api, data["speaker_diarization_file"]).body)
    segments = [
        (t["speaker"], t["words"][0]["start_time"], t["words"][-1]["end_time"])
        for t in data["bot_data"]["transcripts"]
    ]
    ids = {s: n + 1 for n, s in enumerate(speakers)}
    expected = []
    for speaker, start, end in segments:
        for when, speaking in ((start, True), (end, False)):
            expected.append(
                {
                    "id": ids[speaker],
                    "isSpeaking": speaking,
                    "name": speaker,
                    "timestamp": int(round(when * 1000)),
                }
            )
    assert marks == expected and marks


def test_no_files_for_a_failed_bot(api: MockClient, contract) -> None:
    bot_id = api.join(MEET_URL, scenario="rejected")
    api.advance(3600)
    data = meeting_data(api, bot_id, contract)
    assert [data[k] for k in ("mp4", "audio", "meeting_participants_file")] == ["", "", ""]
    forged = api.request("GET", f"/_mockbaas/media/{bot_id}/audio.wav")
    assert forged.status == 403


def test_zoom_token_fields_are_stored_and_echoed(api: MockClient, contract) -> None:
    tokens = {
        "zoom_access_token_url": "https://tokens.example.com/zak",
        "zoom_obf_token": "obf-1",
        "zoom_obf_token_url": "https://tokens.example.com/obf",
        "zoom_obf_token_user_id": "KDcuGIm1QgePTO8WbOqwIQ",
    }
    bot_id = api.join("https://zoom.us/j/123", **tokens)
    bot = meeting_data(api, bot_id, contract)["bot_data"]["bot"]
    assert {k: bot[k] for k in tokens} == tokens
    plain = api.join(MEET_URL)
    bot = meeting_data(api, plain, contract)["bot_data"]["bot"]
    assert {k: bot[k] for k in tokens} == dict.fromkeys(tokens)


def test_reserved_may_be_left_out(api: MockClient) -> None:
    resp = api.request("POST", "/bots/", json_body={"meeting_url": MEET_URL, "bot_name": "b"})
    assert resp.status == 200
