"""Property tests: random joins, pushes (legal or not, any name, any error type or end
reason), clock advances and DELETEs never take a bot off the documented state machine.

One property drives the engine directly (ListOutbox, manual Clock, asyncio) for many
examples; one drives the real server over HTTP. Both are derandomized for CI.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockbaas.accounts.models import Account
from mockbaas.bots import lifecycle as lc
from mockbaas.bots.media import Signer, media_key
from mockbaas.bots.models import BotBackend
from mockbaas.bots.params import BotParams
from mockbaas.clock import Clock, iso, parse_iso
from mockbaas.contract import Contract
from mockbaas.errors import MockError
from mockbaas.events import ListOutbox
from mockbaas.ids import Ids
from mockbaas.scenarios import ScenarioBook
from mockbaas.testing import BackgroundServer, MockClient

#: long runs (fuzzing, many examples, benchmarks): `pytest -m "not slow"` skips them
pytestmark = pytest.mark.slow

BOOK = ScenarioBook.load()
CONTRACT = Contract.load()
FINALS = ("complete", "failed")
DAY = 24 * 3600

NAMES = sorted(set(lc.STATUS_CODES) | set(lc.ACTIONS)) + [
    "complete",
    "failed",
    "Admit",
    "",
    "joining-call",
    "bot.status_change",
]
URLS = [
    "https://meet.google.com/abc-defg-hij",
    "https://zoom.us/j/123",
    "https://teams.live.com/meet/42",
    "https://example.com/x",
    "http://",
    "https://meet.google.com/",
]

joins = st.fixed_dictionaries(
    {
        "scenario": st.sampled_from([None, *sorted(BOOK.by_name)]),
        "url": st.sampled_from(URLS),
        "reserved": st.booleans(),
        "start_offset": st.sampled_from([None, -60, 0, 100, 240, 600]),
        "waiting_room_timeout": st.sampled_from([None, 0, 3, 30, 600]),
        "noone_joined_timeout": st.sampled_from([None, 0, 1, 20, 600]),
        "speech_to_text": st.booleans(),
        "dedup": st.sampled_from([None, "a", "b"]),
    }
)
# mostly bare pushes, so that many are legal; sometimes data that fits, sometimes not
push_data = st.one_of(
    st.just({}),
    st.just({}),
    st.just({}),
    st.fixed_dictionaries({"error_type": st.sampled_from([*lc.ERROR_TYPES, "Bogus"])}),
    st.fixed_dictionaries({"end_reason": st.sampled_from([*lc.END_REASONS, "bored"])}),
    st.fixed_dictionaries(
        {"error_message": st.sampled_from(["It broke.", ""])},
        optional={"error_type": st.sampled_from(lc.ERROR_TYPES)},
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "error_type": st.sampled_from(lc.ERROR_TYPES),
            "end_reason": st.sampled_from(lc.END_REASONS),
            "error_message": st.just("It broke."),
        },
    ),
)
pushes = st.builds(
    lambda bot, status, data: {"bot": bot, "status": status, **data},
    st.integers(0, 5),
    st.sampled_from(NAMES),
    push_data,
)
advances = st.one_of(
    st.sampled_from([0, 0.001, 1, 2, 5, 8, 10, 30, 60, 300, 600, 1800, 7200]),
    st.floats(min_value=0, max_value=2000, allow_nan=False).map(lambda s: round(s, 3)),
)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("join"), joins),
        st.tuples(st.just("push"), pushes),
        st.tuples(st.just("push"), pushes),
        st.tuples(st.just("advance"), advances),
        st.tuples(st.just("delete"), st.integers(0, 5)),
    ),
    min_size=1,
    max_size=30,
)


def join_body(spec: dict[str, Any], now_ms: int) -> dict[str, Any]:
    body: dict[str, Any] = {"meeting_url": spec["url"], "bot_name": "prop", "reserved": False}
    if spec["scenario"]:
        body["extra"] = {"mockbaas_scenario": spec["scenario"]}
    if spec["reserved"]:
        body["reserved"] = True
    if spec["start_offset"] is not None:
        body["start_time"] = max(0, now_ms + spec["start_offset"] * 1000)
    leave = {
        k: spec[k] for k in ("waiting_room_timeout", "noone_joined_timeout") if spec[k] is not None
    }
    if leave:
        body["automatic_leave"] = leave
    if spec["speech_to_text"]:
        body["speech_to_text"] = {"provider": "Default"}
    if spec["dedup"]:
        body["deduplication_key"] = spec["dedup"]
    return body


def push_body(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k != "bot"}


# -- invariants shared by both properties -----------------------------------------------------
def check_history(history: list[dict[str, Any]], now_ms: int) -> None:
    previous: str | None = None
    last = 0
    for entry in history:
        code = entry["code"]
        assert code in lc.STATUS_CODES, code
        assert lc.is_legal(previous, code), f"{previous} -> {code} is not in LEGAL"
        stamp = parse_iso(entry["created_at"])
        assert last <= stamp <= now_ms, "timestamps went backwards or into the future"
        last, previous = stamp, code


def check_bot(view: dict[str, Any], events: list[dict[str, Any]], now_ms: int) -> None:
    """One bot's control view against the webhook events sent about it."""
    check_history(view["history"], now_ms)
    assert view["status"] == (view["history"][-1]["code"] if view["history"] else None)
    assert view["outcome"] in (None, *FINALS)
    assert view["error_type"] in (None, *lc.ERROR_TYPES)
    assert view["end_reason"] in (None, *lc.END_REASONS)
    statuses = [e["data"]["status"] for e in events if e["event"] == "bot.status_change"]
    assert statuses == view["history"], "the webhooks told another story than the history"
    finals = [e for e in events if e["event"] in FINALS]
    if view["outcome"] is None:
        assert finals == []
    else:
        assert [e["event"] for e in finals] == [view["outcome"]], "not exactly one ending"
        if view["outcome"] == "failed":
            assert finals[0]["data"]["error"] == view["error_type"]
    for event in events:
        assert CONTRACT.webhook_errors(event["event"], event) == []


# -- the engine directly ------------------------------------------------------------------------
@dataclass
class Engine:
    seed: int
    clock: Clock = field(default_factory=Clock)
    outbox: ListOutbox = field(default_factory=ListOutbox)
    account: Account = field(default_factory=lambda: Account("prop-key", 1))

    def __post_init__(self) -> None:
        self.backend = BotBackend(
            self.clock,
            Ids(self.seed),
            BOOK,
            self.outbox,
            "http://mock.test",
            Signer(media_key("fixed")),
        )
        self.bots: list[str] = []

    def snapshot(self) -> Any:
        return (
            [self.backend.describe(b) for b in self.backend.bots.values()],
            len(self.outbox.sent),
            self.clock.now(),
            self.clock.pending,
        )

    def events(self, bot_id: str) -> list[dict[str, Any]]:
        return [
            {"event": event, "data": data}
            for _, event, data, _ in self.outbox.sent
            if data["bot_id"] == bot_id
        ]

    def check(self) -> None:
        now = self.clock.now()
        for bot in self.backend.bots.values():
            check_bot(self.backend.describe(bot), self.events(bot.uuid), now)

    async def apply(self, op: str, arg: Any) -> None:
        if op == "join":
            body = join_body(arg, self.clock.now())
            try:
                bot = self.backend.join(self.account, BotParams.from_request(body))
            except MockError as error:
                assert error.code == "conflict" and "deduplication_key" in error.message
                return
            self.bots.append(bot.uuid)
        elif op == "advance":
            await self.clock.advance(arg)
        elif not self.bots:
            return
        elif op == "delete":
            self.backend.leave(self.account, self.bots[arg % len(self.bots)])
        else:
            await self.clock.run_due()
            uuid = self.bots[arg["bot"] % len(self.bots)]
            body = push_body(arg)
            status = body.pop("status")
            before = self.snapshot()
            try:
                bot = self.backend.push(uuid, status, **body)
            except MockError as error:
                assert error.code in ("conflict", "validation_error"), error
                assert self.snapshot() == before, "a refused push changed something"
            else:
                pushed = lc.ACTIONS.get(status, status)
                entry = next(e for e in reversed(bot.history) if e["code"] == pushed)
                assert entry["created_at"] == self.clock.now(), "a push happens now"
            await self.clock.run_due()


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(script=ops, seed=st.integers(0, 3))
def test_engine_never_leaves_the_state_machine(script: list[tuple[str, Any]], seed: int) -> None:
    errors = _Errors()
    logger = logging.getLogger("mockbaas")
    logger.addHandler(errors)

    async def main() -> None:
        engine = Engine(seed)
        for op, arg in script:
            await engine.apply(op, arg)
            engine.check()
        # let everything finish: whatever ended has exactly one ending...
        await engine.clock.advance(2 * DAY)
        engine.check()
        # ...and after a DELETE of every bot, every bot has ended
        for uuid in engine.bots:
            engine.backend.leave(engine.account, uuid)
        await engine.clock.advance(DAY)
        engine.check()
        for bot in engine.backend.bots.values():
            assert bot.outcome in FINALS and bot.ended
        assert engine.clock.pending == 0 or all(t.cancelled for t in engine.clock._heap), (
            "timers left behind by ended bots"
        )
        await engine.clock.stop()

    try:
        asyncio.run(main())
    finally:
        logger.removeHandler(errors)
    assert [r.getMessage() for r in errors.records] == []  # no timer ever failed


# -- the real server over HTTP -------------------------------------------------------------------
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(script=ops)
def test_server_never_leaves_the_state_machine(
    mockbaas_server: BackgroundServer, script: list[tuple[str, Any]]
) -> None:
    api = MockClient(mockbaas_server.url)
    api.reset()
    bots: list[str] = []

    def frozen() -> Any:
        return api._control("GET", "/bots"), api.webhooks(), api.clock()

    for op, arg in script:
        if op == "join":
            resp = api.request("POST", "/bots/", json_body=join_body(arg, api.clock()["now_ms"]))
            assert resp.status in (200, 409), resp.body
            if resp.status == 200:
                bots.append(resp.json()["bot_id"])
        elif op == "advance":
            resp = api.request("POST", "/_mockbaas/clock/advance", json_body={"seconds": arg})
            assert resp.status == 200, resp.body
        elif not bots:
            continue
        elif op == "delete":
            resp = api.request("DELETE", f"/bots/{bots[arg % len(bots)]}")
            assert (resp.status, resp.json()) == (200, {"ok": True})
        else:
            uuid = bots[arg["bot"] % len(bots)]
            before = frozen()
            resp = api.request(
                "POST", f"/_mockbaas/bots/{uuid}/transition", json_body=push_body(arg)
            )
            assert resp.status in (200, 409, 422), resp.body
            if resp.status != 200:
                body = resp.json()
                assert set(body) <= {"error", "message", "details"} and body["message"]
                assert frozen() == before, "a refused push changed something"
        check_server(api, bots)
    api.advance(2 * DAY)
    check_server(api, bots)
    for uuid in bots:
        api.request("DELETE", f"/bots/{uuid}")
    api.advance(DAY)
    check_server(api, bots)
    assert all(api.bot(uuid)["outcome"] in FINALS for uuid in bots)


def check_server(api: MockClient, bots: list[str]) -> None:
    now = api.clock()["now_ms"]
    journal = api.webhooks()
    assert all(d["state"] == "no_url" for d in journal)
    assert [d["created_at"] for d in journal] == sorted(d["created_at"] for d in journal)
    assert all(parse_iso(d["created_at"]) <= now for d in journal)
    for uuid in bots:
        view = api.bot(uuid)
        events = [d["payload"] for d in journal if d["subject"] == uuid]
        check_bot(view, events, now)
    assert iso(now) == api.clock()["now"]
