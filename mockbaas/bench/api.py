"""API throughput against the bare baseline: the reads, and POST /bots/ empty and full.

Each figure runs the same load on the mock and then on a bare aiohttp process answering
the very bytes the mock answered, so the ratio is what mockbaas adds on top of aiohttp.
The two run in turn `--pairs` times and the pair with the median ratio is shown: on a
shared 2-core machine one 5 s run moves by a fifth with nothing changing, the baseline
as much as the mock.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..testing.client import MockClient
from .load import API_KEY, BenchError, LoadResult, create_bots, join_body, measure
from .options import Options, progress
from .procs import Children
from .report import Report, Row

READ_GOAL = 0.6
POST_GOAL = 0.5
DROP_GOAL = 10.0  # percent: the POST ratio with many bots present, against an empty server
CREDS = {
    "platform": "Google",
    "oauth_client_id": "bench-client",
    "oauth_client_secret": "bench-secret",
    "oauth_refresh_token": "bench-token",
}


def _ok(resp: Any, what: str) -> bytes:
    if resp.status != 200:
        raise BenchError(f"{what}: HTTP {resp.status}: {resp.body[:300]!r}")
    body: bytes = resp.body
    return body


def _routes_file(routes: list[tuple[str, str, bytes]]) -> str:
    payload = {"routes": [{"method": m, "path": p, "body": b.decode()} for m, p, b in routes]}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(payload, handle)
    return handle.name


def _bare(kids: Children, routes: list[tuple[str, str, bytes]]) -> Any:
    path = _routes_file(routes)
    try:
        return kids.bare(path)
    finally:
        os.unlink(path)


@dataclass
class Paired:
    """The pair of runs with the median ratio (the lower one of an even count), and every
    pair's ratio in run order."""

    mock: LoadResult
    bare: LoadResult
    ratios: list[float]


Runs = tuple[Callable[[int], LoadResult], Callable[[int], LoadResult]]


def _paired(
    pairs: int, mine: Callable[[int], LoadResult], base: Callable[[int], LoadResult]
) -> Paired:
    return _interleaved(pairs, [(mine, base)])[0]


def _interleaved(pairs: int, figures: list[Runs]) -> list[Paired]:
    """Each figure's pairs, the figures taken in turn within every round: figures that
    are compared with each other (POST on an empty server and on a full one) then share
    the machine's drift over the minutes they take, instead of one getting the quiet
    minutes and the other the busy ones."""
    runs: list[list[tuple[float, LoadResult, LoadResult]]] = [[] for _ in figures]
    for n in range(pairs):
        for got, (mine, base) in zip(runs, figures, strict=True):
            mock, bare = mine(n), base(n)
            got.append((mock.rps / bare.rps if bare.rps else 0.0, mock, bare))
    out = []
    for got in runs:
        # the lower median: with an even count the table never shows the better half
        _, mock, bare = sorted(got, key=lambda run: run[0])[(len(got) - 1) // 2]
        out.append(Paired(mock, bare, [run[0] for run in got]))
    return out


def _reads(tool: str, url: str, sec: float, conns: int) -> Callable[[int], LoadResult]:
    return lambda _n: measure(tool, url, sec, conns)


def _row(name: str, paired: Paired, goal: float | None, size: int | None = None) -> Row:
    mock, bare = paired.mock, paired.bare
    ratio = mock.rps / bare.rps if bare.rps else None
    notes = [f"{size:,} B body"] if size else []
    if len(paired.ratios) > 1:
        notes.append("ratios in run order " + ", ".join(f"{r:.2f}" for r in paired.ratios))
    if mock.p99_ms:
        notes.append(f"p99 {mock.p99_ms:.1f} ms vs bare {bare.p99_ms:.1f} ms")
    return Row(
        "api",
        name,
        mock.rps,
        "req/s",
        bare.rps,
        ratio,
        f">= {goal}x bare" if goal else "",
        None if goal is None or ratio is None else ratio >= goal,
        "; ".join(notes),
    )


def reads_target(bot_id: str, transcripts: bool) -> str:
    """GET /bots/meeting_data of a finished bot: the issue's figure reads it without the
    transcript; a client polling for it, by default, with."""
    lean = "" if transcripts else "&include_transcripts=false"
    return f"/bots/meeting_data?bot_id={bot_id}{lean}"


def _seed_reads(client: MockClient) -> tuple[str, dict[str, bytes]]:
    """A few finished bots (with transcripts) and calendars; the bodies each read answers."""
    ids = []
    for n in range(5):
        resp = client.request("POST", "/bots/", json_body=join_body(f"read-{n}"))
        ids.append(json.loads(_ok(resp, "POST /bots/"))["bot_id"])
    client.advance(3600)
    for _ in range(2):
        _ok(client.request("POST", "/calendars/", json_body=CREDS), "POST /calendars/")
    reads = {
        reads_target(ids[0], transcripts=False): b"",
        "/bots/bots_with_metadata?limit=5": b"",
        "/calendars/": b"",
    }
    for target in reads:
        reads[target] = _ok(client.request("GET", target), f"GET {target}")
    return ids[0], reads


def run(report: Report, opts: Options, tool: str) -> None:
    sec, conns, pairs = opts.seconds, opts.connections, opts.pairs
    with Children() as kids:
        progress("api: reads on a small server (5 finished bots, 2 calendars)")
        mock = kids.mock()
        client = MockClient(mock.url, api_key=API_KEY, timeout=opts.timeout)
        first_bot, reads = _seed_reads(client)
        post_answer = _ok(
            client.request("POST", "/bots/", json_body=join_body("sample")), "POST /bots/"
        )
        routes = [("GET", t.split("?")[0], body) for t, body in reads.items()]
        bare = _bare(kids, [*routes, ("POST", "/bots/", post_answer)])
        for target, body in reads.items():
            name = "GET " + target.split("?")[0]
            progress(f"api: {name}")
            paired = _paired(
                pairs,
                _reads(tool, mock.url + target, sec, conns),
                _reads(tool, bare.url + target, sec, conns),
            )
            report.add(_row(name, paired, READ_GOAL, len(body)))

        # what a client polling a finished bot reads by default: its transcript too (no
        # goal of the issue's; its own bare server, as the path is the same)
        target = reads_target(first_bot, transcripts=True)
        body = _ok(client.request("GET", target), f"GET {target}")
        whole = _bare(kids, [("GET", "/bots/meeting_data", body)])
        progress("api: GET /bots/meeting_data with its transcript")
        paired = _paired(
            pairs,
            _reads(tool, mock.url + target, sec, conns),
            _reads(tool, whole.url + target, sec, conns),
        )
        report.add(_row("GET /bots/meeting_data, with the transcript", paired, None, len(body)))

        def post_empty(n: int) -> LoadResult:
            progress("api: POST /bots/ on an empty server")
            client.reset()  # back to an empty world, without a new process to start
            return measure(tool, mock.url + "/bots/", sec, conns, post_prefix=f"empty{n}")

        preload, present = opts.preload, 0
        fills: list[float] = []  # bots/s of each preload

        def post_full(n: int) -> LoadResult:
            client.reset()  # every run starts from exactly `preload` bots
            progress(f"api: {preload:,} bots through concurrent POST /bots/")
            started = time.monotonic()
            create_bots(
                mock.url,
                preload,
                f"preload{n}",
                concurrency=opts.create_concurrency,
                timeout=opts.timeout,
            )
            fills.append(preload / (time.monotonic() - started))
            progress(f"api: POST /bots/ with {preload:,} bots present")
            result = measure(tool, mock.url + "/bots/", sec, conns, post_prefix=f"full{n}")
            nonlocal present
            present = preload + result.requests  # the listing below reads these
            return result

        def bare_post(kind: str) -> Callable[[int], LoadResult]:
            url = bare.url + "/bots/"
            return lambda n: measure(tool, url, sec, conns, post_prefix=f"{kind}{n}")

        # in turn, round by round: the drop between the two compares like with like
        on_empty, on_full = _interleaved(
            pairs, [(post_empty, bare_post("empty")), (post_full, bare_post("full"))]
        )
        empty = report.add(_row("POST /bots/ (empty server)", on_empty, POST_GOAL))
        full = report.add(_row(f"POST /bots/ ({preload:,} bots present)", on_full, POST_GOAL))
        report.notes.append(
            f"POST /bots/ ({preload:,} bots present): each run starts from a reset and "
            f"{preload:,} bots created through {opts.create_concurrency} concurrent "
            f"POST /bots/ (at {', '.join(f'{rate:,.0f}' for rate in fills)} bots/s)"
        )
        if empty.ratio and full.ratio:
            drop = (empty.ratio - full.ratio) / empty.ratio * 100
            report.add(
                Row(
                    "api",
                    "POST /bots/ ratio drop, empty -> full",
                    drop,
                    "%",
                    goal=f"<= {DROP_GOAL:g}%",
                    met=drop <= DROP_GOAL,
                    note="negative: the ratio rose with bots present" if drop < 0 else "",
                )
            )

        target = "/bots/bots_with_metadata?limit=5"
        body = _ok(client.request("GET", target), f"GET {target}")
        listing = _bare(kids, [("GET", "/bots/bots_with_metadata", body)])
        progress(f"api: GET /bots/bots_with_metadata with {present:,} bots")
        paired = _paired(
            pairs,
            _reads(tool, mock.url + target, sec, conns),
            _reads(tool, listing.url + target, sec, conns),
        )
        name = f"GET /bots/bots_with_metadata ({present:,} bots)"
        row = report.add(_row(name, paired, None, len(body)))
        row.note = "; ".join(
            [
                f"{present:,} = the {preload:,} preloaded plus those the last POST run made",
                *([row.note] if row.note else []),
            ]
        )
