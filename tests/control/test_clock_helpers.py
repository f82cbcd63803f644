"""advance_to, advance_until and run_until_idle: on the Clock, over HTTP, from MockClient."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from mockbaas import stepping
from mockbaas.clock import DEFAULT_START, Clock, iso, to_ms

T0 = to_ms(DEFAULT_START)


def at(seconds: float) -> str:
    return iso(T0 + int(seconds * 1000))


def test_advance_to_a_datetime_or_an_iso_string(mockbaas):
    bot = mockbaas.join()
    found = mockbaas.advance_to(DEFAULT_START + timedelta(seconds=9))
    assert found["now"] == at(9) and found["fired"] == 1
    assert mockbaas.statuses(bot) == ["joining_call", "in_call_not_recording"]
    mockbaas.advance_to("2025-01-06T09:00:10Z")
    assert mockbaas.statuses(bot)[-1] == "in_call_recording"
    mockbaas.advance_to(datetime(2025, 1, 6, 9, 1))  # naive: UTC
    assert mockbaas.clock()["now"] == at(60)


@pytest.mark.parametrize(
    "body, message",
    [
        ({"time": "2025-01-06T08:59:59Z"}, "between now and one year ahead"),
        ({"time": "tomorrow"}, "ISO-8601"),
        ({}, "time: must be a non-empty string"),
        ({"time": "2025-01-06T10:00:00Z", "seconds": 1}, "seconds: unknown field"),
    ],
)
def test_advance_to_refuses_the_past_and_bad_bodies(mockbaas, body, message):
    resp = mockbaas.request("POST", "/_mockbaas/clock/advance_to", json_body=body)
    assert resp.status == 422 and message in resp.json()["message"]
    assert mockbaas.clock()["now"] == at(0)


def test_advance_until_a_status_stops_at_the_instant_it_happened(mockbaas):
    bot = mockbaas.join()
    other = mockbaas.join("https://zoom.us/j/1", scenario="rejected")
    found = mockbaas.advance_until(status="in_call_recording", bot_id=bot)
    assert found["reached"] is True and found["now"] == at(10)
    found = mockbaas.advance_until(status="complete", bot_id=bot)
    assert found["now"] == at(1815)
    assert mockbaas.bot(bot)["outcome"] == "complete"
    assert mockbaas.bot(other)["outcome"] == "failed"  # time moved for everyone


def test_advance_until_any_bot(mockbaas):
    mockbaas.join(scenario="rejected")
    found = mockbaas.advance_until(status="failed")
    assert found["reached"] and found["pending_timers"] == 0


def test_advance_until_gives_up_at_the_bound(mockbaas):
    bot = mockbaas.join()
    with pytest.raises(AssertionError, match=r"did not reach bot_rejected within 60 virtual"):
        mockbaas.advance_until(status="bot_rejected", bot_id=bot, max_seconds=60)
    assert mockbaas.clock()["now"] == at(60)


def test_advance_until_a_predicate_polled_between_steps(mockbaas):
    bot = mockbaas.join()
    mockbaas.advance_until(lambda: len(mockbaas.webhooks(bot_id=bot)) == 3)
    assert mockbaas.clock()["now"] == at(10)
    assert [d["payload"]["data"]["status"]["code"] for d in mockbaas.webhooks(bot_id=bot)] == [
        "joining_call",
        "in_call_not_recording",
        "in_call_recording",
    ]
    with pytest.raises(AssertionError, match="predicate did not hold within 100 virtual"):
        mockbaas.advance_until(lambda: False, max_seconds=100)
    assert mockbaas.clock()["now"] == at(110)
    with pytest.raises(TypeError):
        mockbaas.advance_until(lambda: True, status="complete")


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"status": "dancing"}, 422, "status: one of"),
        ({"status": "complete", "bot_id": "nope"}, 404, "bot nope not found"),
        ({"status": "complete", "max_seconds": -1}, 422, "max_seconds: must be between"),
        ({"status": "complete", "when": 1}, 422, "when: unknown field"),
    ],
)
def test_advance_until_refuses_bad_bodies(mockbaas, body, status, message):
    resp = mockbaas.request("POST", "/_mockbaas/clock/advance_until", json_body=body)
    assert resp.status == status and message in resp.json()["message"]
    assert mockbaas.clock()["now"] == at(0)


def test_run_until_idle_lives_every_bot_to_its_end(mockbaas):
    happy = mockbaas.join()
    long = mockbaas.join("https://zoom.us/j/2", scenario="long_meeting")
    found = mockbaas.run_until_idle()
    assert found["idle"] and found["pending_timers"] == 0 and found["next_due"] is None
    assert mockbaas.bot(happy)["outcome"] == "complete"
    assert mockbaas.bot(long)["outcome"] == "complete"
    # time stopped at the last thing that happened (long_meeting's complete), not the bound
    assert found["now"] == max(d["created_at"] for d in mockbaas.webhooks())
    assert found["now"] < at(24 * 3600)


def test_run_until_idle_is_bounded(mockbaas):
    bot = mockbaas.join()
    with pytest.raises(AssertionError, match=r"still pending after 60 virtual seconds"):
        mockbaas.run_until_idle(max_seconds=60)
    assert mockbaas.clock()["now"] == at(10)  # the last timer within the bound
    assert mockbaas.statuses(bot)[-1] == "in_call_recording"


def test_a_timer_that_rearms_forever_ends_the_walk_at_the_bound():
    async def main() -> tuple[bool, int, int]:
        clock = Clock()

        async def again() -> None:
            clock.call_later(1, again)

        clock.call_later(1, again)
        idle, fired = await stepping.run_until_idle(clock, 10_000)
        return idle, fired, clock.now()

    idle, fired, now = asyncio.run(main())
    assert (idle, fired, now) == (False, 10, T0 + 10_000)


def test_advance_to_the_past_is_refused_by_the_engine():
    async def main() -> None:
        clock = Clock(start=datetime(2025, 1, 1, tzinfo=UTC))
        await clock.advance(5)
        with pytest.raises(ValueError, match="past"):
            await stepping.advance_to(clock, clock.now() - 1)

    asyncio.run(main())
