"""`lifecycle.settle`, the pure rule of a bot's life, under random event sequences.

Any sequence of events (legal or not, with or without data, processing at any time)
keeps a bot on the documented graph: every status it enters is a `LEGAL` move from the
one before, an ended bot only completes, and an outcome is final.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mockbaas.bots import lifecycle as lc

enters = st.builds(
    lc.Enter,
    st.sampled_from(lc.STATUS_CODES),
    st.none() | st.sampled_from(lc.ERROR_TYPES),
    st.none() | st.sampled_from(["It broke.", ""]),
    st.none() | st.sampled_from(lc.END_REASONS),
)
events = st.one_of(enters, enters, enters, st.just(lc.Processed()))


def _check_step(life: lc.Life, event: lc.Event, settled: lc.Settled) -> None:
    after = settled.life
    if settled.refused:
        assert after == life and settled.effects == ()
        return
    assert life.outcome is None, "an outcome is final"
    status = life.status
    for effect in settled.effects:
        if isinstance(effect, lc.Entered):
            assert not life.ended, "an ended bot enters no status"
            assert lc.is_legal(status, effect.status), (status, effect.status)
            status = effect.status
            if status == lc.MEETING_ERROR:
                assert effect.data["error_type"] in lc.ERROR_TYPES
                assert effect.data["error_message"]
            if status == lc.CALL_ENDED:
                assert effect.data["end_reason"] in lc.END_REASONS
        elif isinstance(effect, lc.ArmGuard):
            assert lc.GUARDS[status] == effect.guard
    assert after.status == status
    kinds = [type(e) for e in settled.effects]
    assert kinds.count(lc.Fail) + kinds.count(lc.Complete) <= 1
    if lc.Fail in kinds:
        assert after.outcome == "failed" and after.ended
    if lc.Complete in kinds:
        assert isinstance(event, lc.Processed) and after.outcome == "complete"
    if lc.Process in kinds:
        assert after.ended and after.outcome is None and after.status == lc.CALL_ENDED
    if after.ended and not life.ended:
        assert lc.Ended in kinds or lc.Fail in kinds
    if after.outcome is None and after.status is not None:
        # a live bot stands in a status the graph can leave, or waits for processing
        assert lc.LEGAL[after.status] or (after.ended and lc.Process in kinds)


@settings(max_examples=400, deadline=None)
@given(st.lists(events, max_size=25))
def test_random_events_never_leave_the_documented_graph(sequence: list[lc.Event]) -> None:
    life = lc.Life()
    for event in sequence:
        settled = lc.settle(life, event)
        _check_step(life, event, settled)
        life = settled.life
        assert life.outcome in (None, "complete", "failed")
        assert life.outcome is None or life.ended


@settings(max_examples=200, deadline=None)
@given(st.lists(events, max_size=25), st.lists(events, min_size=1, max_size=10))
def test_a_finished_life_stays_finished(before: list[lc.Event], after: list[lc.Event]) -> None:
    life = lc.Life()
    for event in before:
        life = lc.settle(life, event).life
    if life.outcome is None:
        return
    for event in after:
        settled = lc.settle(life, event)
        assert settled.refused and settled.life == life and not settled.effects


def _walk(*events: lc.Event) -> list[lc.Effect]:
    life = lc.Life()
    effects: list[lc.Effect] = []
    for event in events:
        settled = lc.settle(life, event)
        assert not settled.refused, event
        life = settled.life
        effects.extend(settled.effects)
    return effects


def test_the_happy_path_arms_both_timeouts_and_completes_after_processing() -> None:
    effects = _walk(
        lc.Enter(lc.JOINING_CALL),
        lc.Enter(lc.IN_WAITING_ROOM),
        lc.Enter(lc.IN_CALL_NOT_RECORDING),
        lc.Enter(lc.IN_CALL_RECORDING),
        lc.Enter(lc.CALL_ENDED, end_reason="api_request"),
        lc.Processed(),
    )
    assert effects == [
        lc.Entered(lc.JOINING_CALL, {}),
        lc.StopGuard(),
        lc.Entered(lc.IN_WAITING_ROOM, {}),
        lc.ArmGuard(lc.GUARDS[lc.IN_WAITING_ROOM]),
        lc.Entered(lc.IN_CALL_NOT_RECORDING, {}),
        lc.ArmGuard(lc.GUARDS[lc.IN_CALL_NOT_RECORDING]),
        lc.Entered(lc.IN_CALL_RECORDING, {}),
        lc.StopGuard(),
        lc.Entered(lc.CALL_ENDED, {"end_reason": "api_request"}),
        lc.StopGuard(),
        lc.Ended("api_request"),
        lc.Process(),
        lc.Complete(),
    ]


def test_a_removal_after_recording_ends_the_call_and_before_it_fails() -> None:
    recorded = _walk(
        lc.Enter(lc.JOINING_CALL),
        lc.Enter(lc.IN_CALL_NOT_RECORDING),
        lc.Enter(lc.IN_CALL_RECORDING),
        lc.Enter(lc.BOT_REMOVED),
    )
    assert (
        recorded[-5:]
        == [
            lc.Entered(lc.BOT_REMOVED, {}),
            lc.StopGuard(),
            lc.Entered(lc.CALL_ENDED, {"end_reason": "bot_removed"}),
            lc.StopGuard(),
            lc.Ended("bot_removed"),
        ]
        + [lc.Process()][:0]
        or recorded[-1] == lc.Process()
    )
    assert recorded[-1] == lc.Process()
    unrecorded = _walk(lc.Enter(lc.JOINING_CALL), lc.Enter(lc.IN_CALL_NOT_RECORDING))
    settled = lc.settle(
        lc.Life(lc.IN_CALL_NOT_RECORDING), lc.Enter(lc.MEETING_ERROR, error_message="Lost.")
    )
    assert unrecorded[-1] == lc.ArmGuard(lc.GUARDS[lc.IN_CALL_NOT_RECORDING])
    assert settled.effects[-1] == lc.Fail("InternalError", "Lost.")
    assert settled.life == lc.Life(lc.MEETING_ERROR, False, True, "failed")


def test_a_call_that_ends_unrecorded_fails_by_end_reason() -> None:
    for reason, failure in lc.UNRECORDED_FAILURES.items():
        settled = lc.settle(
            lc.Life(lc.IN_CALL_NOT_RECORDING), lc.Enter(lc.CALL_ENDED, end_reason=reason)
        )
        assert settled.effects[-2:] == (lc.Ended(reason), lc.Fail(failure))
    settled = lc.settle(
        lc.Life(lc.IN_CALL_NOT_RECORDING), lc.Enter(lc.CALL_ENDED, end_reason="no_speaker")
    )
    assert settled.effects[-1] == lc.Process()
