"""v2 `streaming_config` drives the same streaming engine as v1's `streaming`: the mock
dials `input_url` when recording starts and sends the meeting's audio at
`audio_frequency`; a stream URL that is not ws(s):// or not allowed is a 422 at the call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockbaas.config import Settings
from mockbaas.testing import BackgroundServer, MockClient, StreamReceiver

MEET = "https://meet.google.com/abc-defg-hij"


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[BackgroundServer, StreamReceiver]]:
    sink = StreamReceiver().start()
    server = BackgroundServer(Settings(port=0, strict=True)).start()
    yield server, sink
    server.stop()
    sink.stop()


@pytest.mark.parametrize("rate", [16000, 48000])
def test_a_v2_bot_streams_its_meeting_at_the_asked_rate(world, rate):
    server, sink = world
    api = MockClient(server.url)
    api.reset()
    sink.clear()
    path = f"/v2-{rate}"
    body = {
        "bot_name": "Streamer",
        "meeting_url": MEET,
        "streaming_enabled": True,
        "streaming_config": {"input_url": sink.url + path, "audio_frequency": rate},
    }
    r = api.request("POST", "/v2/bots", json_body=body)
    assert r.status == 201, r.body
    bot_id = r.json()["data"]["bot_id"]
    api.advance(600)
    assert sink.wait_for(lambda: len(sink.audio(path)) > 0)
    view = api.stream(bot_id)
    assert view["sample_rate"] == rate
    (conn,) = sink.on(path)
    assert conn.frames[0] == rate // 10 * 2  # 100 ms of 16-bit mono


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/not-a-socket", "wss://stream.example.com/in"])
def test_a_stream_url_the_mock_would_not_dial_is_a_422(world, url):
    server, _ = world
    api = MockClient(server.url)
    body = {
        "bot_name": "Streamer",
        "meeting_url": MEET,
        "streaming_enabled": True,
        "streaming_config": {"input_url": url},
    }
    r = api.request("POST", "/v2/bots", json_body=body)
    assert r.status == 422 and r.json()["code"] == "FST_ERR_WEBHOOK_TARGET_REFUSED"
    assert "streaming_config.input_url" in r.json()["message"]
