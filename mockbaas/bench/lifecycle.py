"""Whole lives at scale: N bots from POST /bots/ to `complete` with a transcript.

For each size: a fresh mock (manual clock) and a receiver process; N bots created through
concurrent POST /bots/, then one `POST /_mockbaas/clock/advance` of an hour lives every
meeting (happy path: 30 minutes recorded). The clock stops when the receiver holds every
webhook. Measured: wall time from the first POST to the last webhook received, peak RSS of
the mock process, webhooks/s, time per bot. Checked, or the size fails: the receiver got
every bot's every event once (counted from one bot's journal), each bot's statuses in order
and its `complete` last with a transcript, and the journal holds no pending, failed,
invalid or unaddressed delivery.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from ..testing.client import MockClient
from . import memory
from .load import API_KEY, BenchError, create_bots
from .options import GOAL_LIFECYCLES, Options, progress
from .procs import Child, Children
from .report import Report, Row

LIFE_S = 3600  # one advance: every happy-path meeting (30 min + processing) is over
WALL_GOAL_S = 10.0
RSS_GOAL_MB = 500.0
AT_REST_GOAL_KB = 20  # the goal for what a finished bot keeps
LINEAR = 1.5  # "linear": time per bot at the largest size within 1.5x of the smallest's
NOT_DELIVERED = ("pending", "failed", "invalid", "no_url")


def receiver_stats(receiver: Child) -> dict[str, Any]:
    with urllib.request.urlopen(receiver.url + "/_bench/stats", timeout=10) as resp:
        stats: dict[str, Any] = json.loads(resp.read())
        return stats


def wait_delivered(
    receiver: Child, deadline: float, *, expected: int = 0, completes: int = 0
) -> dict[str, Any]:
    """Poll the receiver until it holds `expected` unique webhooks and `completes`
    `complete` events (each bot's last), or `deadline` passes; its stats."""
    while True:
        stats = receiver_stats(receiver)
        done = stats["unique"] >= expected and stats["events"].get("complete", 0) >= completes
        if done or time.monotonic() >= deadline:
            return stats
        time.sleep(0.05)


def advance(client: MockClient, seconds: float) -> None:
    try:
        client.advance(seconds)
    except (OSError, RuntimeError) as exc:  # a socket timeout is an OSError
        raise BenchError(f"POST /_mockbaas/clock/advance did not answer: {exc}") from None


@dataclass
class Lives:
    bots: int
    create_s: float
    advance_s: float
    wall_s: float
    webhooks: int
    webhooks_per_s: float
    peak_rss_mb: float | None

    @property
    def per_bot_ms(self) -> float:
        return self.wall_s / self.bots * 1000


def live(opts: Options, bots: int) -> Lives:
    with Children() as kids:
        receiver = kids.receiver()
        mock = kids.mock("--webhook-url", receiver.url + "/webhooks")
        client = MockClient(mock.url, api_key=API_KEY, timeout=opts.timeout)
        deadline = time.monotonic() + opts.timeout
        # one pilot bot says how many webhooks a life sends (the journal of a big run
        # forgets settled deliveries, so it cannot say afterwards); then a fresh world
        pilot_receiver = kids.receiver()
        [pilot] = create_bots(
            mock.url,
            1,
            "pilot",
            concurrency=1,
            extra={"webhook_url": pilot_receiver.url + "/webhooks"},
            timeout=opts.timeout,
        )
        advance(client, LIFE_S)
        per_bot = len(client.webhooks(bot_id=pilot))
        client.reset()
        t0 = time.time()
        create_bots(
            mock.url, bots, "life", concurrency=opts.create_concurrency, timeout=opts.timeout
        )
        t1 = time.time()
        advance(client, LIFE_S)
        t2 = time.time()
        expected = per_bot * bots
        stats = wait_delivered(receiver, deadline, expected=expected)
        rss = mock.peak_rss_mb()
        if stats["unique"] < expected:
            raise BenchError(
                f"{bots:,} lifecycles: {stats['unique']:,} of {expected:,} webhooks "
                f"delivered in {opts.timeout:g} s"
            )
        problems = []
        completes = stats["events"].get("complete", 0)
        if completes != bots or stats["complete_with_transcript"] != bots:
            problems.append(
                f"{completes} complete events, {stats['complete_with_transcript']} with a "
                f"transcript, for {bots} bots"
            )
        if stats["unique"] != expected:
            problems.append(f"{stats['unique']} webhooks for {expected} expected")
        if stats["order_errors"]:
            problems.append(f"{stats['order_errors']} out of order")
        for state in NOT_DELIVERED:
            left = len(client.webhooks(state=state))
            if left:
                problems.append(f"{left} journaled as {state}")
        if problems:
            raise BenchError(f"{bots:,} lifecycles: " + "; ".join(problems))
        last = stats["last_at"]
        start = min(stats["first_at"], t1)
        return Lives(
            bots=bots,
            create_s=t1 - t0,
            advance_s=t2 - t1,
            wall_s=last - t0,
            webhooks=stats["unique"],
            webhooks_per_s=stats["unique"] / (last - start) if last > start else 0.0,
            peak_rss_mb=rss,
        )


def run(report: Report, opts: Options) -> None:
    done: list[Lives] = []
    for bots in opts.lifecycle_sizes:
        progress(f"lifecycle: {bots:,} bots")
        try:
            lives = live(opts, bots)
        except BenchError as exc:
            report.failures[f"lifecycle {bots:,}"] = str(exc)
            continue
        done.append(lives)
        goal = bots == GOAL_LIFECYCLES
        name = f"{bots:,} lifecycles"
        report.add(
            Row(
                "lifecycle",
                f"{name}: wall",
                lives.wall_s,
                "s",
                goal=f"< {WALL_GOAL_S:g} s" if goal else "",
                met=lives.wall_s < WALL_GOAL_S if goal else None,
                note=f"create {lives.create_s:.1f} s, advance {lives.advance_s:.1f} s, "
                f"{lives.webhooks:,} webhooks all delivered, in order, with transcripts",
            )
        )
        report.add(Row("lifecycle", f"{name}: time per bot", lives.per_bot_ms, "ms"))
        report.add(Row("lifecycle", f"{name}: webhooks/s", lives.webhooks_per_s, "/s"))
        rss = lives.peak_rss_mb
        report.add(
            Row(
                "lifecycle",
                f"{name}: mock peak RSS",
                rss,
                "MB",
                goal=f"< {RSS_GOAL_MB:g} MB" if goal else "",
                met=(rss < RSS_GOAL_MB) if goal and rss is not None else None,
            )
        )
    at_rest_bots = min(opts.lifecycle_sizes[0], 10_000)
    progress(f"lifecycle: memory at rest, {at_rest_bots:,} bots in process")
    rest = memory.measure(at_rest_bots)
    report.add(
        Row(
            "lifecycle",
            "memory per finished bot, at rest",
            rest.per_bot_kb,
            "KB",
            goal=f"<= {AT_REST_GOAL_KB:g} KB",
            met=rest.per_bot_kb <= AT_REST_GOAL_KB,
            note=f"tracemalloc over {rest.bots:,} bots; the webhook journal apart "
            f"({rest.journal_mb:.0f} MB, bounded by --journal-limit and 64 MB)",
        )
    )
    if len(done) >= 2:
        small, large = done[0], done[-1]
        growth = large.per_bot_ms / small.per_bot_ms
        report.add(
            Row(
                "lifecycle",
                f"time per bot, {large.bots:,} vs {small.bots:,} bots",
                growth,
                "x",
                goal=f"linear (<= {LINEAR:g}x)",
                met=growth <= LINEAR,
                note=" -> ".join(f"{d.bots:,}: {d.per_bot_ms:.2f} ms" for d in done),
            )
        )
