"""Which refused names get a suggestion: typos, never a different value."""

from __future__ import annotations

import pytest

from mockbaas.errors import did_you_mean, one_of

RATES = ["16khz", "24khz"]


@pytest.mark.parametrize(
    ("given", "choices", "meant"),
    [
        ("bot_nme", ["bot_name", "bot_image"], "bot_name"),  # a letter missing
        ("botName", ["bot_name"], "bot_name"),  # the other spelling convention
        ("Audio_Only", ["speaker_view", "audio_only"], "audio_only"),  # case alone
        ("compelte", ["complete", "bot.completed"], "complete"),  # neighbours swapped
        ("jion", ["join", "leave"], "join"),
        ("in_call_recordin", ["in_call_recording", "in_call_not_recording"], "in_call_recording"),
    ],
)
def test_a_typo_names_what_was_meant(given, choices, meant):
    assert did_you_mean(given, choices) == f'; did you mean "{meant}"?'


@pytest.mark.parametrize(
    ("given", "choices"),
    [
        ("48khz", RATES),  # another rate, not a typo of one
        ("44khz", RATES),  # one edit away, but another number
        ("zoom_sdk_key", ["zoom_sdk_id", "zoom_sdk_pwd"]),  # three edits
        ("zoom_token", ["zoom_obf_token"]),
        ("getBot", ["createBot", "join"]),
        ("", ["a"]),
        (3, ["3"]),
    ],
)
def test_no_guess_for_what_is_no_typo(given, choices):
    assert did_you_mean(given, choices) == ""


def test_one_of_lists_every_name_then_the_one_meant():
    assert one_of("admitt", ["end", "admit"]) == 'one of admit, end; did you mean "admit"?'
    assert one_of("zzz", ["end", "admit"]) == "one of admit, end"


def test_control_pushes_and_triggers_suggest_too(api):
    bot = api.join()
    resp = api.request("POST", f"/_mockbaas/bots/{bot}/transition", json_body={"status": "admitt"})
    assert resp.status == 422
    assert resp.json()["message"].endswith('; did you mean "admit"?')
    body = {"status": "end", "end_reason": "api_requst"}
    resp = api.request("POST", f"/_mockbaas/bots/{bot}/transition", json_body=body)
    assert resp.status == 422
    assert resp.json()["message"].endswith('; did you mean "api_request"?')
    resp = api.request("POST", "/_mockbaas/webhooks/trigger", json_body={"event": "Complete"})
    assert resp.status == 422
    assert resp.json()["message"].endswith('; did you mean "complete"?')
