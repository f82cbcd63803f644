"""API throughput against the bare baseline: the reads, and POST /bots/ empty and full.

Each figure runs the same load on the mock and then on a bare aiohttp process answering
the very bytes the mock answered, so the ratio is what mockbaas adds on top of aiohttp.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
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


def _row(
    name: str, mock: LoadResult, bare: LoadResult, goal: float | None, size: int | None = None
) -> Row:
    ratio = mock.rps / bare.rps if bare.rps else None
    p99 = f"p99 {mock.p99_ms:.1f} ms vs bare {bare.p99_ms:.1f} ms" if mock.p99_ms else ""
    body = f"{size:,} B body; " if size else ""
    return Row(
        "api",
        name,
        mock.rps,
        "req/s",
        bare.rps,
        ratio,
        f">= {goal}x bare" if goal else "",
        None if goal is None or ratio is None else ratio >= goal,
        (body + p99).strip("; "),
    )


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
        f"/bots/meeting_data?bot_id={ids[0]}&include_transcripts=false": b"",
        "/bots/bots_with_metadata?limit=5": b"",
        "/calendars/": b"",
    }
    for target in reads:
        reads[target] = _ok(client.request("GET", target), f"GET {target}")
    return ids[0], reads


def run(report: Report, opts: Options, tool: str) -> None:
    sec, conns = opts.seconds, opts.connections
    with Children() as kids:
        progress("api: reads on a small server (5 finished bots, 2 calendars)")
        mock = kids.mock()
        client = MockClient(mock.url, api_key=API_KEY, timeout=opts.timeout)
        _, reads = _seed_reads(client)
        post_answer = _ok(
            client.request("POST", "/bots/", json_body=join_body("sample")), "POST /bots/"
        )
        routes = [("GET", t.split("?")[0], body) for t, body in reads.items()]
        bare = _bare(kids, [*routes, ("POST", "/bots/", post_answer)])
        for target, body in reads.items():
            name = "GET " + target.split("?")[0]
            progress(f"api: {name}")
            mine = measure(tool, mock.url + target, sec, conns)
            base = measure(tool, bare.url + target, sec, conns)
            report.add(_row(name, mine, base, READ_GOAL, len(body)))

        progress("api: POST /bots/ on an empty server")
        client.reset()  # back to an empty world, without a new process to start
        mine = measure(tool, mock.url + "/bots/", sec, conns, post_prefix="empty")
        base = measure(tool, bare.url + "/bots/", sec, conns, post_prefix="empty")
        empty = report.add(_row("POST /bots/ (empty server)", mine, base, POST_GOAL))
        present = mine.requests
        todo = max(0, opts.preload - present)
        progress(f"api: {todo:,} more bots through concurrent POST /bots/")
        started = time.monotonic()
        create_bots(
            mock.url, todo, "preload", concurrency=opts.create_concurrency, timeout=opts.timeout
        )
        took = time.monotonic() - started
        present += todo
        how = f"POST /bots/ (empty server) created {mine.requests:,} bots"
        if todo:
            how += (
                f"; {todo:,} more came through {opts.create_concurrency} concurrent "
                f"POST /bots/ in {took:.1f} s ({todo / took:,.0f}/s)"
            )
        report.notes.append(f"{how}: {present:,} bots present for the second POST run")
        progress(f"api: POST /bots/ with {present:,} bots present")
        mine = measure(tool, mock.url + "/bots/", sec, conns, post_prefix="full")
        base = measure(tool, bare.url + "/bots/", sec, conns, post_prefix="full")
        full = report.add(_row(f"POST /bots/ ({present:,} bots present)", mine, base, POST_GOAL))
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
        mine = measure(tool, mock.url + target, sec, conns)
        base = measure(tool, listing.url + target, sec, conns)
        row = _row(f"GET /bots/bots_with_metadata ({present:,} bots)", mine, base, None, len(body))
        report.add(row)
