"""Load generators: `wrk` when installed, else a Python aiohttp client; and bulk bot creation.

Both report requests/s and latency percentiles over a fixed duration with a fixed number of
connections, and fail loudly on any non-2xx answer or socket error (a fast error is not
throughput). POST bodies carry a unique `deduplication_key` per request (wrk: a Lua script),
so every POST /bots/ creates a bot.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

API_KEY = "bench-key"
KEY_HEADER = "x-meeting-baas-api-key"
MEET_URL = "https://meet.google.com/abc-defg-hij"
WRK = "wrk"
PYTHON = "python-aiohttp"


class BenchError(RuntimeError):
    """A measurement that could not be made honestly (errors, timeouts): the section fails."""


def join_body(key: str, transcript: bool = True) -> dict[str, Any]:
    """A typical POST /bots/ body; `key` is its deduplication key."""
    body: dict[str, Any] = {
        "meeting_url": MEET_URL,
        "bot_name": "bench",
        "reserved": False,
        "deduplication_key": key,
    }
    if transcript:
        body["speech_to_text"] = {"provider": "Default"}
    return body


@dataclass
class LoadResult:
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    requests: int
    tool: str


def pick_tool(choice: str) -> str:
    """`auto`: wrk when installed, else the Python client; `wrk` demands it."""
    if choice == "python":
        return PYTHON
    if shutil.which("wrk"):
        return WRK
    if choice == "wrk":
        raise BenchError("--load wrk: wrk is not installed (apt-get install wrk)")
    return PYTHON


# -- wrk ----------------------------------------------------------------------------------
POST_SCRIPT = """
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["%(header)s"] = "%(key)s"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
local prefix = "k"
function init(args)
  prefix = (args[1] or "k") .. "-" .. tostring(tid)
end
function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, string.format([[%(body)s]], prefix, counter))
end
"""

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise BenchError(f"not a wrk duration: {text!r}")
    number, unit = match.groups()
    return float(number) * _UNITS[unit]


def parse_wrk(out: str, url: str) -> LoadResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if rps is None or total is None:
        raise BenchError(f"wrk gave no result for {url}:\n{out[-1000:]}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise BenchError(f"{url}: {non2xx.group(1)} non-2xx answers during the run")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors and any(int(n) for n in errors.groups()):
        raise BenchError(f"{url}: socket errors during the run ({errors.group(0)})")
    pct = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+(?:us|ms|s|m))\s*$", out, re.M))
    p50 = _ms(pct["50"]) if "50" in pct else None
    p99 = _ms(pct["99"]) if "99" in pct else None
    return LoadResult(float(rps.group(1)), p50, p99, int(total.group(1)), WRK)


def run_wrk(
    url: str, seconds: float, connections: int, post_prefix: str | None = None
) -> LoadResult:
    """GET `url`, or with `post_prefix` POST a join body with unique keys `prefix-N`."""
    args = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    args += ["--timeout", "10s"]
    script = None
    if post_prefix is None:
        args += ["-H", f"{KEY_HEADER}: {API_KEY}", url]
    else:
        template = json.dumps(join_body("%s-%d"), separators=(",", ":"))
        text = POST_SCRIPT % {"header": KEY_HEADER, "key": API_KEY, "body": template}
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(text)
            script = handle.name
        args += ["-s", script, url, "--", post_prefix]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish on {url}") from None
    finally:
        if script:
            os.unlink(script)
    if done.returncode != 0:
        raise BenchError(f"wrk failed on {url}: {done.stderr[-1000:]}")
    return parse_wrk(done.stdout, url)


# -- the Python load generator --------------------------------------------------------------
def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


async def _python_load(
    url: str, seconds: float, connections: int, body: Callable[[int], bytes] | None
) -> LoadResult:
    import aiohttp

    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    headers = {KEY_HEADER: API_KEY, "content-type": "application/json"}
    counter = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal counter
        while time.monotonic() < deadline:
            counter += 1
            data = body(counter) if body is not None else None
            started = time.perf_counter()
            method = "GET" if data is None else "POST"
            async with session.request(method, url, data=data, headers=headers) as resp:
                answer = await resp.read()
                if resp.status >= 300:
                    raise BenchError(f"{method} {url}: HTTP {resp.status}: {answer[:300]!r}")
            latencies.append((time.perf_counter() - started) * 1000)

    start = time.monotonic()
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        try:
            await asyncio.gather(*(worker(session) for _ in range(connections)))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BenchError(f"{url}: {type(exc).__name__}: {exc}") from None
    elapsed = time.monotonic() - start
    return LoadResult(
        len(latencies) / elapsed,
        percentile(latencies, 50),
        percentile(latencies, 99),
        len(latencies),
        PYTHON,
    )


def measure(
    tool: str, url: str, seconds: float, connections: int, post_prefix: str | None = None
) -> LoadResult:
    """Throughput and latency of GET `url` (or POST /bots/-style bodies with `post_prefix`)."""
    if tool == WRK:
        return run_wrk(url, seconds, connections, post_prefix)
    body = None
    if post_prefix is not None:

        def body(n: int) -> bytes:
            return json.dumps(join_body(f"{post_prefix}-{n}")).encode()

    return asyncio.run(_python_load(url, seconds, connections, body))


# -- many bots, fast ------------------------------------------------------------------------
async def _create(
    base: str, count: int, prefix: str, concurrency: int, extra: dict[str, Any], timeout: float
) -> list[str]:
    import aiohttp

    ids: list[str | None] = [None] * count
    todo = iter(range(count))
    headers = {KEY_HEADER: API_KEY, "content-type": "application/json"}

    async def worker(session: aiohttp.ClientSession) -> None:
        for n in todo:
            data = json.dumps({**join_body(f"{prefix}-{n}"), **extra}).encode()
            async with session.post(base + "/bots/", data=data, headers=headers) as resp:
                answer = await resp.read()
                if resp.status != 200:
                    raise BenchError(f"POST /bots/: HTTP {resp.status}: {answer[:300]!r}")
                ids[n] = json.loads(answer)["bot_id"]

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        try:
            async with asyncio.timeout(timeout):
                await asyncio.gather(*(worker(session) for _ in range(min(concurrency, count))))
        except TimeoutError:
            done = sum(1 for i in ids if i)
            raise BenchError(f"creating {count} bots: only {done} in {timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise BenchError(f"creating bots: {type(exc).__name__}: {exc}") from None
    return [i for i in ids if i]


def create_bots(
    base: str,
    count: int,
    prefix: str,
    *,
    concurrency: int = 64,
    extra: dict[str, Any] | None = None,
    timeout: float = 600,
) -> list[str]:
    """`count` bots through POST /bots/, `concurrency` requests in flight: the bot ids, in
    request order. Bounded by `timeout` seconds."""
    if count <= 0:
        return []
    return asyncio.run(_create(base, count, prefix, concurrency, extra or {}, timeout))
