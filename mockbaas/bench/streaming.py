"""The streaming section: do 100 concurrent streaming bots keep pace on a realtime clock?

`main()` is the benchmark; `run()` runs it in a child process (bounded by `--timeout`;
`--quick` is passed on in `sys.argv`), so its event loops never share the benchmark's.
In the child, a realtime mock at `--speed 10` (each bot's 100 ms chunks due every 10 ms
of wall time: 100 bots are 10,000 frames and ~48 MB a second at 24 kHz) streams to a
WebSocket sink in another process (its reading does not count against the mock's loop).
A frame's lateness is the wall time between when it was due (the moment the virtual
clock, at its speed, reached the end of the audio it holds) and when it was written.
Goal: no chunk later than 100 ms.

What `main()` returns decides what the table shows (`run()` also accepts another module
with a `main()`, for tests):

- a list of dicts (or one dict) with the keys of `report.Row` (`figure`, `value`, `unit`,
  and optionally `bare`, `ratio`, `goal`, `met`, `note`): rows of the table;
- an int or None: an exit code; its output is shown below the table.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from typing import Any, TypedDict

from aiohttp import WSMsgType, web

from .options import Options, progress
from .procs import LOOPBACK, Children
from .report import Report, Row

MODULE = "mockbaas.bench.streaming"
MARKER = "MOCKBAAS_BENCH_ROWS "


def _wrapper(module: str) -> str:
    """The child's program: run `module.main()`, hand back rows on a marker line."""
    return f"""
import json, sys
from {module} import main
result = main()
if isinstance(result, (dict, list)):
    rows = result if isinstance(result, list) else [result]
    print({MARKER!r} + json.dumps(rows), flush=True)
    result = 0
sys.exit(result or 0)
"""


FIELDS = ("figure", "value", "unit", "bare", "ratio", "goal", "met", "note")


def available(module: str = MODULE) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _rows(found: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for item in found:
        known = {k: item[k] for k in FIELDS if k in item}
        known.setdefault("figure", "streaming")
        known.setdefault("value", None)
        known.setdefault("unit", "")
        rows.append(Row("streaming", **known))
    return rows


def run(report: Report, opts: Options, module: str = MODULE) -> None:
    if not available(module):
        report.notes.append(f"streaming: skipped ({module} is not there yet)")
        return
    progress("streaming: running " + module)
    args = [sys.executable, "-c", _wrapper(module)] + (["--quick"] if opts.quick else [])
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=opts.timeout)
    except subprocess.TimeoutExpired:
        report.failures["streaming"] = f"{module}.main() did not finish in {opts.timeout:g} s"
        return
    output = []
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            for row in _rows(json.loads(line[len(MARKER) :])):
                report.add(row)
        else:
            output.append(line)
    if output:
        report.extra["streaming_output"] = "\n".join(output)
    if done.returncode != 0:
        report.failures["streaming"] = (
            f"{module}.main() exited with {done.returncode}: {done.stderr[-1000:]}"
        )


# -- the benchmark (runs in the child) --------------------------------------------------

GOAL_MS = 100.0


class Size(TypedDict):
    bots: int
    speed: float
    seconds: float


FULL: Size = {"bots": 100, "speed": 10.0, "seconds": 20.0}
QUICK: Size = {"bots": 10, "speed": 10.0, "seconds": 3.0}
RECORDING_AT_S = 10  # the default scenario starts recording 10 virtual seconds in


async def _sink(port: int) -> None:
    """A WebSocket endpoint that reads and counts (the receiving side of the bench)."""
    totals = {"bytes": 0, "frames": 0, "connections": 0}

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        totals["connections"] += 1
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                totals["bytes"] += len(msg.data)
                totals["frames"] += 1
        return ws

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(totals)

    app = web.Application()
    app.router.add_get("/_bench/stats", stats)
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=True)
    await runner.setup()
    await web.TCPSite(runner, LOOPBACK, port).start()
    await asyncio.Event().wait()


def measure(bots: int, speed: float, seconds: float, frequency: str = "24khz") -> dict[str, Any]:
    """Stream `bots` meetings for `seconds` of wall time once recording started."""
    from ..config import Settings
    from ..testing.client import MockClient
    from ..testing.server import BackgroundServer

    with Children() as kids:
        sink = kids.start(
            "stream sink",
            ["-m", "mockbaas.bench.streaming", "sink", "--port", "{port}"],
            "/_bench/stats",
        )
        settings = Settings(port=0, clock="realtime", speed=speed, log_level="warning")
        with BackgroundServer(settings) as server:
            client = MockClient(server.url)
            for n in range(bots):
                client.join(
                    meeting_url=f"https://meet.google.com/bch-{n:04d}-xyz",
                    streaming={
                        "input": f"ws://{LOOPBACK}:{sink.port}/in/{n}",
                        "audio_frequency": frequency,
                    },
                )
            time.sleep(RECORDING_AT_S / speed)
            cpu0 = time.process_time()
            time.sleep(seconds)
            cpu = time.process_time() - cpu0
            assert server.mock is not None
            streams = list(server.mock.streams.streams.values())
            late = sorted(x for s in streams for x in list(s.late_samples))  # still filling
            frames = sum(s.frames for s in streams)
            owed = max((s.released - s.sent for s in streams), default=0)
            problems = [
                e
                for s in streams
                for e in s.journal
                if e["event"] not in ("connecting", "connected")
            ]
    worst = late[-1] if late else None
    return {
        "bots": bots,
        "speed": speed,
        "streams": len(streams),
        "frames": frames,
        "frames_per_second": round(frames / seconds),
        "worst_ms": None if worst is None else round(worst, 1),
        "p99_ms": round(late[int(len(late) * 0.99)], 1) if late else None,
        "median_ms": round(statistics.median(late), 1) if late else None,
        "most_owed_ms": owed,
        "cpu_share": round(cpu / seconds, 2),
        "problems": problems[:3],
        "kept_pace": worst is not None and worst <= GOAL_MS and not problems,
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]] | int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["sink"]:
        asyncio.run(_sink(int(args[args.index("--port") + 1])))
        return 0
    size = QUICK if "--quick" in args else FULL
    got = measure(size["bots"], size["speed"], size["seconds"])
    where = f"{got['bots']} bots at --speed {got['speed']:g}"
    note = f"{got['frames_per_second']} frames/s, mock CPU {got['cpu_share']:.0%}" + (
        f"; journal: {got['problems']}" if got["problems"] else ""
    )
    return [
        {
            "figure": f"worst chunk lateness, {where}",
            "value": got["worst_ms"],
            "unit": "ms",
            "goal": f"<= {GOAL_MS:g} ms",
            "met": got["kept_pace"],
            "note": note,
        },
        {"figure": f"p99 chunk lateness, {where}", "value": got["p99_ms"], "unit": "ms"},
        {"figure": f"median chunk lateness, {where}", "value": got["median_ms"], "unit": "ms"},
    ]


if __name__ == "__main__":
    result = main()
    sys.exit(result if isinstance(result, int) else 0)
