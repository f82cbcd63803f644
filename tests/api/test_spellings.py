"""Spellings the docs use but the reference file does not: served (camelCase event
filters, a top-level retranscribe `provider`) or flagged in the traffic log (`offset` /
`limit` and any other undeclared query parameter) — never silently unfiltered."""

from __future__ import annotations

from typing import Any

import pytest
from support import CREDS, MEET_URL, assert_conforms

from mockbaas.testing import MockClient


def calendar_events(api: MockClient, **params: Any) -> list[dict[str, Any]]:
    resp = api.request("GET", "/calendar_events/", params={"status": "all", **params})
    assert resp.status == 200, resp.body
    return resp.json()["data"]


@pytest.fixture
def calendar(api: MockClient) -> dict[str, Any]:
    return api.request("POST", "/calendars/", json_body=CREDS).json()["calendar"]


def test_camel_case_filters_filter_like_the_contract_names(api, contract, calendar) -> None:
    uuid = calendar["uuid"]
    everything = calendar_events(api, calendar_id=uuid)
    guest = everything[0]["attendees"][-1]["email"]
    organizer = everything[1]["raw"]["organizer"]["email"]
    low, high = everything[3]["start_time"], everything[10]["start_time"]
    pairs = [
        ({"attendee_email": guest}, {"attendeeEmail": guest}),
        ({"organizer_email": organizer}, {"organizerEmail": organizer}),
        (
            {"start_date_gte": low, "start_date_lte": high},
            {"startDateGte": low, "startDateLte": high},
        ),
    ]
    for snake, camel in pairs:
        expected = calendar_events(api, calendar_id=uuid, **snake)
        assert 0 < len(expected) < len(everything)
        assert calendar_events(api, calendar_id=uuid, **camel) == expected
        assert calendar_events(api, calendar_id=uuid, **snake, **camel) == expected
    assert api.requests(violations=True) == []
    # both spellings, different values: both filters apply
    assert calendar_events(api, calendar_id=uuid, attendee_email=guest, attendeeEmail="x@y.z") == []
    window = calendar_events(api, calendar_id=uuid, start_date_gte=low, startDateLte=high)
    assert window == everything[3:11]


def test_offset_and_limit_are_flagged_not_silently_ignored(api, contract, calendar) -> None:
    params = {"calendar_id": calendar["uuid"], "offset": "10", "limit": "5"}
    resp = api.request("GET", "/calendar_events/", params=params)
    assert resp.status == 200  # the real API ignores them: the whole first page comes back
    plain = api.request("GET", "/calendar_events/", params={"calendar_id": calendar["uuid"]})
    assert resp.json() == plain.json()
    (flagged,) = api.requests(violations=True)
    assert (flagged["operation_id"], flagged["status"], flagged["violation"]) == (
        "list_events",
        200,
        True,
    )
    assert flagged["ignored_params"] == ["limit", "offset"]
    with pytest.raises(
        AssertionError, match=r"ignored what the contract does not declare: limit, offset"
    ):
        api.assert_contract_kept()


def test_a_declared_call_is_not_flagged(api, calendar) -> None:
    calendar_events(api, calendar_id=calendar["uuid"])
    (entry,) = api.requests(operation_id="list_events")
    assert entry["ignored_params"] == [] and entry["violation"] is False


def test_retranscribe_with_a_top_level_provider(api, contract) -> None:
    bot_id = api.join(MEET_URL)
    api.advance(3600)
    resp = api.request(
        "POST", "/bots/retranscribe", json_body={"bot_uuid": bot_id, "provider": "Default"}
    )
    assert resp.status == 202
    api.advance(60)
    (done,) = api.webhooks(bot_id=bot_id, event="transcription_complete")
    assert done["payload"] == {"event": "transcription_complete", "data": {"bot_id": bot_id}}
    meeting = api.request("GET", "/bots/meeting_data", params={"bot_id": bot_id}).json()
    assert meeting["bot_data"]["bot"]["speech_to_text_provider"] == "Default"
    assert meeting["bot_data"]["transcripts"]
    both = api.request(
        "POST",
        "/bots/retranscribe",
        json_body={"bot_uuid": bot_id, "provider": "Default", "speech_to_text": "Default"},
    )
    assert both.status == 422
    assert_conforms(contract, "retranscribe_bot", both)
    assert both.json()["details"][0]["path"] == "provider"
    wrong = api.request(
        "POST", "/bots/retranscribe", json_body={"bot_uuid": bot_id, "provider": "Whisper"}
    )
    assert wrong.status == 422 and wrong.json()["details"][0]["path"] == "provider"
