"""`make bench` must keep working: `--quick` runs every section on tiny sizes, with wrk or
without, and prints one table (and JSON) holding every figure.

No number is asserted: speed goals live in the benchmark's own output, never in tests.
Only the shape is: which figures, which baseline beside them, which verdicts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mockbaas.bench import load, run, streaming
from mockbaas.bench.load import BenchError, parse_wrk
from mockbaas.bench.options import Options
from mockbaas.bench.report import Report, Row
from mockbaas.bench.servers import Stats

#: long runs (fuzzing, many examples, benchmarks): `pytest -m "not slow"` skips them
pytestmark = pytest.mark.slow

READS = ["GET /bots/meeting_data", "GET /bots/bots_with_metadata", "GET /calendars/"]


def bench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockbaas.bench", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_quick_run_reports_every_figure_with_its_baseline(tmp_path):
    out = tmp_path / "bench.json"
    done = bench("--quick", "--json", str(out))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())

    tool = "wrk" if shutil.which("wrk") else "python-aiohttp"
    assert result["load_tool"] == tool
    assert result["cores"] == os.cpu_count()
    assert result["failures"] == {}
    assert re.match(
        rf"mockbaas bench: {os.cpu_count()} cores, .*load generator {tool}", done.stdout
    )
    figures = [r["figure"] for r in result["rows"]]
    by_figure = {r["figure"]: r for r in result["rows"]}

    # api: every read and both POST runs against the bare server, measured in this run
    posts = [f for f in figures if f.startswith("POST /bots/ (")]
    assert posts[0] == "POST /bots/ (empty server)"
    assert re.fullmatch(r"POST /bots/ \([\d,]+ bots present\)", posts[1])
    for name in [*READS, *posts]:
        row = by_figure[name]
        assert row["unit"] == "req/s" and row["value"] > 0 and row["bare"] > 0
        assert row["ratio"] == pytest.approx(row["value"] / row["bare"])
        assert row["verdict"] in ("ok", "MISSES")
        assert re.search(rf"^api\s+{re.escape(name)}\s", done.stdout, re.M)
    whole = by_figure["GET /bots/meeting_data, with the transcript"]
    assert whole["value"] > 0 and whole["bare"] > 0 and whole["goal"] == ""
    assert int(re.match(r"([\d,]+) B body", whole["note"])[1].replace(",", "")) > 10_000
    drop = by_figure["POST /bots/ ratio drop, empty -> full"]
    ratios = [by_figure[p]["ratio"] for p in posts]
    assert drop["value"] == pytest.approx((ratios[0] - ratios[1]) / ratios[0] * 100)
    assert drop["goal"] == "<= 10%"

    # webhooks: the slow receiver's rate, p99 with and without a hanging receiver
    slow = by_figure["receiver answering in 100 ms, 6 bots"]
    assert slow["unit"] == "webhooks/s" and slow["goal"] == ">= 200/s"
    calm = by_figure["GET /bots/meeting_data p99, receivers healthy"]
    hung = by_figure["GET /bots/meeting_data p99, one receiver hanging"]
    assert calm["unit"] == hung["unit"] == "ms" and calm["bare"] > 0
    change = by_figure["p99 change while a receiver hangs"]
    assert change["value"] == pytest.approx((hung["value"] / calm["value"] - 1) * 100)
    assert "other bots' webhooks delivered" in change["note"]

    # lifecycle: each size checked (every webhook delivered), then the growth between them
    for size in (20, 60):
        wall = by_figure[f"{size} lifecycles: wall"]
        assert "all delivered, in order, with transcripts" in wall["note"]
        for figure in ("time per bot", "webhooks/s", "mock peak RSS"):
            assert by_figure[f"{size} lifecycles: {figure}"]["value"] > 0
        assert wall["goal"] == ""  # the < 10 s goal is stated for 10,000 bots only
    assert by_figure["time per bot, 60 vs 20 bots"]["goal"].startswith("linear")

    # streaming: 10 live streams at --speed 10 in --quick, lateness against the 100 ms goal
    worst = by_figure["worst chunk lateness, 10 bots at --speed 10"]
    assert worst["unit"] == "ms" and worst["value"] >= 0 and worst["goal"] == "<= 100 ms"
    assert "frames/s" in worst["note"]
    assert by_figure["p99 chunk lateness, 10 bots at --speed 10"]["value"] <= worst["value"]
    # --quick sizes cannot judge goals stated for full ones: the table says so, not "missed"
    assert re.search(r"^--quick: sizes too small to judge the \d+ goals", done.stdout, re.M)
    assert "MISSES" not in done.stdout and " (quick)" in done.stdout


def test_without_wrk_the_python_load_generator_measures(tmp_path):
    out = tmp_path / "bench.json"
    args = ("--quick", "--only", "api", "--load", "python", "--pairs", "2", "--json", str(out))
    done = bench(*args)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["load_tool"] == "python-aiohttp"
    assert {r["section"] for r in result["rows"]} == {"api"}
    assert all(r["bare"] > 0 for r in result["rows"] if r["unit"] == "req/s")
    assert "wrk not used" in done.stdout
    # --pairs: mock and bare ran in turn twice per figure; the row is the lower median pair
    assert result["settings"]["pairs"] == 2
    for row in (r for r in result["rows"] if r["unit"] == "req/s"):
        found = re.search(r"ratios in run order ([\d.]+), ([\d.]+)", row["note"])
        assert found, row
        assert round(row["ratio"], 2) == min(float(found[1]), float(found[2])), row


def test_wrk_asked_for_but_missing_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setattr(load.shutil, "which", lambda _name: None)
    assert run.main(["--quick", "--load", "wrk"]) == 2
    assert "wrk is not installed" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["--only", "nothing"], ["--sizes", "10,x"], ["--sizes", "0"], ["--seconds", "-1"]]
)
def test_bad_options_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        run.main(argv)
    assert stopped.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_options_quick_sizes_and_sections():
    args = run.build_parser().parse_args(["--quick", "--only", "lifecycle", "--sizes", "5,1_000"])
    opts = run.options_from(args)
    assert opts.sections == ("lifecycle",)
    assert opts.lifecycle_sizes == (5, 1000)
    assert opts.seconds == 1.0 and opts.quick
    full = run.options_from(run.build_parser().parse_args(["--only", "api,webhooks"]))
    assert full.sections == ("api", "webhooks") and full.preload == 50_000


WRK_OUT = """Running 1s test @ http://127.0.0.1:1/bots/
  1 threads and 4 connections
  Latency Distribution
     50%  250.00us
     75%  400.00us
     90%    1.20ms
     99%   12.50ms
  4021 requests in 1.00s, 1.1MB read
Requests/sec:   4019.82
Transfer/sec:      1.1MB
"""


def test_wrk_output_is_read_and_errors_fail_the_measurement():
    result = parse_wrk(WRK_OUT, "u")
    assert (result.rps, result.requests, result.tool) == (4019.82, 4021, "wrk")
    assert result.p50_ms == pytest.approx(0.25) and result.p99_ms == pytest.approx(12.5)
    with pytest.raises(BenchError, match="3 non-2xx"):
        parse_wrk(
            WRK_OUT.replace("Requests/sec", "  Non-2xx or 3xx responses: 3\nRequests/sec"), "u"
        )
    broken = "  Socket errors: connect 0, read 2, write 0, timeout 0\n"
    with pytest.raises(BenchError, match="socket errors"):
        parse_wrk(WRK_OUT.replace("Requests/sec", broken + "Requests/sec"), "u")
    with pytest.raises(BenchError, match="no result"):
        parse_wrk("unable to connect", "u")


def _hook(status: str, at: str, delivery: str) -> tuple[dict[str, str], bytes]:
    body = {
        "event": "bot.status_change",
        "data": {"bot_id": "b1", "status": {"code": status, "created_at": at}},
    }
    return {"x-mockbaas-delivery-id": delivery}, json.dumps(body, separators=(",", ":")).encode()


def test_receiver_counts_unique_deliveries_and_catches_disorder():
    stats = Stats()
    stats.record(*_hook("joining_call", "2025-01-06T09:00:00.000Z", "d1"))
    stats.record(*_hook("joining_call", "2025-01-06T09:00:00.000Z", "d1"))  # a retry
    stats.record(*_hook("in_call_recording", "2025-01-06T09:00:10.000Z", "d2"))
    complete = b'{"event":"complete","data":{"bot_id":"b1","transcript":[{"speaker":"A"}]}}'
    stats.record({"x-mockbaas-delivery-id": "d3"}, complete)
    seen = stats.as_dict()
    assert (seen["requests"], seen["unique"], seen["order_errors"]) == (4, 3, 0)
    assert seen["events"] == {"bot.status_change": 2, "complete": 1}
    assert seen["complete_with_transcript"] == 1
    stats.record(*_hook("call_ended", "2025-01-06T09:30:00.000Z", "d4"))  # after complete
    stats.record(*_hook("joining_call", "2025-01-06T08:00:00.000Z", "d5"))  # back in time
    assert stats.as_dict()["order_errors"] == 2


def test_streaming_hook_runs_the_module_and_takes_its_rows(tmp_path, monkeypatch):
    (tmp_path / "fake_streaming_rows.py").write_text(
        "import sys\n"
        "def main():\n"
        "    return [{'figure': '100 streams keep pace', 'value': 12.0, 'unit': 'ms',\n"
        "             'goal': '<= 100 ms', 'met': True, 'note': ' '.join(sys.argv[1:])}]\n"
    )
    (tmp_path / "fake_streaming_fails.py").write_text(
        "def main():\n    print('no websocket support yet')\n    return 3\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    report = Report("wrk", {})
    streaming.run(report, Options(quick=True, timeout=60), module="fake_streaming_rows")
    [row] = report.rows
    assert (row.section, row.figure, row.value, row.verdict) == (
        "streaming",
        "100 streams keep pace",
        12.0,
        "ok",
    )
    assert row.note == "--quick"
    streaming.run(report, Options(timeout=60), module="fake_streaming_fails")
    assert "exited with 3" in report.failures["streaming"]
    assert report.extra["streaming_output"] == "no websocket support yet"
    streaming.run(report, Options(), module="no_such_streaming_module")
    assert "streaming: skipped (no_such_streaming_module is not there yet)" in report.notes


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_stops_every_child_process_and_prints_the_partial_table():
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockbaas.bench", "--quick", "--only", "lifecycle",
         "--sizes", "200000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        kids: list[int] = []
        while len(kids) < 2:  # the receiver and the mock
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.1)
            kids = _children(proc.pid)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "FAILED interrupted" in out
    deadline = time.monotonic() + 10
    while any(_alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [k for k in kids if _alive(k)]


def test_the_table_judges_goals_at_full_size_only():
    rows = [
        Row("api", "GET /a, with a comma", 5.0, "req/s", 10.0, 0.5, ">= 0.6x bare", False),
        Row("api", "GET /b", 9.0, "req/s", 10.0, 0.9, ">= 0.6x bare", True),
        Row("lifecycle", "size", 3.0, "s"),
    ]
    full = Report("wrk", {"connections": 32, "seconds": 5.0, "quick": False}, rows=rows)
    text = full.table()
    assert text.splitlines()[2].split()[-1] == "verdict"  # the column is named
    assert text.endswith("1 of 2 goals met; missed: GET /a, with a comma")
    quick = Report("wrk", {"connections": 4, "seconds": 1.0, "quick": True}, rows=rows)
    text = quick.table()
    assert "MISSES" not in text and text.count("(quick)") == 2
    assert text.splitlines()[-1].startswith("--quick: sizes too small to judge the 2 goals")
