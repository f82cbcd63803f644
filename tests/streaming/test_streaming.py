"""Live audio over WebSockets (the `streaming` bot option), end to end: a real mock server
dials a real aiohttp WebSocket endpoint on loopback, and the tests check every byte and
message that endpoint received against the bot's transcript, history and journal."""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockbaas import cli
from mockbaas.config import Settings
from mockbaas.contract import Contract
from mockbaas.streaming.audio import Synth, Word, word_wave
from mockbaas.testing import BackgroundServer, MockClient, StreamReceiver, WebhookReceiver

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
MEET = "https://meet.google.com/str-eami-ngx"
STT = {"provider": "Default"}
RECORD_START_S = 2  # every test scenario starts recording 2 s after the join
CHUNK_BYTES_24K = 4800  # 100 ms at 24 kHz, 16-bit mono


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[BackgroundServer, StreamReceiver, WebhookReceiver]]:
    hooks = WebhookReceiver().start()
    sink = StreamReceiver().start()
    server = BackgroundServer(
        Settings(port=0, strict=True, scenario_dirs=[SCENARIOS], media_secret="streaming-tests")
    ).start()
    yield server, sink, hooks
    server.stop()
    sink.stop()
    hooks.stop()


@pytest.fixture
def api(world) -> MockClient:
    server, sink, hooks = world
    client = MockClient(server.url)
    client.reset()
    sink.clear()
    hooks.clear()
    return client


@pytest.fixture
def sink(world) -> StreamReceiver:
    """The endpoint, healthy and empty (faults set by an earlier test are gone)."""
    world[1].clear()
    return world[1]


@pytest.fixture
def hooks(world) -> WebhookReceiver:
    return world[2]


def ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)


def recording_start(api: MockClient, bot: str) -> int:
    history = api.bot(bot)["history"]
    return ms(next(e["created_at"] for e in history if e["code"] == "in_call_recording"))


def wait_until(ready: Callable[[], bool], timeout: float = 30) -> bool:
    """Bounded wait for something the mock does on its own thread (not a timing test)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def stream_bot(api: MockClient, sink: StreamReceiver, path: str, **streaming: Any) -> str:
    """A bot streaming its input to `path`; one meeting per path (bots are deduplicated)."""
    scenario = streaming.pop("scenario", "stream_short")
    config = {"input": sink.url + path, **streaming}
    meeting = f"{MEET}?room={path.strip('/')}"
    return api.join(meeting, scenario=scenario, streaming=config)


def events(journal: list[dict[str, Any]]) -> list[str]:
    return [entry["event"] for entry in journal]


# -- bytes and pacing ---------------------------------------------------------------------


@pytest.mark.parametrize(("frequency", "rate"), [("16khz", 16000), ("24khz", 24000), (None, 24000)])
def test_input_bytes_are_duration_times_rate_times_two(api, sink, frequency, rate):
    streaming = {"audio_frequency": frequency} if frequency else {}
    bot = stream_bot(api, sink, "/in", **streaming)
    api.advance(RECORD_START_S)  # recording starts: the mock dials
    assert len(sink.on("/in")) == 1 and sink.audio("/in") == b""

    api.advance(10)  # manual clock: advance sends exactly what its window covers
    assert sink.wait_for(lambda: len(sink.audio("/in")) == 10 * rate * 2)
    view = api.stream(bot)
    assert view["sample_rate"] == rate and view["format"] == "pcm_s16le mono"
    assert view["input"]["bytes"] == view["expected_input_bytes"] == 10 * rate * 2
    assert view["input"]["frames"] == 100

    api.advance(25)  # past the end (30 s recorded): the rest, then a normal close
    assert sink.wait_closed("/in")
    (conn,) = sink.on("/in")
    assert len(conn.audio) == 30 * rate * 2
    assert conn.frames == [rate // 10 * 2] * 300  # 100 ms chunks
    assert conn.close_code == 1000
    view = api.stream(bot)
    assert view["input"]["state"] == "closed" and view["input"]["connections"] == 1
    assert events(view["journal"]) == ["connecting", "connected", "call_ended", "closed"]
    assert view["journal"][-1]["detail"] == "code 1000 (call_ended)"


def test_audio_is_speech_where_the_transcript_has_words_and_silence_elsewhere(api, sink, hooks):
    bot = api.join(
        MEET,
        scenario="stream_short",
        webhook_url=hooks.url,
        speech_to_text=STT,
        streaming={"input": sink.url + "/in", "audio_frequency": "16khz"},
    )
    api.advance(120)
    assert sink.wait_closed("/in")
    pcm = array("h", sink.audio("/in"))
    assert len(pcm) == 30 * 16000
    (complete,) = [e["data"] for e in hooks.events() if e["event"] == "complete"]
    words = [(w["start"], w["end"]) for seg in complete["transcript"] for w in seg["words"]]
    assert words, "a 30 s meeting has talk"

    def rms(start_s: float, end_s: float) -> float:
        part = pcm[round(start_s * 16000) : round(end_s * 16000)]
        return math.sqrt(sum(x * x for x in part) / len(part)) if part else 0.0

    for start, end in words:  # the middle of every word is loud
        assert rms(start + 0.1, end - 0.1) > 1000, (start, end)
    spoken = [False] * len(pcm)
    for start, end in words:
        for i in range(round(start * 16000), round(end * 16000)):
            spoken[i] = True
    assert all(x == 0 for x, s in zip(pcm, spoken, strict=True) if not s)  # silence between
    assert bot


# -- diarization --------------------------------------------------------------------------


def test_diarization_matches_the_transcript_speakers_and_times(api, sink, hooks):
    bot = api.join(
        MEET,
        scenario="stream_short",
        webhook_url=hooks.url,
        speech_to_text=STT,
        streaming={"input": sink.url + "/in"},
    )
    api.advance(120)
    assert sink.wait_closed("/in")
    start = recording_start(api, bot)
    (complete,) = [e["data"] for e in hooks.events() if e["event"] == "complete"]
    speakers = complete["speakers"]
    expected = []
    for segment in complete["transcript"]:
        who = {"name": segment["speaker"], "id": speakers.index(segment["speaker"]) + 1}
        first, last = segment["words"][0]["start"], segment["words"][-1]["end"]
        expected.append({**who, "timestamp": start + round(first * 1000), "isSpeaking": True})
        expected.append({**who, "timestamp": start + round(last * 1000), "isSpeaking": False})
    messages = sink.messages("/in")
    received = [entry for message in messages for entry in message]
    key = lambda e: (e["timestamp"], e["isSpeaking"], e["id"])  # noqa: E731
    assert sorted(received, key=key) == sorted(expected, key=key)
    schema = Contract.load().compile({"$ref": "#/components/schemas/StreamDiarizationMessage"})
    assert all(schema.is_valid(message) for message in messages)  # as openapi.json says
    assert received == sorted(received, key=lambda e: e["timestamp"])
    assert api.stream(bot)["speakers"] == speakers
    assert api.stream(bot)["input"]["diarization_messages"] == len(messages)

    # each message arrives just before the audio frame in which its change happens
    (conn,) = sink.on("/in")
    audio_before = 0
    texts = iter(messages)
    for kind in conn.order:
        if kind == "audio":
            audio_before += 1
            continue
        message = next(texts)
        offset = message[0]["timestamp"] - start
        assert audio_before == min(offset // 100, 300), message


# -- pause, resume, leave -----------------------------------------------------------------


def test_pause_stops_the_stream_and_resume_continues_it(api, sink):
    bot = stream_bot(api, sink, "/in", scenario="stream_pause")
    per_s = 24000 * 2
    api.advance(RECORD_START_S + 10)  # paused exactly now
    assert sink.wait_for(lambda: len(sink.audio("/in")) == 10 * per_s)
    api.advance(4)  # paused: nothing more
    view = api.stream(bot)
    assert view["input"]["bytes"] == 10 * per_s and view["input"]["state"] == "open"
    assert len(sink.audio("/in")) == 10 * per_s

    api.advance(1 + 4.05)  # resumed, 4.05 s recorded since
    assert sink.wait_for(lambda: len(sink.audio("/in")) == 14 * per_s)  # whole chunks only
    api.advance(10)
    assert sink.wait_closed("/in")
    (conn,) = sink.on("/in")  # one connection throughout
    assert len(conn.audio) == 20 * per_s and conn.close_code == 1000
    # the diarization after the resume is stamped on the meeting's clock: pause included
    start = recording_start(api, bot)
    stamps = [e["timestamp"] - start for m in conn.messages for e in m]
    assert stamps and all(not 10_000 < s < 15_000 for s in stamps)


def test_leaving_closes_the_stream_normally_with_what_was_recorded(api, sink):
    bot = stream_bot(api, sink, "/in", scenario="stream_endless")
    api.advance(RECORD_START_S + 3.5)
    assert sink.wait_for(lambda: len(sink.audio("/in")) == 35 * CHUNK_BYTES_24K)
    assert api.request("DELETE", f"/bots/{bot}").status == 200
    api.advance(0)
    assert sink.wait_closed("/in")
    (conn,) = sink.on("/in")
    assert conn.close_code == 1000
    assert len(conn.audio) == 35 * CHUNK_BYTES_24K
    assert api.statuses(bot)[-1] == "call_ended"
    api.advance(60)  # nothing more: the stream is over
    assert api.stream(bot)["input"]["connections"] == 1
    assert len(sink.on("/in")) == 1


def test_leaving_mid_chunk_sends_the_partial_chunk(api, sink):
    bot = stream_bot(api, sink, "/in", scenario="stream_endless", audio_frequency="16khz")
    api.advance(RECORD_START_S + 1.25)
    assert api.request("DELETE", f"/bots/{bot}").status == 200
    api.advance(0)
    assert sink.wait_closed("/in")
    (conn,) = sink.on("/in")
    assert conn.frames == [3200] * 12 + [1600]  # 50 ms at 16 kHz
    assert conn.close_code == 1000


# -- failures -----------------------------------------------------------------------------


def test_refused_connections_are_retried_with_backoff_and_journaled(api, sink):
    sink.refuse_next(2)
    bot = stream_bot(api, sink, "/in")
    api.advance(RECORD_START_S)
    api.advance(1)  # second attempt, refused again
    api.advance(2)  # third attempt at 2 + 1 + 2 s: accepted
    journal = api.stream(bot)["journal"]
    assert [(e["at"][17:23], e["event"]) for e in journal] == [
        ("02.000", "connecting"),
        ("02.000", "refused"),
        ("03.000", "connecting"),
        ("03.000", "refused"),
        ("05.000", "connecting"),
        ("05.000", "connected"),
    ]
    assert journal[1]["detail"] == "HTTP 503 to the WebSocket upgrade; dialing again in 1 s"
    assert journal[3]["detail"].endswith("dialing again in 2 s")
    api.advance(40)
    assert sink.wait_closed("/in")
    # nothing was lost while the endpoint refused: the backlog went out first
    (conn,) = sink.on("/in")
    assert len(conn.audio) == 30 * 24000 * 2 and conn.close_code == 1000
    assert api.stream(bot)["input"]["attempts"] == 3


def test_a_dropped_connection_is_dialed_again_and_continues_the_audio(api, sink):
    sink.drop_after(20)  # the first connection breaks after 20 frames
    bot = stream_bot(api, sink, "/in")
    api.advance(RECORD_START_S)
    sink.drop_after(None)  # later connections stay up
    api.advance(5)
    assert sink.wait_for(lambda: any(c.closed for c in sink.on("/in")))
    api.advance(0)
    assert wait_until(lambda: "dropped" in events(api.stream(bot)["journal"]))
    api.advance(1)  # the redial after 1 s
    api.advance(40)  # the rest of the meeting
    assert sink.wait_closed("/in", count=2)
    first, second = sink.on("/in")
    assert first.close_code != 1000 and second.close_code == 1000
    journal = api.stream(bot)["journal"]
    assert events(journal) == [
        "connecting",
        "connected",
        "dropped",
        "connecting",
        "connected",
        "call_ended",
        "closed",
    ]
    dropped = journal[2]
    assert dropped["detail"].endswith("dialing again in 1 s")
    assert ms(journal[3]["at"]) - ms(dropped["at"]) == 1000  # backoff on the virtual clock
    assert api.stream(bot)["input"]["connections"] == 2

    # the same meeting streamed without a fault: both pieces are exact slices of it,
    # and the second picks up where the mock knew the first stopped writing
    reference = reference_audio(api, sink)
    assert first.audio == reference[: len(first.audio)]
    assert len(first.order) == 20  # audio and diarization frames
    assert second.audio == reference[len(reference) - len(second.audio) :]


def reference_audio(api: MockClient, sink: StreamReceiver) -> bytes:
    """The same first bot in a fresh world, streamed to a healthy endpoint."""
    api.reset()
    sink.clear()
    stream_bot(api, sink, "/in")
    api.advance(60)
    assert sink.wait_closed("/in")
    return sink.audio("/in")


def test_drop_and_stall_faults_on_purpose(api, sink):
    bot = stream_bot(api, sink, "/in")
    api.advance(RECORD_START_S + 2)
    assert sink.wait_for(lambda: len(sink.audio("/in")) == 20 * CHUNK_BYTES_24K)

    view = api.stream_fault(bot, stall_seconds=3)
    assert view["input"]["stalled_until"] == "2025-01-06T09:00:07.000Z"
    api.advance(2)
    assert api.stream(bot)["input"]["frames"] == 20  # held
    api.advance(1)  # the stall is over: the backlog goes out at once
    assert sink.wait_for(lambda: len(sink.audio("/in")) == 50 * CHUNK_BYTES_24K)

    api.stream_fault(bot, drop=True)
    assert sink.wait_for(lambda: any(c.closed for c in sink.on("/in")))
    api.advance(1)  # redialed after 1 s
    api.advance(40)
    assert sink.wait_closed("/in", count=2)
    journal = events(api.stream(bot)["journal"])
    assert journal[2:9] == [
        "stall",
        "stall_over",
        "drop",
        "dropped",
        "connecting",
        "connected",
        "call_ended",
    ]
    assert sink.on("/in")[-1].close_code == 1000


def test_fault_requests_are_checked(api, sink):
    def post(bot: str, body: Any) -> tuple[int, Any]:
        resp = api.request("POST", f"/_mockbaas/bots/{bot}/stream/faults", json_body=body)
        return resp.status, resp.json()

    assert post("not-a-bot", {"drop": True})[0] == 404
    plain = api.join(MEET, scenario="stream_short")
    assert post(plain, {"drop": True})[0] == 404  # no streaming option: no stream
    bot = stream_bot(api, sink, "/in")
    assert post(bot, {"drop": True})[0] == 409  # not connected yet
    api.advance(RECORD_START_S)
    status, body = post(bot, {"explode": True})
    assert status == 422 and "explode" in body["message"]
    assert post(bot, {})[0] == 422
    assert post(bot, {"drop": "yes"})[0] == 422
    assert post(bot, {"stall_seconds": -1})[0] == 422
    assert post(bot, {"stall_seconds": "x"})[0] == 422
    assert events(api.stream(bot)["journal"]) == ["connecting", "connected"]  # untouched


def test_the_mock_never_dials_a_host_the_target_policy_refuses(api, sink):
    for url in (
        "ws://stream-sink.example.com/in",
        "wss://169.254.169.254/latest",
        "ws://10.1.2.3:9000/in",
    ):  # refused at the call (422), so no bot and nothing to dial
        body = {"meeting_url": MEET, "bot_name": "L", "streaming": {"input": url}}
        assert api.request("POST", "/bots/", json_body=body).status == 422, url
    body = {"meeting_url": MEET, "bot_name": "L", "streaming": {"input": "wss://a.example/x"}}
    refused = api.request("POST", "/bots/", json_body=body).json()["message"]
    assert refused == (  # the URL as sent, not as the webhook policy reads it
        "streaming.input: stream target refused: host a.example is not allowed (names are "
        "never resolved); allow it with --webhook-allow"
    )
    for url in ("http://127.0.0.1/in", "ws://127.0.0.1:99999/in"):  # refused at the dial
        streaming = {"input": url, "output": url}
        bot = api.join(
            f"{MEET}?n={len(url)}{url[:3]}", scenario="stream_short", streaming=streaming
        )
        api.advance(RECORD_START_S + 1)
        view = api.stream(bot)
        assert view["input"]["state"] == "gave_up" and view["input"]["attempts"] == 0, url
        (entry,) = view["journal"]
        assert entry["event"] == "refused_target" and "never dialed" in entry["detail"], url
        api.advance(40)  # the bot lives on, untouched
        assert api.statuses(bot)[-1] == "call_ended"
        assert events(api.stream(bot)["journal"])[:1] == ["refused_target"]


def test_unknown_bot_and_bot_without_streaming_have_no_stream(api):
    resp = api.request("GET", "/_mockbaas/bots/nope/stream")
    assert resp.status == 404
    bot = api.join(MEET, scenario="stream_short")
    assert api.request("GET", f"/_mockbaas/bots/{bot}/stream").status == 404


# -- output: what the user's bot says -----------------------------------------------------


def voiced(seconds: float, rate: int) -> bytes:
    count = round(seconds * rate)
    wave = array("h", (int(8000 * math.sin(2 * math.pi * 220 * i / rate)) for i in range(count)))
    return wave.tobytes()


def test_output_audio_is_recorded_with_its_duration(api, sink):
    rate = 16000
    speech = voiced(2.0, rate)
    frames: list[bytes | str] = [speech[i : i + 3200] for i in range(0, len(speech), 3200)]
    frames += [bytes(3200) * 5]  # 0.5 s of silence ends the utterance
    frames += [b"\x01\x02\x03", "hello", b""]  # malformed: odd length, text, empty
    sink.speak("/out", frames)
    bot = api.join(
        MEET,
        scenario="stream_short",
        streaming={"output": sink.url + "/out", "audio_frequency": "16khz"},
    )
    api.advance(RECORD_START_S)
    assert wait_until(lambda: len(api.stream(bot)["output"]["malformed"]) == 3)
    out = api.stream(bot)["output"]
    assert out["frames"] == 21 and out["bytes"] == len(speech) + 16000
    assert out["seconds"] == 2.5
    assert out["speech_seconds"] == 2.0
    assert out["utterances"] == [{"at": "2025-01-06T09:00:02.000Z", "seconds": 2.0}]
    assert [m["reason"] for m in out["malformed"]] == [
        "3 bytes: not whole 16-bit samples",
        "text frame (5 chars): the output carries raw PCM",
        "empty frame",
    ]
    assert api.stream(bot)["input"] is None
    api.advance(40)
    assert sink.wait_closed("/out")
    assert sink.on("/out")[0].close_code == 1000


def test_one_url_for_input_and_output_is_one_connection(api, sink):
    sink.speak("/both", [voiced(1.0, 24000)])
    bot = stream_bot(api, sink, "/both", output=sink.url + "/both")
    api.advance(RECORD_START_S + 1)
    assert wait_until(lambda: api.stream(bot)["output"]["frames"] == 1)
    api.advance(40)
    assert sink.wait_closed("/both")
    (conn,) = sink.on("/both")
    assert len(conn.audio) == 30 * 24000 * 2
    view = api.stream(bot)
    assert view["output"]["seconds"] == 1.0 and view["input"]["connections"] == 1


# -- determinism --------------------------------------------------------------------------


def test_same_seed_gives_identical_audio_bytes(api, sink):
    def run() -> tuple[bytes, list[Any]]:
        api.reset()
        sink.clear()
        stream_bot(api, sink, "/in", audio_frequency="16khz")
        api.advance(3)
        api.advance(7.3)  # chunking follows the advances; the bytes do not
        api.advance(30)
        assert sink.wait_closed("/in")
        return sink.audio("/in"), sink.messages("/in")

    first = run()
    assert first == run()
    second_bot = stream_bot(api, sink, "/other", audio_frequency="16khz")  # another seed
    api.advance(40)
    assert sink.wait_closed("/other")
    assert sink.audio("/other") != first[0] and len(sink.audio("/other")) == len(first[0])
    assert second_bot


@settings(max_examples=40, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=8000), max_size=8),
    words=st.lists(
        st.tuples(
            st.integers(0, 6000), st.integers(1, 3000), st.integers(80, 260), st.integers(0, 7)
        ),
        max_size=6,
    ),
)
def test_rendering_does_not_depend_on_the_chunking(cuts, words):
    synth = Synth(16000, [Word(s, s + n, p, v) for s, n, p, v in words])
    points = sorted({0, 8000, *cuts})
    pieces = b"".join(synth.render(a, b - a) for a, b in zip(points, points[1:], strict=False))
    assert pieces == synth.render(0, 8000)
    assert len(pieces) == 8000 * 2


def test_a_word_is_loud_in_the_middle_and_fades_at_its_edges():
    wave = array("h", word_wave(147, 0, 24000, 7680))  # 320 ms
    assert abs(wave[0]) < 200 and abs(wave[-1]) < 200
    middle = wave[3000:4600]
    assert max(middle) > 5000


def test_reset_and_shutdown_with_live_streams_do_not_crash(sink):
    with BackgroundServer(Settings(port=0, scenario_dirs=[SCENARIOS])) as server:
        client = MockClient(server.url)
        stream_bot(client, sink, "/reset", scenario="stream_endless")
        client.advance(RECORD_START_S + 1)
        client.reset()  # closes the stream with 1001
        assert sink.wait_closed("/reset")
        assert sink.on("/reset")[0].close_code == 1001
        stream_bot(client, sink, "/stop", scenario="stream_endless")
        client.advance(RECORD_START_S + 1)
    assert sink.wait_closed("/stop")
    assert sink.on("/stop")[0].close_code == 1001


# -- the contract suite for a user's endpoint ---------------------------------------------


def test_contract_stream_suite_passes_a_healthy_endpoint(sink, capsys):
    assert cli.main(["contract", "stream", "--url", sink.url + "/good", "--examples", "6"]) == 0
    out = capsys.readouterr().out
    assert "mockbaas contract stream: 6 streams" in out and "0 problems" in out
    codes = [c.close_code for c in sink.on("/good")]
    assert codes.count(1000) == 6  # each stream ended normally; the others broke on purpose


def test_contract_stream_suite_reports_an_endpoint_that_drops_or_refuses(sink, capsys):
    sink.drop_after(25)
    assert cli.main(["contract", "stream", "--url", sink.url + "/flaky", "--examples", "3"]) == 1
    out = capsys.readouterr().out
    assert "connection lost mid-stream: " in out
    sink.drop_after(None)
    sink.refuse_next(1000)
    argv = ["contract", "stream", "--url", sink.url + "/closed", "--examples", "2"]
    assert cli.main(argv) == 1
    out = capsys.readouterr().out
    assert "never accepted the connection" in out and "HTTP 503" in out


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "ws://", "not a url"])
def test_contract_stream_suite_refuses_a_url_that_is_not_a_websocket(url, capsys):
    assert cli.main(["contract", "stream", "--url", url, "--examples", "1"]) == 2
    assert "--url" in capsys.readouterr().out


def test_a_saved_world_with_streaming_bots_restarts_and_streams_on(tmp_path, sink, caplog):
    """Streams are not saved: after a restart the bot lives on, and its stream opens at
    the next recording status with the meeting's audio from that point."""
    path = tmp_path / "world.json"

    def serve(state_file: Path | None) -> BackgroundServer:
        return BackgroundServer(
            Settings(port=0, seed=3, scenario_dirs=[SCENARIOS], state_file=state_file)
        )

    with serve(None) as server:  # the reference: never stopped
        client = MockClient(server.url)
        stream_bot(client, sink, "/ref", scenario="stream_pause")
        client.advance(60)
        assert sink.wait_closed("/ref")
    with serve(path) as server:
        client = MockClient(server.url)
        bot = stream_bot(client, sink, "/saved", scenario="stream_pause")
        client.advance(RECORD_START_S + 3)  # stopped (and saved) mid-recording
    with serve(path) as server:
        client = MockClient(server.url)
        assert client.bot(bot)["status"] == "in_call_recording"
        client.advance(12)  # paused at 12 s, resumed at 17 s: the stream opens
        client.advance(60)  # the end: the bot's life went on, no crash
        assert client.statuses(bot)[-1] == "call_ended"
        view = client.stream(bot)
        assert events(view["journal"])[:3] == ["joined_late", "connecting", "connected"]
        assert sink.wait_closed("/saved", count=2)
    reference = sink.audio("/ref")
    first, after = sink.on("/saved")
    assert len(first.audio) == 3 * 48000 and first.close_code == 1001  # the shutdown
    assert len(after.audio) == 10 * 48000 and after.close_code == 1000
    assert after.audio == reference[10 * 48000 :]  # the second half of the same meeting
    assert "pending timers" not in caplog.text  # stream timers are known, not lost


def test_a_v2_bot_streams_its_streaming_config(api, sink):
    body = {
        "bot_name": "v2 streamer",
        "meeting_url": f"{MEET}?room=v2",
        "extra": {"mockbaas_scenario": "stream_short"},
        "streaming_enabled": True,
        "streaming_config": {"input_url": sink.url + "/v2", "audio_frequency": 48000},
    }
    resp = api.request("POST", "/v2/bots", json_body=body)
    assert resp.status in (200, 201), resp.body
    bot = resp.json()["data"]["bot_id"]
    api.advance(40)
    assert sink.wait_closed("/v2")
    (conn,) = sink.on("/v2")
    assert len(conn.audio) == 30 * 48000 * 2 and conn.close_code == 1000
    assert api.stream(bot)["sample_rate"] == 48000
    off = api.request("POST", "/v2/bots", json_body={**body, "streaming_enabled": False})
    api.advance(40)
    assert len(sink.on("/v2")) == 1  # not enabled: never dialed
    assert off.status in (200, 201)


def test_output_sent_while_paused_is_discarded_and_utterances_are_timed(api, sink):
    bot = api.join(
        f"{MEET}?room=agent",
        scenario="stream_pause",
        streaming={"output": sink.url + "/agent", "audio_frequency": "16khz"},
    )
    api.advance(RECORD_START_S + 4)  # recording, 4 s in: the agent answers for 2 s
    sink.send("/agent", [voiced(2.0, 16000)])
    assert wait_until(lambda: api.stream(bot)["output"]["frames"] == 1)
    api.advance(6)  # paused (the docs: nothing is forwarded until resume)
    sink.send("/agent", [voiced(0.5, 16000)] * 3)
    assert wait_until(lambda: api.stream(bot)["output"]["discarded_while_paused"] == 3)
    api.advance(5)  # resumed
    sink.send("/agent", [voiced(1.5, 16000)])
    assert wait_until(lambda: api.stream(bot)["output"]["frames"] == 2)
    out = api.stream(bot)["output"]
    assert out["seconds"] == 3.5 and out["speech_seconds"] == 3.5
    assert out["utterances"] == [
        {"at": "2025-01-06T09:00:06.000Z", "seconds": 2.0},
        {"at": "2025-01-06T09:00:17.000Z", "seconds": 1.5},
    ]


def test_a_scheduled_calendar_bot_streams(api, sink):
    creds = {
        "platform": "Google",
        "oauth_client_id": "id",
        "oauth_client_secret": "secret",
        "oauth_refresh_token": "token",
    }
    calendar = api.request("POST", "/calendars/", json_body=creds).json()["calendar"]
    page = api.request("GET", "/calendar_events/", params={"calendar_id": calendar["uuid"]})
    event = next(e for e in page.json()["data"] if not e["is_recurring"])
    param = {
        "bot_name": "Calendar streamer",
        "extra": {"mockbaas_scenario": "stream_short"},
        "streaming_input": sink.url + "/calendar",
        "streaming_audio_frequency": "16khz",
    }
    resp = api.request("POST", f"/calendar_events/{event['uuid']}/bot", json_body=param)
    assert resp.status == 200, resp.body
    start = ms(event["start_time"])
    api.advance((start - api.clock()["now_ms"]) / 1000)  # the bot joined 4 minutes before
    api.advance(60)
    assert sink.wait_closed("/calendar")
    (conn,) = sink.on("/calendar")
    assert len(conn.audio) == 30 * 16000 * 2 and conn.close_code == 1000


@pytest.mark.parametrize("name", ["input", "output"])
def test_a_v1_stream_endpoint_the_policy_refuses_is_a_422_at_the_call(mockbaas, name):
    body = {
        "meeting_url": MEET,
        "bot_name": "Listener",
        "reserved": False,
        "streaming": {name: "ws://10.1.2.3:9000/audio"},
    }
    resp = mockbaas.request("POST", "/bots/", json_body=body)
    assert resp.status == 422
    assert f"streaming.{name}" in resp.json()["message"]
    assert "--webhook-allow" in resp.json()["message"]
    assert mockbaas._control("GET", "/bots")["bots"] == []  # nothing was created
    [logged] = mockbaas.requests()
    assert (logged["status"], logged["violation"], logged["behaviour"]) == (422, False, True)


def test_the_stream_receiver_is_a_context_manager_like_the_webhook_receiver():
    with StreamReceiver() as rx:
        assert rx.url.startswith("ws://127.0.0.1:")
        started = rx.url
    with StreamReceiver().start() as again:  # started already: kept as it is
        assert again.url != started
