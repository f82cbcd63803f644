"""The virtual clock: timer order, timers scheduled while time moves, cancellation,
realtime mode (at a high speed, polled with bounded loops: no timed assertions), and the
clock as the control API shows it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from support import MEET_URL

from mockbaas.clock import DEFAULT_START, MANUAL, REALTIME, Clock, iso, parse_iso, to_ms
from mockbaas.config import Settings
from mockbaas.testing import BackgroundServer, MockClient

T0 = to_ms(DEFAULT_START)


def run(coro: Awaitable[None]) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def recorder(clock: Clock, log: list[tuple[str, int]]) -> Callable[[str], Callable]:
    def make(name: str) -> Callable:
        async def callback() -> None:
            log.append((name, clock.now()))

        return callback

    return make


def test_timers_run_by_due_time_then_insertion_order() -> None:
    async def main() -> None:
        clock = Clock()
        log: list[tuple[str, int]] = []
        rec = recorder(clock, log)
        clock.call_at(T0 + 5000, rec("a"))
        clock.call_at(T0 + 3000, rec("b"))
        clock.call_at(T0 + 5000, rec("c"))
        clock.call_later(3, rec("d"))  # same due as b, inserted later
        clock.call_at(T0 + 5001, rec("e"))
        assert clock.pending == 5 and clock.next_due() == T0 + 3000
        assert await clock.advance(5) == 4
        assert log == [("b", T0 + 3000), ("d", T0 + 3000), ("a", T0 + 5000), ("c", T0 + 5000)]
        assert clock.now() == T0 + 5000 and clock.pending == 1
        assert await clock.advance(0.001) == 1
        assert log[-1] == ("e", T0 + 5001)

    run(main())


def test_timers_scheduled_during_advance_run_in_the_same_advance() -> None:
    async def main() -> None:
        clock = Clock()
        log: list[tuple[str, int]] = []
        rec = recorder(clock, log)

        async def first() -> None:
            log.append(("first", clock.now()))
            clock.call_later(0, rec("same-instant"))
            clock.call_later(2, rec("inside"))
            clock.call_later(20, rec("outside"))

        clock.call_at(T0 + 1000, first)
        clock.call_at(T0 + 1000, rec("queued-before"))
        clock.call_at(T0 + 3000, rec("tie-with-inside"))  # inserted before "inside"
        assert await clock.advance(10) == 5
        assert log == [
            ("first", T0 + 1000),
            ("queued-before", T0 + 1000),
            ("same-instant", T0 + 1000),
            ("tie-with-inside", T0 + 3000),
            ("inside", T0 + 3000),
        ]
        assert clock.now() == T0 + 10_000 and clock.next_due() == T0 + 21_000
        await clock.advance(11)
        assert log[-1] == ("outside", T0 + 21_000)

    run(main())


def test_cancel_and_past_due() -> None:
    async def main() -> None:
        clock = Clock()
        log: list[tuple[str, int]] = []
        rec = recorder(clock, log)
        gone = clock.call_later(1, rec("gone"))
        clock.call_later(2, rec("kept"))
        gone.cancel()
        assert gone.cancelled and clock.pending == 1 and clock.next_due() == T0 + 2000
        await clock.advance(5)
        assert log == [("kept", T0 + 2000)]
        clock.call_at(T0, rec("late"))  # in the past: runs now, stamped now, never earlier
        await clock.run_due()
        assert log[-1] == ("late", T0 + 5000)
        clock.call_later(1, rec("cleared"))
        clock.clear()
        await clock.advance(10)
        assert clock.pending == 0 and log[-1] == ("late", T0 + 5000)

    run(main())


def test_a_failing_timer_does_not_stop_time(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        clock = Clock()
        log: list[tuple[str, int]] = []

        async def boom() -> None:
            raise RuntimeError("boom")

        clock.call_later(1, boom, "boom")
        clock.call_later(1, recorder(clock, log)("after"))
        assert await clock.advance(1) == 2
        assert log == [("after", T0 + 1000)]

    with caplog.at_level(logging.ERROR, logger="mockbaas.clock"):
        run(main())
    assert "timer boom failed" in caplog.text


def test_advance_validation_and_construction() -> None:
    async def main() -> None:
        clock = Clock()
        for bad in (-1, float("nan"), float("inf")):
            with pytest.raises(ValueError):
                await clock.advance(bad)
        assert clock.now() == T0

    run(main())
    with pytest.raises(ValueError, match="clock mode"):
        Clock("sundial")
    with pytest.raises(ValueError, match="speed"):
        Clock(REALTIME, speed=0)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    assert Clock(MANUAL, start).now_iso() == "2030-01-01T00:00:00.000Z"
    assert iso(to_ms(datetime(2030, 1, 1))) == "2030-01-01T00:00:00.000Z"  # naive is UTC
    assert parse_iso("2030-01-01T01:00:00+01:00") == to_ms(start)


def test_snapshot() -> None:
    clock = Clock()
    assert clock.snapshot() == {
        "mode": "manual",
        "speed": 1.0,
        "now": iso(T0),
        "now_ms": T0,
        "start": iso(T0),
        "pending_timers": 0,
        "next_due": None,
    }


# -- realtime -------------------------------------------------------------------------------
async def poll(condition: Callable[[], bool], tries: int = 1000) -> None:
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition never became true")


def test_realtime_runs_timers_on_their_own_with_exact_stamps() -> None:
    async def main() -> None:
        clock = Clock(REALTIME, start=DEFAULT_START, speed=100_000)
        log: list[tuple[str, int]] = []
        rec = recorder(clock, log)
        clock.start()
        try:
            clock.call_at(T0 + 60_000, rec("minute"))
            clock.call_at(T0 + 3_600_000, rec("hour"))
            await poll(lambda: len(log) == 2)
            assert log == [("minute", T0 + 60_000), ("hour", T0 + 3_600_000)]
            assert clock.now() >= T0 + 3_600_000
        finally:
            await clock.stop()

    run(main())


def test_realtime_time_never_passes_a_timer_that_has_not_run() -> None:
    async def main() -> None:
        clock = Clock(REALTIME, start=DEFAULT_START, speed=1000)  # driver not started
        log: list[tuple[str, int]] = []
        due = clock.now() + 5000
        clock.call_at(due, recorder(clock, log)("due"))
        deadline = time.monotonic() + 5
        while clock._target() <= due and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        assert clock._target() > due  # the wall clock is past the timer...
        assert clock.now() == due  # ...but time waits for it
        assert await clock.run_due() == 1
        assert log == [("due", due)]
        await poll(lambda: clock.now() > due)

    run(main())


def test_realtime_advance_jumps_ahead() -> None:
    async def main() -> None:
        clock = Clock(REALTIME, start=DEFAULT_START, speed=1.0)
        log: list[tuple[str, int]] = []
        clock.call_at(T0 + 3_000_000, recorder(clock, log)("later"))
        assert await clock.advance(3600) == 1
        assert log == [("later", T0 + 3_000_000)]
        assert clock.now() >= T0 + 3_600_000

    run(main())


def test_realtime_server_lives_scenarios_without_advancing() -> None:
    settings = Settings(port=0, strict=True, clock=REALTIME, speed=20_000)
    with BackgroundServer(settings) as server:
        api = MockClient(server.url)
        snap = api.clock()
        assert (snap["mode"], snap["speed"]) == ("realtime", 20_000)
        bot_id = api.join(MEET_URL)
        for _ in range(1500):  # bounded: 1815 virtual seconds are ~0.1 s of wall time
            if api.bot(bot_id)["outcome"] is not None:
                break
            time.sleep(0.01)
        view = api.bot(bot_id)
        assert view["outcome"] == "complete"
        start = parse_iso(view["created_at"])
        offsets = [(e["code"], parse_iso(e["created_at"]) - start) for e in view["history"]]
        assert offsets == [
            ("joining_call", 0),
            ("in_call_not_recording", 8000),
            ("in_call_recording", 10_000),
            ("call_ended", 1_810_000),
        ]
        complete = api.webhooks(bot_id=bot_id, event="complete")[0]
        assert parse_iso(complete["created_at"]) - start == 1_815_000


# -- over HTTP ------------------------------------------------------------------------------
def test_clock_endpoint_moves_with_advance(api: MockClient) -> None:
    assert api.clock()["now"] == iso(T0)
    api.advance(90.5)
    assert api.clock()["now"] == "2025-01-06T09:01:30.500Z"
    resp = api.request("POST", "/_mockbaas/clock/advance", json_body={"seconds": -0.001})
    assert resp.status == 422 and resp.json()["details"][0]["path"] == "seconds"
    assert api.clock()["now_ms"] == T0 + 90_500
