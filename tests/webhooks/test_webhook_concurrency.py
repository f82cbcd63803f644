"""Webhook posts run beside the clock: a slow or dead receiver holds back only its own
subject's events, never another bot's, the clock or the API; each subject's order holds
exactly whatever the receivers do; shutdown is bounded and a second Ctrl-C quits."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import MEET_URL

from mockbaas.accounts.models import Account
from mockbaas.clock import Clock, iso
from mockbaas.config import Settings
from mockbaas.contract import Contract
from mockbaas.ids import Ids
from mockbaas.testing import BackgroundServer, MockClient
from mockbaas.webhooks import (
    DEFAULT_SCHEDULE,
    DELIVERY_HEADER,
    MemoryTransport,
    State,
    WebhookDispatcher,
)

OTHER_MEET = "https://meet.google.com/xyz-abcd-efg"
CONTRACT = Contract.load()


def test_a_hanging_receiver_delays_no_other_bot_and_no_control_call(mockbaas_receiver):
    rcv = mockbaas_receiver
    rcv.answer_after(60, path="/webhooks/hang")  # far beyond the test: it never answers
    config = Settings(port=0, strict=True, webhook_timeout=60, drain_timeout=0.2)
    with BackgroundServer(config) as server:
        api = MockClient(server.url)
        hung = api.join(MEET_URL, webhook_url=rcv.url + "/hang")
        calm = api.join(OTHER_MEET, webhook_url=rcv.url)
        # the calm bot lives its whole life while the hung bot's first POST is open
        result = api.advance(3600, wait=3)
        assert result["webhooks_settled"] is False
        assert result["webhooks_in_flight"] == 1
        calm_hooks = api.webhooks(bot_id=calm)
        assert {d["state"] for d in calm_hooks} == {"delivered"}
        assert calm_hooks[-1]["event"] == "complete"
        assert [a["at"] for d in calm_hooks for a in d["attempts"]] == [
            d["created_at"] for d in calm_hooks
        ]  # each stamped with its due time, which is when its event happened
        hung_hooks = api.webhooks(bot_id=hung)
        assert [(d["state"], d["attempts"]) for d in hung_hooks] == [
            ("pending", []) for _ in hung_hooks
        ]  # the head is in flight; the rest wait behind it, in order
        assert api.bot(hung)["outcome"] == "complete"  # the bot itself was not held back
        assert api.clock()["now"] == "2025-01-06T10:00:00.000Z"  # the control API answers
        [arrived] = [r for r in rcv.received if r.path == "/webhooks/hang"]
        assert arrived.delivery_id == hung_hooks[0]["id"]


def test_advance_without_waiting_returns_before_the_posts(mockbaas_receiver):
    rcv = mockbaas_receiver
    rcv.answer_after(60, path="/webhooks/hang")
    config = Settings(port=0, strict=True, webhook_timeout=60, drain_timeout=0.2)
    with BackgroundServer(config) as server:
        api = MockClient(server.url)
        api.join(MEET_URL, webhook_url=rcv.url + "/hang")
        answer = api.advance(1, wait=0)
        assert (answer["webhooks_settled"], answer["webhooks_in_flight"]) == (False, 1)
        assert answer["now"] == "2025-01-06T09:00:01.000Z"


# -- order per subject, whatever the receivers answer ---------------------------------------
def _status_change(bot: str, code: str, at: int) -> dict[str, Any]:
    status = {"code": code, "created_at": iso(at)}
    if code == "in_call_recording":
        status["start_time"] = iso(at)
    return {"bot_id": bot, "status": status}


CODES = ["joining_call", "in_waiting_room", "in_call_not_recording", "in_call_recording"]
answers = st.lists(st.sampled_from([200, 200, 500, 503, "timeout", "refused"]), max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plans=st.lists(
        st.tuples(st.integers(1, 4), answers, st.lists(st.integers(0, 3), max_size=12)),
        min_size=1,
        max_size=4,
    ),
)
def test_each_subject_keeps_its_order_under_any_failures(plans):
    """Subjects with 1-4 events each; each subject's receiver answers a drawn sequence
    (then 200s) after a drawn number of loop turns, so posts of different subjects
    finish in any order. Whatever happens: a subject's events are posted strictly in
    order, each retried on schedule from its due time, and the same run twice gives
    the same journal."""
    assert _run(plans) == _run(plans)


def _run(plans: list[tuple[int, list[Any], list[int]]]) -> list[tuple[Any, ...]]:
    return asyncio.run(_deliver(plans))


async def _deliver(plans: list[tuple[int, list[Any], list[int]]]) -> list[tuple[Any, ...]]:
    script = {f"http://127.0.0.1/s{n}": (list(a), list(t)) for n, (_, a, t) in enumerate(plans)}

    async def respond(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        answers, turns = script[url]
        for _ in range(turns.pop(0) if turns else 0):
            await asyncio.sleep(0)
        answer = answers.pop(0) if answers else 200
        if answer == "timeout":
            raise TimeoutError
        if answer == "refused":
            raise ConnectionRefusedError("refused")
        return answer

    clock = Clock()
    clock.start()
    transport = MemoryTransport(respond)
    hooks = WebhookDispatcher(clock, Ids(7), CONTRACT, transport=transport)
    account = Account(key="k", number=1)
    for n, (events, _, _) in enumerate(plans):
        for code in CODES[:events]:
            subject = f"00000000-0000-4000-8000-00000000000{n}"
            data = _status_change(subject, code, clock.now())
            hooks.send(
                account, "bot.status_change", data, url=f"http://127.0.0.1/s{n}", subject=subject
            )
    for _ in range(100):  # 12 failed answers at most: at most 66 s of retries
        await clock.advance(1)
        assert await hooks.settle(5)
    await hooks.close()

    posted: dict[str, list[int]] = defaultdict(list)
    for url, _body, headers in transport.posts:
        posted[url].append(hooks.get(headers[DELIVERY_HEADER]).seq)  # type: ignore[union-attr]
    journal = list(hooks.journal)
    for subject_url, seqs in posted.items():
        assert seqs == sorted(seqs), f"{subject_url} posted out of order: {seqs}"
    for delivery in journal:
        assert delivery.state in (State.DELIVERED, State.FAILED)
        assert (delivery.state is State.DELIVERED) == delivery.attempts[-1].ok
        gaps = [b.at - a.at for a, b in pairwise(delivery.attempts)]
        assert gaps == [int(s * 1000) for s in DEFAULT_SCHEDULE[: len(gaps)]]
    by_subject: dict[str, list[Any]] = defaultdict(list)
    for delivery in journal:
        by_subject[delivery.subject].append(delivery)
    for deliveries in by_subject.values():
        for before, after in pairwise(deliveries):
            # the next event is first tried when the one before it settled
            assert after.attempts[0].at == max(after.created_at, before.attempts[-1].at)
    return [
        (d.id, d.seq, str(d.state), [(a.number, a.at, a.status_code, a.error) for a in d.attempts])
        for d in journal
    ]


# -- shutdown that respects the user ---------------------------------------------------------
def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockbaas", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if found:
            return proc, found.group(1)
    raise AssertionError(f"mockbaas serve did not start (exit {proc.wait()})")


def _read_until(proc: subprocess.Popen[str], text: str) -> list[str]:
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"never printed {text!r}: {''.join(seen)}")


def test_ctrl_c_twice_quits_at_once_and_lists_what_was_not_delivered(mockbaas_receiver):
    rcv = mockbaas_receiver
    rcv.answer_after(60)  # the receiver never answers in time
    proc, url = _serve("--webhook-url", rcv.url, "--webhook-timeout", "60", "--drain-timeout", "60")
    try:
        api = MockClient(url)
        bot = api.join(MEET_URL)
        api.advance(5, wait=0.2)
        pending = [d["id"] for d in api.webhooks(bot_id=bot)]
        assert pending
        proc.send_signal(signal.SIGINT)
        [*_, draining] = _read_until(proc, "draining")
        noun = "webhook" if len(pending) == 1 else "webhooks"
        assert f"draining {len(pending)} {noun} for" in draining and "Ctrl-C again" in draining
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest, rest
    listed = [line for line in rest.splitlines() if line.startswith("  undelivered")]
    assert [line.split()[1] for line in listed] == pending
    assert all(bot in line for line in listed)


def test_ctrl_c_once_drains_within_the_drain_timeout(mockbaas_receiver):
    rcv = mockbaas_receiver
    rcv.answer_after(60)
    proc, url = _serve(
        "--webhook-url", rcv.url, "--webhook-timeout", "60", "--drain-timeout", "0.5"
    )
    try:
        api = MockClient(url)
        api.join(MEET_URL)
        api.advance(0, wait=0.2)
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, rest
    assert "not delivered within the drain timeout (0.5 s)" in rest
    assert "1 webhook deliveries undelivered at shutdown" in rest
