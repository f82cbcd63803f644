"""Slow and dead receivers: does one receiver's pace hold anyone else back?

Slow: every webhook of N bots goes to a receiver that answers after 100 ms; webhooks/s
over their whole lives shows how many posts are in flight at once (one at a time would be
at most 10/s).

Hanging: p99 latency of GET /bots/meeting_data under the same load, first with every
receiver healthy, then while one bot's webhook sits at a receiver that never answers (the
mock's timeout is set longer than the measurement, so the post hangs throughout). Other
bots live their whole lives beside the hanging post first; the p99 is measured once their
webhooks are through, so both runs carry the same load. Also told: whether those other
bots' webhooks got through while the post hung, and how long a control call took.
"""

from __future__ import annotations

import threading
import time

from ..testing.client import MockClient
from .api import _bare, _ok
from .lifecycle import LIFE_S, advance, receiver_stats, wait_delivered
from .load import API_KEY, BenchError, LoadResult, create_bots, measure
from .options import Options, progress
from .procs import Children
from .report import Report, Row

SLOW_GOAL = 200.0  # webhooks/s with a receiver answering in 100 ms
P99_CHANGE_GOAL = 20.0  # percent
RUNS = 3  # measurements per p99 figure (the one with the median p99 is kept)


def slow(report: Report, opts: Options, tool: str) -> None:
    bots = opts.slow_bots
    progress(f"webhooks: {bots:,} bots, receiver answering after {opts.slow_delay:g} s")
    with Children() as kids:
        receiver = kids.receiver(delay=opts.slow_delay)
        mock = kids.mock("--webhook-url", receiver.url + "/webhooks")
        client = MockClient(mock.url, api_key=API_KEY, timeout=opts.timeout)
        create_bots(
            mock.url, bots, "slow", concurrency=opts.create_concurrency, timeout=opts.timeout
        )
        started = time.time()
        deadline = time.monotonic() + opts.timeout
        note = ""
        try:
            advance(client, LIFE_S)
        except BenchError as exc:
            note = f"{exc}; "
        # each bot's `complete` is its last webhook: all of them in, everything is in
        stats = wait_delivered(receiver, deadline, completes=bots)
        got, completes = stats["unique"], stats["events"].get("complete", 0)
        end = stats["last_at"] if completes >= bots else time.time()
        rate = got / (end - started) if end > started else 0.0
        if completes < bots:
            note += (
                f"stopped after {end - started:.0f} s: {got:,} webhooks, "
                f"{completes} of {bots} bots complete"
            )
        else:
            note += f"{got:,} webhooks in {end - started:.1f} s"
        report.add(
            Row(
                "webhooks",
                f"receiver answering in {opts.slow_delay * 1000:g} ms, {bots:,} bots",
                rate,
                "webhooks/s",
                goal=f">= {SLOW_GOAL:g}/s",
                met=rate >= SLOW_GOAL,
                note=note,
            )
        )


def hanging(report: Report, opts: Options, tool: str) -> None:
    sec, conns = opts.seconds, opts.connections
    progress("webhooks: API p99 with and without a hanging receiver")
    with Children() as kids:
        receiver = kids.receiver()
        dead = kids.receiver(hang=True)
        hang_s = RUNS * sec + 30  # the hanging post outlasts the measurement
        mock = kids.mock(
            "--webhook-url", receiver.url + "/webhooks", "--webhook-timeout", f"{hang_s:g}"
        )
        client = MockClient(mock.url, api_key=API_KEY, timeout=opts.timeout)
        ids = create_bots(mock.url, opts.hang_bots, "calm", timeout=opts.timeout)
        advance(client, LIFE_S)
        target = f"/bots/meeting_data?bot_id={ids[0]}&include_transcripts=false"
        body = _ok(client.request("GET", target), "GET meeting_data")
        bare = _bare(kids, [("GET", "/bots/meeting_data", body)])
        base = measure(tool, bare.url + target, sec, conns)
        calm = _median_of_runs(tool, mock.url + target, sec, conns)

        per_bot = len(client.webhooks(bot_id=ids[0]))  # a whole life's webhooks
        before = receiver_stats(receiver)["unique"]
        create_bots(
            mock.url,
            1,
            "hang",
            extra={"webhook_url": dead.url + "/never"},
            timeout=opts.timeout,
        )
        others = create_bots(mock.url, opts.hang_bots, "busy", timeout=opts.timeout)
        # the advance may wait on the hanging post: it runs beside the measurement
        background = threading.Thread(target=_advance_quietly, args=(client,), daemon=True)
        background.start()
        deadline = time.monotonic() + 10
        while receiver_stats(dead)["hung"] < 1:
            if time.monotonic() > deadline:
                raise BenchError("the hanging receiver was never called")
            time.sleep(0.02)
        waiting = per_bot * len(others)
        # the others' lives run first: the p99 is measured while the post hangs, on the
        # same load as the healthy run (not on top of their burst of webhooks)
        while receiver_stats(receiver)["unique"] - before < waiting:
            if time.monotonic() > deadline:
                break  # reported below: fewer delivered than waiting
            time.sleep(0.02)
        delivered = receiver_stats(receiver)["unique"] - before
        control_ms = _timed_control(mock.url)
        hung = _median_of_runs(tool, mock.url + target, sec, conns)
        still_hung = receiver_stats(dead)["hung"] >= 1
        background.join(timeout=0.1)

    report.add(_p99_row("GET /bots/meeting_data p99, receivers healthy", calm, base))
    report.add(_p99_row("GET /bots/meeting_data p99, one receiver hanging", hung, base))
    if calm.p99_ms and hung.p99_ms:
        change = (hung.p99_ms / calm.p99_ms - 1) * 100
        report.add(
            Row(
                "webhooks",
                "p99 change while a receiver hangs",
                change,
                "%",
                goal=f"within +-{P99_CHANGE_GOAL:g}%",
                met=abs(change) <= P99_CHANGE_GOAL,
                note=f"meanwhile {delivered} of {waiting} other bots' webhooks delivered; "
                + (
                    f"a control call took {control_ms:.0f} ms"
                    if control_ms is not None
                    else "a control call got no answer within 2 s"
                )
                + ("" if still_hung else "; the hanging post ended early"),
            )
        )


def _median_of_runs(tool: str, url: str, sec: float, conns: int) -> LoadResult:
    """The run with the median p99 of `RUNS`: one run's p99 moves by ±10% here with
    nothing else changing, half the goal's width."""
    runs = sorted((measure(tool, url, sec, conns) for _ in range(RUNS)), key=_p99)
    return runs[len(runs) // 2]


def _p99(result: LoadResult) -> float:
    return result.p99_ms or 0.0


def _p99_row(name: str, mock: LoadResult, bare: LoadResult) -> Row:
    note = f"{mock.rps:,.0f} req/s (bare {bare.rps:,.0f}), same load"
    return Row("webhooks", name, mock.p99_ms, "ms", bare.p99_ms, note=note)


def _advance_quietly(client: MockClient) -> None:
    try:
        client.advance(LIFE_S)
    except (OSError, RuntimeError):
        pass  # the mock is stopped at the end of the section, mid-advance maybe


def _timed_control(base: str) -> float | None:
    """Milliseconds a control call takes while the receiver hangs (None: over 2 s)."""
    started = time.perf_counter()
    try:
        MockClient(base, timeout=2).clock()
    except (OSError, RuntimeError):
        return None
    return (time.perf_counter() - started) * 1000


def run(report: Report, opts: Options, tool: str) -> None:
    for part in (slow, hanging):
        try:
            part(report, opts, tool)
        except BenchError as exc:
            report.failures[f"webhooks ({part.__name__})"] = str(exc)
