"""The `make bench` command line: choose sections and sizes, run them, print one table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

from . import api, lifecycle, streaming, webhooks
from .load import PYTHON, BenchError, pick_tool
from .options import QUICK, SECTIONS, Options, progress
from .procs import sigterm_as_interrupt
from .report import Report

N = TypeVar("N", int, float)

EPILOG = """\
sections: api (reads, POST /bots/ empty and with --preload bots), webhooks (slow and hanging
receivers), lifecycle (--sizes whole lives), streaming (100 live audio streams at --speed
10, or 10 with --quick).

examples:
  make bench                                 # everything, full sizes (minutes)
  make bench ARGS="--quick"                  # every section, tiny sizes (seconds)
  make bench ARGS="--only lifecycle --sizes 1000,10000"
  python -m mockbaas.bench --only api --load python --json out.json
"""


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of bot counts") from None
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("bot counts are 1 or more")
    return sizes


def _sections(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"sections are {', '.join(SECTIONS)}")
    return chosen


def _positive(kind: Callable[[str], N]) -> Callable[[str], N]:
    def parse(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError("must be greater than 0")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mockbaas.bench",
        description="mockbaas against a bare aiohttp baseline, in one run, as one table.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    q = QUICK
    add(
        "--quick",
        action="store_true",
        help=(
            f"the smoke test: {q['seconds']:g} s runs, {q['pairs']} pair, {q['connections']} "
            f"connections, --preload {q['preload']}, --sizes "
            f"{','.join(map(str, q['lifecycle_sizes']))}, {q['slow_bots']} slow and "
            f"{q['hang_bots']} hanging bots, the preload through {q['create_concurrency']} "
            f"concurrent POSTs ({Options.create_concurrency} otherwise), --timeout "
            f"{q['timeout']:g}; options given beside it win"
        ),
    )
    add("--only", type=_sections, action="extend", metavar="SECTION[,SECTION]",
        help=f"run only these sections ({', '.join(SECTIONS)}); repeatable")  # fmt: skip
    add("--load", choices=["auto", "wrk", "python"], default="auto",
        help="load generator: wrk when installed (auto), or the Python aiohttp client")  # fmt: skip
    add("--seconds", type=_positive(float), help="length of each throughput run (default 5)")
    add("--connections", type=_positive(int), help="concurrent connections (default 32)")
    add("--pairs", type=_positive(int),
        help="runs of mock and bare in turn per api figure (default 3)")  # fmt: skip
    add("--preload", type=_positive(int),
        help="bots present for the second POST /bots/ run (default 50000)")  # fmt: skip
    add("--sizes", type=_sizes, dest="lifecycle_sizes", metavar="N,N,...",
        help="lifecycle sizes (default 1000,10000,50000)")  # fmt: skip
    add("--slow-bots", type=_positive(int), help="bots sent to the slow receiver (default 500)")
    add("--slow-delay", type=_positive(float), help="the slow receiver's answer time (0.1 s)")
    add("--timeout", type=_positive(float),
        help="longest wait for any one step, in seconds (default 600)")  # fmt: skip
    add("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    return parser


def options_from(args: argparse.Namespace) -> Options:
    values: dict[str, Any] = dict(QUICK) if args.quick else {}
    for f in fields(Options):
        given = getattr(args, f.name, None)
        if given is not None:
            values[f.name] = given
    if args.only:
        values["sections"] = tuple(s for s in SECTIONS if s in args.only)
    return Options(**values)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    opts = options_from(args)
    try:
        tool = pick_tool(opts.load)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    report = Report(tool, opts.settings())
    if tool == PYTHON:
        report.notes.append(
            "wrk not used: the Python load generator runs in the benchmark's own process "
            "and saturates sooner, so ratios read high (apt-get install wrk)"
        )
    steps = {
        "api": lambda: api.run(report, opts, tool),
        "webhooks": lambda: webhooks.run(report, opts, tool),
        "lifecycle": lambda: lifecycle.run(report, opts),
        "streaming": lambda: streaming.run(report, opts),
    }
    interrupted = False
    with sigterm_as_interrupt():
        try:
            for name in opts.sections:
                try:
                    steps[name]()
                except BenchError as exc:
                    report.failures[name] = str(exc)
        except KeyboardInterrupt:
            interrupted = True  # every section's `with Children()` has stopped its processes
            report.failures["interrupted"] = "stopped by Ctrl-C / SIGTERM; the table is partial"
    print(report.table())
    if "streaming_output" in report.extra:
        print("\nstreaming benchmark output:\n" + report.extra["streaming_output"])
    if args.json:
        report.write_json(args.json)
        progress(f"wrote {args.json}")
    if interrupted:
        return 130
    return 1 if report.failures else 0
