"""The hook for the streaming benchmark, which lives in `mockbaas/bench_streaming.py`.

When that module exists, its `main()` runs in a child process (bounded by `--timeout`;
`--quick` is passed on in `sys.argv`). What `main()` returns decides what the table shows:

- a list of dicts (or one dict) with the keys of `report.Row` (`figure`, `value`, `unit`,
  and optionally `bare`, `ratio`, `goal`, `met`, `note`): rows of the table;
- an int or None: an exit code; its output is shown below the table.

Without the module the section is skipped, and says so.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from typing import Any

from .options import Options, progress
from .report import Report, Row

MODULE = "mockbaas.bench_streaming"
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
