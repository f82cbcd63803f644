from support import MEET_URL, assert_conforms


def test_join_then_meeting_data(api, contract):
    bot_id = api.join(MEET_URL)
    api.advance(3600)
    resp = api.request("GET", "/bots/meeting_data", params={"bot_id": bot_id})
    assert resp.status == 200
    assert_conforms(contract, "get_meeting_data", resp)
    assert resp.json()["duration"] == 1800
