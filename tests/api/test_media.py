"""What a bot produced, over HTTP: transcript and speakers only with speech_to_text, real
media bytes behind signed links that expire after 2 virtual hours, screenshots,
delete_data and retranscribe."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from support import MEET_URL, assert_conforms

from mockbaas.bots.transcript import generate
from mockbaas.clock import DEFAULT_START, iso, to_ms
from mockbaas.testing import MockClient, Response

T0 = to_ms(DEFAULT_START)
DAY = 24 * 3600
STT = {"provider": "Default"}
PNG = b"\x89PNG\r\n\x1a\n"


def at(seconds: float) -> str:
    return iso(T0 + int(round(seconds * 1000)))


def fetch(api: MockClient, url: str) -> Response:
    assert url.startswith(api.url + "/_mockbaas/media/"), url
    return api.request("GET", url[len(api.url) :])


def meeting_data(api: MockClient, bot_id: str, contract: Any = None, **params: Any) -> Any:
    resp = api.request("GET", "/bots/meeting_data", params={"bot_id": bot_id, **params})
    assert resp.status == 200, resp.body
    if contract is not None:
        assert_conforms(contract, "get_meeting_data", resp)
    return resp.json()


def complete_of(api: MockClient, bot_id: str) -> dict[str, Any]:
    (delivery,) = api.webhooks(bot_id=bot_id, event="complete")
    return delivery["payload"]["data"]


# -- transcript and speakers ----------------------------------------------------------------
def test_speech_to_text_gives_transcript_and_speakers(api: MockClient, contract) -> None:
    bot_id = api.join(MEET_URL, speech_to_text=STT)
    api.advance(DAY)
    data = complete_of(api, bot_id)
    assert list(data) == [
        "bot_id",
        "event_uuid",
        "mp4",
        "audio",
        "speakers",
        "transcript",
        "event",
        "extra",
    ]
    speakers = data["speakers"]
    assert 2 <= len(speakers) <= 4 and len(set(speakers)) == len(speakers)
    segments = data["transcript"]
    assert segments and {seg["speaker"] for seg in segments} == set(speakers)
    for seg in segments:
        assert seg["words"] and seg["offset"] == seg["words"][0]["start"]
        for word in seg["words"]:
            assert 0 <= word["start"] < word["end"] <= 1800 and word["word"]
    meeting = meeting_data(api, bot_id, contract)
    transcripts = meeting["bot_data"]["transcripts"]
    assert [t["speaker"] for t in transcripts] == [seg["speaker"] for seg in segments]
    assert [[w["text"] for w in t["words"]] for t in transcripts] == [
        [w["word"] for w in seg["words"]] for seg in segments
    ]
    assert meeting["bot_data"]["bot"]["speech_to_text_provider"] == "Default"
    assert meeting_data(api, bot_id, include_transcripts=False)["bot_data"]["transcripts"] == []
    listed = api.request("GET", "/bots/bots_with_metadata").json()["bots"]
    assert listed[0]["speakers"] == speakers


def test_no_speech_to_text_means_no_transcript_and_no_speakers(api: MockClient, contract) -> None:
    bot_id = api.join(MEET_URL)
    api.advance(DAY)
    data = complete_of(api, bot_id)
    assert "transcript" not in data and data["speakers"] == []
    meeting = meeting_data(api, bot_id, contract)
    assert meeting["bot_data"]["transcripts"] == []
    assert meeting["bot_data"]["bot"]["speech_to_text_provider"] is None
    assert api.request("GET", "/bots/bots_with_metadata").json()["bots"][0]["speakers"] == []


def test_speech_to_text_as_a_provider_name(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, speech_to_text="Default")
    api.advance(DAY)
    assert complete_of(api, bot_id)["transcript"]
    assert meeting_data(api, bot_id)["bot_data"]["bot"]["speech_to_text_provider"] == "Default"


@pytest.mark.parametrize(
    "speech",
    [
        "Gladia",
        "Runpod",
        {"provider": "Gladia"},
        {"provider": "Runpod", "api_key": None},
        {"provider": "Gladia", "api_key": ""},
    ],
)
def test_gladia_and_runpod_need_their_api_key(api: MockClient, speech: Any) -> None:
    """The docs: `api_key` is required when using Gladia or Runpod."""
    resp = api.request(
        "POST",
        "/bots/",
        json_body={"meeting_url": MEET_URL, "bot_name": "b", "speech_to_text": speech},
    )
    assert resp.status == 422, resp.body
    assert resp.json()["details"][0]["path"].startswith("speech_to_text")
    assert api.request("GET", "/bots/bots_with_metadata").json()["bots"] == []
    keyed = {"provider": speech if isinstance(speech, str) else speech["provider"], "api_key": "k"}
    bot_id = api.join(MEET_URL, speech_to_text=keyed)
    assert meeting_data(api, bot_id)["bot_data"]["bot"]["speech_to_text_api_key"] == "k"


def test_paused_time_is_not_in_the_transcript(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, scenario="pause_resume", speech_to_text=STT)
    api.advance(DAY)
    words = [w for seg in complete_of(api, bot_id)["transcript"] for w in seg["words"]]
    assert max(w["end"] for w in words) <= 1140  # 1140 s recorded


def test_a_fixed_script_is_heard_only_while_recording() -> None:
    lines = [{"speaker": "Ada", "text": "one two three"}, {"speaker": "Bob", "text": "four"}]
    assert generate(0, 0.0, ["Ada", "Bob"], lines) == []  # nothing recorded, nothing heard
    (segment,) = generate(0, 1.7, ["Ada", "Bob"], lines)  # "three" would end at 2.04
    assert segment["speaker"] == "Ada" and [w["word"] for w in segment["words"]] == ["one", "two"]
    assert [len(s["words"]) for s in generate(0, 3.0, ["Ada", "Bob"], lines)] == [3, 1]


# -- recordings -------------------------------------------------------------------------------
def test_mp4_is_real_and_expires_after_two_virtual_hours(api: MockClient, contract) -> None:
    bot_id = api.join(MEET_URL)
    api.advance(1815)
    url = complete_of(api, bot_id)["mp4"]
    assert urlsplit(url).path == f"/_mockbaas/media/{bot_id}/recording.mp4"
    resp = fetch(api, url)
    assert resp.status == 200 and resp.headers["Content-Type"] == "video/mp4"
    assert resp.body[4:8] == b"ftyp" and len(resp.body) > 100
    api.advance(7200)  # exactly two hours: still valid
    assert fetch(api, url).status == 200
    api.advance(0.001)
    expired = fetch(api, url)
    assert expired.status == 403
    assert expired.json() == {
        "error": "forbidden",
        "message": "this link has expired (links last 2 hours)",
    }
    fresh = meeting_data(api, bot_id, contract)["mp4"]
    assert fresh != url
    assert parse_qs(urlsplit(fresh).query)["X-Amz-Expires"] == [
        str(T0 + (1815 + 7200) * 1000 + 1 + 7200 * 1000)
    ]
    again = fetch(api, fresh)
    assert again.status == 200 and again.body[4:8] == b"ftyp"


def test_audio_only_is_an_mp3(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, recording_mode="audio_only")
    api.advance(1815)
    url = complete_of(api, bot_id)["mp4"]
    assert urlsplit(url).path.endswith("/recording.mp3")
    resp = fetch(api, url)
    assert resp.status == 200 and resp.headers["Content-Type"] == "audio/mpeg"
    assert resp.body[:3] == b"ID3"
    assert meeting_data(api, bot_id)["bot_data"]["bot"]["mp4_s3_path"] == (
        f"{bot_id}/recording.mp3"
    )


def test_links_cannot_be_forged(api: MockClient) -> None:
    bot_id = api.join(MEET_URL)
    api.advance(1815)
    url = complete_of(api, bot_id)["mp4"]
    assert fetch(api, url).status == 200
    query = parse_qs(urlsplit(url).query)
    path = f"/_mockbaas/media/{bot_id}/recording.mp4"
    later = int(query["X-Amz-Expires"][0]) + 10**9
    cases = [
        (f"{path}?X-Amz-Expires={query['X-Amz-Expires'][0]}&X-Amz-Signature=00", 403, "signature"),
        (
            f"{path}?X-Amz-Expires={later}&X-Amz-Signature={query['X-Amz-Signature'][0]}",
            403,
            "signature",
        ),
        (f"{path}?X-Amz-Signature={query['X-Amz-Signature'][0]}", 403, "X-Amz-Expires missing"),
        (f"{path}?X-Amz-Expires=soon&X-Amz-Signature=x", 403, "'soon' is not an expiry time"),
        (
            f"{path}?X-Amz-Expires=%2B{query['X-Amz-Expires'][0]}"
            f"&X-Amz-Signature={query['X-Amz-Signature'][0]}",
            403,
            "digits only",
        ),
        (
            url[len(api.url) :].replace(bot_id, "00000000-0000-4000-8000-000000000000"),
            404,
            "not found",
        ),
        (url[len(api.url) :].replace("recording.mp4", "recording.mp3"), 403, "signature"),
    ]
    for path_and_query, status, needle in cases:
        resp = api.request("GET", path_and_query)
        assert resp.status == status, path_and_query
        assert needle in resp.json()["message"], resp.json()


def test_no_recording_for_a_failed_bot(api: MockClient) -> None:
    bot_id = api.join(MEET_URL, scenario="rejected")
    api.advance(DAY)
    assert meeting_data(api, bot_id)["mp4"] == ""


# -- screenshots ------------------------------------------------------------------------------
def test_screenshots_are_pngs(api: MockClient, contract) -> None:
    bot_id = api.join(MEET_URL)
    api.advance(60)
    resp = api.request("GET", f"/bots/{bot_id}/screenshots")
    assert resp.status == 200
    assert_conforms(contract, "get_screenshots", resp)
    shots = resp.json()
    assert [s["date"] for s in shots] == [at(8), at(10)]
    bodies = []
    for shot in shots:
        image = fetch(api, shot["url"])
        assert image.status == 200 and image.headers["Content-Type"] == "image/png"
        assert image.body.startswith(PNG) and image.body[12:16] == b"IHDR"
        bodies.append(image.body)
    assert bodies[0] != bodies[1]
    other = api.request("GET", f"/bots/{bot_id}/screenshots", api_key="someone-else")
    assert other.status == 404


# -- delete_data ------------------------------------------------------------------------------
def test_delete_data_removes_recording_transcript_and_screenshots(
    api: MockClient, contract
) -> None:
    bot_id = api.join(MEET_URL, speech_to_text=STT)
    api.advance(DAY)
    mp4 = complete_of(api, bot_id)["mp4"]
    shot = api.request("GET", f"/bots/{bot_id}/screenshots").json()[0]["url"]
    resp = api.request("POST", f"/bots/{bot_id}/delete_data")
    assert_conforms(contract, "delete_data", resp)
    assert resp.json() == {"ok": True, "status": "deleted"}
    meeting = meeting_data(api, bot_id, contract)
    assert meeting["mp4"] == "" and meeting["bot_data"]["transcripts"] == []
    assert meeting["bot_data"]["bot"]["mp4_s3_path"] == ""
    assert api.request("GET", f"/bots/{bot_id}/screenshots").json() == []
    assert fetch(api, mp4).status == 404 and fetch(api, shot).status == 404
    assert api.bot(bot_id)["data_deleted"] is True
    again = api.request("POST", f"/bots/{bot_id}/delete_data")
    assert again.json() == {"ok": True, "status": "alreadyDeleted"}
    retr = api.request("POST", "/bots/retranscribe", json_body={"bot_uuid": bot_id})
    assert retr.status == 404


def test_delete_data_without_data_and_while_processing(api: MockClient, contract) -> None:
    failed = api.join(MEET_URL, scenario="rejected")
    api.advance(DAY)
    resp = api.request("POST", f"/bots/{failed}/delete_data")
    assert resp.json() == {"ok": True, "status": "noDataFound"}
    # deleted between call_ended and complete: complete still comes, with a dead link
    bot_id = api.join("https://zoom.us/j/1", speech_to_text=STT)
    api.advance(1812)
    assert api.request("POST", f"/bots/{bot_id}/delete_data").json()["status"] == "deleted"
    api.advance(10)
    data = complete_of(api, bot_id)
    assert data["speakers"] == [] and data["transcript"] == []
    assert contract.webhook_errors("complete", {"event": "complete", "data": data}) == []
    assert fetch(api, data["mp4"]).status == 404


def test_delete_data_rate_limit(api: MockClient, contract) -> None:
    bot_id = api.join(MEET_URL)
    api.advance(DAY)
    for _ in range(5):
        assert api.request("POST", f"/bots/{bot_id}/delete_data").status == 200
    limited = api.request("POST", f"/bots/{bot_id}/delete_data")
    assert limited.status == 429
    assert_conforms(contract, "delete_data", limited)
    assert limited.json()["error"] == "rate_limited" and limited.headers["Retry-After"] == "60"
    api.advance(60)
    assert api.request("POST", f"/bots/{bot_id}/delete_data").status == 200


# -- retranscribe -----------------------------------------------------------------------------
@pytest.mark.parametrize("stt", [STT, None], ids=["had-transcript", "had-none"])
def test_retranscribe_sends_transcription_complete_with_a_new_transcript(
    api: MockClient, contract, stt: Any
) -> None:
    fields = {"speech_to_text": stt} if stt else {}
    bot_id = api.join(MEET_URL, **fields)
    api.advance(DAY)
    before = meeting_data(api, bot_id)["bot_data"]["transcripts"]
    resp = api.request("POST", "/bots/retranscribe", json_body={"bot_uuid": bot_id})
    assert resp.status == 202
    api.advance(29.999)
    assert api.webhooks(bot_id=bot_id, event="transcription_complete") == []
    assert meeting_data(api, bot_id)["bot_data"]["transcripts"] == before
    api.advance(0.001)
    (done,) = api.webhooks(bot_id=bot_id, event="transcription_complete")
    assert done["created_at"] == at(DAY + 30)
    assert done["payload"] == {"event": "transcription_complete", "data": {"bot_id": bot_id}}
    after = meeting_data(api, bot_id, contract)
    assert after["bot_data"]["transcripts"] and after["bot_data"]["transcripts"] != before
    assert after["bot_data"]["bot"]["speech_to_text_provider"] == "Default"


def test_retranscribe_needs_a_recording(api: MockClient) -> None:
    failed = api.join(MEET_URL, scenario="rejected")
    live = api.join("https://zoom.us/j/2", scenario="until_removed")
    api.advance(DAY)
    for bot_id in (failed, live, "00000000-0000-4000-8000-000000000000"):
        resp = api.request("POST", "/bots/retranscribe", json_body={"bot_uuid": bot_id})
        assert resp.status == 404 and resp.json()["error"] == "not_found"
    assert api.webhooks(event="transcription_complete") == []


@pytest.mark.mockbaas(link_ttl=86400)
def test_link_ttl_makes_links_last_as_long_as_asked(api: MockClient) -> None:
    """The docs say two hours in one place and 24 hours in others: `--link-ttl` picks."""
    bot_id = api.join(MEET_URL)
    api.advance(1815)
    url = complete_of(api, bot_id)["mp4"]
    api.advance(86400)  # a day: still valid
    assert fetch(api, url).status == 200
    api.advance(0.001)
    expired = fetch(api, url)
    assert expired.status == 403
    assert expired.json()["message"] == "this link has expired (links last 24 hours)"
