"""`mockbaas`: the top-level parser and the dispatch to each command.

argparse lives only in this package: each command turns its arguments into the plain
parameters of what it runs (`Settings` for `serve`, the suites' options for `contract`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import __version__
from . import live
from .contract import add_contract_parser
from .serve import add_serve_parser

TOP_EPILOG = """\
examples:
  mockbaas serve                          # http://127.0.0.1:8080, any API key
  mockbaas serve --port 9000 --seed 7 --api-key secret
  mockbaas serve --clock manual           # time moves only via POST /_mockbaas/clock/advance
  mockbaas check-scenarios ./scenarios    # validate your own scenario files
  mockbaas trigger complete --url http://127.0.0.1:3000/hooks   # one webhook, now
  mockbaas tail                           # follow webhook deliveries live
  mockbaas COMMAND --help                 # every option of a command

Control API: /_mockbaas/* (see README). Contract: openapi.json.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockbaas",
        description="A local, deterministic fake of the Meeting BaaS API.",
        epilog=TOP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mockbaas {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_serve_parser(sub)
    add_contract_parser(sub)
    live.add_parsers(sub)
    check = sub.add_parser("check-scenarios", help="validate scenario files and list them")
    check.add_argument("dirs", nargs="*", type=Path, metavar="DIR")
    check.set_defaults(run=check_scenarios)
    return parser


def check_scenarios(args: argparse.Namespace) -> int:
    from ..scenarios import ScenarioBook, ScenarioError

    try:
        book = ScenarioBook.load(args.dirs)
    except ScenarioError as exc:
        print(f"mockbaas: {exc}", file=sys.stderr)
        return 2
    for scenario in book.by_name.values():
        mark = " (default)" if scenario is book.default else ""
        print(f"{scenario.name}{mark}: {scenario.source}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if argv[:1] == ["contract"] and "--" in argv:  # the rest goes to schemathesis as is
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1 :]
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "contract":
        if passthrough and args.suite != "api":
            parser.error("options after -- are for schemathesis: only `contract api` takes them")
        args.extra = passthrough
    return int(args.run(args))
