"""Same seed, same requests, same answers: byte for byte, webhook journal included.

Two fresh servers with one seed and one `public_url` are fed one script (joins, time
advances, calendars, schedules, listings, deletions); every status and body must be
identical. A different seed must give different ids.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st
from support import CREDS, MEET_URL, per_subject

from mockbaas.bots import transcript as tx
from mockbaas.config import Settings
from mockbaas.contract import jsonio
from mockbaas.contract.jsonio import Deferred, dumps, loads, stand_ins
from mockbaas.ids import Ids, mixed_seed
from mockbaas.testing import BackgroundServer, MockClient, WebhookReceiver

ZOOM_URL = "https://us02web.zoom.us/j/81234567890"
Transcript = list[tuple[str, int, bytes]]


def script(api: MockClient, hook: str) -> Transcript:
    """Drive a server through a bit of everything; return what it answered."""
    seen: Transcript = []

    def call(label: str, method: str, path: str, **kw: Any) -> Any:
        resp = api.request(method, path, **kw)
        seen.append((label, resp.status, resp.body))
        # Settle: timers due now (and the webhook POSTs they await) finish before the
        # next request, as `advance` guarantees for the ones it runs. API requests do
        # not wait for in-flight webhooks (a receiver may call the API while it is
        # being posted to), so without this a request could interleave with them.
        api.clock()
        return resp.json() if resp.body else None

    def control(label: str, fn: Callable[[], Any]) -> Any:
        result = fn()
        seen.append((label, 200, repr(result).encode()))
        return result

    join = {"meeting_url": MEET_URL, "bot_name": "Notes", "reserved": False}
    first = call("join 1", "POST", "/bots/", json_body=join | {"speech_to_text": "Default"})
    control("advance 5", lambda: api.advance(5))
    second = call(
        "join 2",
        "POST",
        "/bots/",
        json_body=join | {"meeting_url": ZOOM_URL, "webhook_url": hook, "extra": {"n": 2}},
    )
    call("duplicate", "POST", "/bots/", json_body=join | {"speech_to_text": "Default"})
    call("join bad url", "POST", "/bots/", json_body=join | {"meeting_url": "https://x.test/m"})
    call("account hook", "POST", "/accounts/webhook_url", json_body={"webhook_url": hook})
    control("advance 120", lambda: api.advance(120))
    call("screenshots", "GET", f"/bots/{first['bot_id']}/screenshots")
    call("leave 2", "DELETE", f"/bots/{second['bot_id']}")

    calendar = call("calendar", "POST", "/calendars/", json_body=CREDS)["calendar"]
    call("raw", "POST", "/calendars/raw", json_body=CREDS)
    page = call("events", "GET", "/calendar_events/", params={"calendar_id": calendar["uuid"]})
    event = page["data"][0]
    call(
        "schedule",
        "POST",
        f"/calendar_events/{event['uuid']}/bot",
        json_body={"bot_name": "Cal", "extra": {"e": 1}, "transcription_custom_parameters": None},
        params={"all_occurrences": True},
    )
    call("resync", "POST", "/internal/calendar/resync_all")
    control("advance 1 day", lambda: api.advance(86_400))
    call("meeting data", "GET", "/bots/meeting_data", params={"bot_id": first["bot_id"]})
    call("listing", "GET", "/bots/bots_with_metadata", params={"limit": 3})
    call(
        "all events",
        "GET",
        "/calendar_events/",
        params={"calendar_id": calendar["uuid"], "status": "all"},
    )
    call("retranscribe", "POST", "/bots/retranscribe", json_body={"bot_uuid": first["bot_id"]})
    call("delete data", "POST", f"/bots/{first['bot_id']}/delete_data")
    control("advance 60", lambda: api.advance(60))
    control("bots", lambda: api._control("GET", "/bots"))
    control("journal", lambda: api.webhooks())
    return seen


def run(seed: int, receiver: WebhookReceiver) -> Transcript:
    settings = Settings(
        port=0, strict=True, seed=seed, public_url="http://mockbaas.test", media_secret="fixed"
    )
    with BackgroundServer(settings) as server:
        return script(MockClient(server.url), receiver.url)


def test_same_seed_same_bytes(mockbaas_receiver):
    one = run(42, mockbaas_receiver)
    received_once = [r.body for r in mockbaas_receiver.received]
    mockbaas_receiver.clear()
    two = run(42, mockbaas_receiver)
    assert [label for label, _, _ in one] == [label for label, _, _ in two]
    for (label, status_a, body_a), (_, status_b, body_b) in zip(one, two, strict=True):
        assert (status_a, body_a) == (status_b, body_b), label
    # the receiver got the same posts, byte for byte, in the same order per bot and per
    # calendar (posts to different subjects run concurrently: their interleaving is not
    # part of the promise)
    received_twice = [r.body for r in mockbaas_receiver.received]
    assert received_once and sorted(received_once) == sorted(received_twice)
    assert per_subject(received_once) == per_subject(received_twice)
    # and the script did exercise what it claims to
    statuses = {label: status for label, status, _ in one}
    assert statuses["duplicate"] == 409
    assert all(s == 200 for label, s, _ in one if label not in ("duplicate", "retranscribe"))
    assert statuses["retranscribe"] == 202
    journal = next(body for label, _, body in one if label == "journal")
    assert b"calendar.sync_events" in journal and b"'complete'" in journal


def test_different_seed_different_ids(mockbaas_receiver):
    ids = {}
    for seed in (1, 2):
        settings = Settings(port=0, strict=True, seed=seed)
        with BackgroundServer(settings) as server:
            api = MockClient(server.url)
            bot = api.join(MEET_URL)
            calendar = api.request("POST", "/calendars/", json_body=CREDS).json()["calendar"]
            ids[seed] = (bot, calendar["uuid"])
    assert ids[1][0] != ids[2][0] and ids[1][1] != ids[2][1]


def test_reset_replays_the_same_ids(api):
    """A reset server is a fresh one: same seed, same ids again."""
    first = api.join(MEET_URL)
    api.reset()
    assert api.join(MEET_URL) == first


@given(seed=st.integers(0, 2**64), epoch=st.integers(0, 2**63 - 1), draws=st.integers(1, 50))
def test_ids_are_the_random_uuids_of_the_seeded_stream(seed, epoch, draws):
    """Ids.uuid formats by hand what uuid.UUID(int=..., version=4) would: same strings."""
    ids, stream = Ids(seed, epoch), random.Random(mixed_seed(seed, epoch))
    for _ in range(draws):
        assert ids.uuid() == str(uuid.UUID(int=stream.getrandbits(128), version=4))


def test_a_deferred_part_is_written_by_orjson_exactly_as_its_value():
    """A deferred transcript is spliced in as rendered text: the same bytes as the value
    itself would give, and the fast path (orjson) is the one taken."""
    render = partial(tx.render, 7, 1800.0, ["Ann O'Neil", 'Bo "B" %s'], None)
    payload = {"event": "complete", "data": {"bot_id": "b", "transcript": Deferred(render, [])}}
    plain = {"event": "complete", "data": {"bot_id": "b", "transcript": loads(render())}}
    assert orjson.dumps(payload, default=jsonio._deferred) == dumps(plain) == dumps(payload)
    assert stand_ins(payload) == {"event": "complete", "data": {"bot_id": "b", "transcript": []}}
    assert [s["speaker"] for s in loads(render())][:2] == ["Ann O'Neil", 'Bo "B" %s']
