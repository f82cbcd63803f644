"""`make bench` must keep working: a one-second run prints a ratio per operation.

No number is asserted (speed goals live in the benchmark's own output, not in tests)."""

from __future__ import annotations

import re
import subprocess
import sys


def test_bench_runs_and_reports_ratios():
    done = subprocess.run(
        [sys.executable, "-m", "mockbaas.bench", "--seconds", "1", "--connections", "4"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = re.findall(r"^(GET \S+)\s+(\d+)\s+(\d+)\s+([\d.]+)", done.stdout, re.M)
    assert [r[0] for r in rows] == ["GET /bots/meeting_data", "GET /bots/bots_with_metadata"]
    assert all(int(mock) > 0 and int(bare) > 0 for _, mock, bare, _ in rows)
    assert re.search(r"^worst ratio [\d.]+: (meets|MISSES) the goal$", done.stdout, re.M)


def test_bench_without_wrk_uses_the_python_load_generator(monkeypatch, capsys):
    from mockbaas import bench

    monkeypatch.setattr(bench.shutil, "which", lambda _name: None)
    assert bench.main(["--seconds", "1", "--connections", "4"]) == 0
    out = capsys.readouterr().out
    assert out.count("(python-aiohttp,") == 2
    assert "wrk not found" in out
