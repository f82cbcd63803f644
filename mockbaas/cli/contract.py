"""`mockbaas contract`: the contract suites for any server, webhook receiver or streaming
endpoint, driven by `openapi.json` (the suites themselves are in `mockbaas.suites`).

- `api`: schemathesis against a base URL (the mock, a staging proxy of the real API,
  your own fake) with our contract and every check. Schemathesis is the engine: it
  already turns an OpenAPI document into property-based tests far better than
  anything hand-written here would.
- `receiver`: your webhook receiver against what Meeting BaaS really sends. A mock runs
  in-process with your receiver as its webhook URL; hypothesis draws scenarios (every
  built-in life of a bot), transcription on or off and delivery faults (duplicates,
  out-of-order), and every delivery must be acknowledged with a 2xx on first attempt.
  Each example is a new bot and every delivery id is new in the run (the mock is not
  reset between examples), so a receiver may deduplicate by `x-mockbaas-delivery-id`;
  the `duplicate` fault posts a delivery again, same id and body, and that repeat must
  get a 2xx too. A bot still in its call at the end is made to leave, so its last events
  are checked as well.
  With `--expect-key-check`, a delivery carrying a wrong API key must be refused.
- `stream`: your live-audio endpoint (a bot's `streaming.input`) against realistic and
  faulty streams: drawn sample rate, meeting shape and fault (a break mid-stream, held
  frames); it must accept every connection, read every frame, take the reconnection
  and let each stream end with close code 1000 (see `mockbaas/suites/stream.py`).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..accounts.models import API_KEY_HEADER
from ..suites.api import DEFAULT_KEY, ApiOptions, run_api_suite
from ..suites.extra import EXTRA_MISSING, MissingExtra, has_contract_extra
from ..suites.receiver import RECEIVER_KEY, ReceiverOptions, run_receiver_suite, signing_secret
from ..suites.stream import FREQUENCIES, StreamOptions, run_stream_suite
from .formatting import Help

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


def options_from(cls: type[T], args: argparse.Namespace, **given: Any) -> T:
    """A suite's options from parsed arguments: each field from the argument of the
    same name (the parsers use the fields' names), or from `given`."""
    values = {f.name: getattr(args, f.name) for f in fields(cls) if f.name not in given}
    return cls(**values, **given)


def api_options(args: argparse.Namespace) -> ApiOptions:
    return options_from(ApiOptions, args, extra=list(args.extra))


def receiver_options(args: argparse.Namespace) -> ReceiverOptions:
    return options_from(ReceiverOptions, args)


def stream_options(args: argparse.Namespace) -> StreamOptions:
    return options_from(StreamOptions, args, frequencies=tuple(args.frequencies or FREQUENCIES))


def api_command(args: argparse.Namespace) -> int:
    if not has_contract_extra():
        print(EXTRA_MISSING, file=sys.stderr)
        return 2

    def announce(command: list[str]) -> None:
        print("mockbaas contract api: schemathesis", " ".join(command[3:]), flush=True)

    report = run_api_suite(api_options(args), on_start=announce)
    if args.junit_xml is None:
        # schemathesis names the report it wrote for this summary: say it is gone
        print("(the JUnit report schemathesis named was temporary: --junit-xml FILE keeps one)")
    if report.summary is not None:
        lines = report.summary.lines()
        if report.exit_code != 0 and not report.summary.counts:
            # no failed check in the report, yet schemathesis failed the run (e.g. every
            # operation answered 401: the key is wrong): say so rather than "no problems"
            lines = [
                f"no failed check in the report, but schemathesis exited {report.exit_code}: "
                "see its warnings above (a wrong --api-key makes every operation answer 401)"
            ]
        print("mockbaas contract api: " + "\n".join(lines))
    return report.exit_code


def receiver_command(args: argparse.Namespace) -> int:
    if not has_contract_extra():
        print(EXTRA_MISSING, file=sys.stderr)
        return 2
    options = receiver_options(args)
    if options.v2:
        secret = signing_secret(options)
        print(f"mockbaas contract receiver: v2 webhooks are signed with {secret}", flush=True)
    report = run_receiver_suite(options)
    print(f"mockbaas contract receiver: {report.line()}")
    for problem in report.problems[:50]:
        print(f"  - {problem}")
    print("\n".join(report.summary.lines()))
    return 0 if report.passed else 1


def stream_command(args: argparse.Namespace) -> int:
    try:
        report = run_stream_suite(stream_options(args))
    except MissingExtra as exc:
        print(exc, file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"mockbaas contract stream: --url {exc}")
        return 2
    print(f"mockbaas contract stream: {report.line()}")
    for line in report.problems[:50]:
        print(f"  - {line}")
    return 0 if report.passed else 1


def add_contract_parser(sub: Any) -> None:
    contract = sub.add_parser(
        "contract",
        help="run the contract suites against a server or a webhook receiver",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kinds = contract.add_subparsers(dest="suite", required=True, metavar="SUITE")
    api = kinds.add_parser(
        "api",
        help="schemathesis against a server with openapi.json",
        formatter_class=Help,
        usage="mockbaas contract api --url URL [options] [-- SCHEMATHESIS OPTIONS]",
        epilog="Options after -- go to `schemathesis run` as they are, e.g. "
        "-- --include-method GET --workers 2",
    )
    api.add_argument("--url", required=True, help="base URL of the server under test")
    api.add_argument("--api-key", default=DEFAULT_KEY, help="key sent on every call")
    api.add_argument(
        "--contract", type=Path, help="another OpenAPI file (default: the bundled one)"
    )
    api.add_argument(
        "--checks",
        default="all",
        help="schemathesis checks to run, comma-separated (all: every check, but "
        "use_after_free on the reads the API keeps readable after a DELETE)",
    )
    api.add_argument(
        "--max-examples",
        "--examples",
        type=int,
        default=25,
        metavar="N",
        help="examples per operation (--examples, as the other suites spell it, works too)",
    )
    api.add_argument("--phases", help="schemathesis phases, e.g. examples,coverage,fuzzing")
    api.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the generated requests: same seed, same requests (used, whatever "
        "schemathesis' 'Seed: not used in the deterministic mode' line says)",
    )
    api.add_argument(
        "--read-only", action="store_true", help="only GET operations (safe on a live account)"
    )
    api.add_argument("--v2", action="store_true", help="the v2 API, with openapi-v2.json")
    api.add_argument("--junit-xml", type=Path, metavar="FILE", help="write a JUnit XML report")
    api.set_defaults(run=api_command, extra=[])

    receiver = kinds.add_parser(
        "receiver",
        help="check a webhook receiver against realistic deliveries",
        formatter_class=Help,
    )
    receiver.add_argument("--url", required=True, help="the receiver's URL")
    receiver.add_argument(
        "--api-key",
        default=RECEIVER_KEY,
        help="the x-meeting-baas-api-key deliveries carry (v1); with --v2, the account "
        "whose whsec_ secret signs them",
    )
    receiver.add_argument(
        "--examples",
        type=int,
        default=30,
        help="bots to send: every built-in scenario once (faults cycled), then random draws",
    )
    receiver.add_argument("--seed", type=int, default=0, help="mock seed")
    receiver.add_argument("--timeout", type=float, default=10.0, help="seconds to answer")
    receiver.add_argument(
        "--expect-key-check",
        action="store_true",
        help=f"also require that a wrong {API_KEY_HEADER} is refused (401/403)",
    )
    receiver.add_argument(
        "--v2",
        action="store_true",
        help="v2 bots and v2 webhooks, Svix-signed with the whsec_ secret printed first "
        "(derived from --seed and --api-key)",
    )
    receiver.add_argument(
        "--expect-signature-check",
        action="store_true",
        help="with --v2: also require that a forged svix-signature is refused (4xx)",
    )
    receiver.add_argument("--junit-xml", type=Path, metavar="FILE", help="write a JUnit XML report")
    receiver.set_defaults(run=receiver_command, extra=[])

    stream = kinds.add_parser(
        "stream",
        help="check a streaming endpoint (streaming.input) against realistic streams",
        formatter_class=Help,
    )
    stream.add_argument("--url", required=True, help="the endpoint's ws:// or wss:// URL")
    stream.add_argument("--examples", type=int, default=12, help="streams to send")
    stream.add_argument("--seed", type=int, default=0, help="mock seed")
    stream.add_argument(
        "--frequency",
        dest="frequencies",
        action="append",
        choices=FREQUENCIES,
        help="sample rates to draw from (repeatable; default both)",
    )
    stream.add_argument(
        "--timeout", type=float, default=10.0, help="seconds the endpoint has to keep up"
    )
    stream.set_defaults(run=stream_command, frequencies=None)
