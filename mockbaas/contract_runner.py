"""Contract suites for any server and any webhook receiver, driven by `openapi.json`.

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
  With `--expect-key-check`, a delivery signed with a wrong API key must be refused.
- `stream`: your live-audio endpoint (a bot's `streaming.input`) against realistic and
  faulty streams: drawn sample rate, meeting shape and fault (a break mid-stream, held
  frames); it must accept every connection, read every frame, take the reconnection
  and let each stream end with close code 1000 (see `streaming/suite.py`).
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .accounts.models import API_KEY_HEADER
from .contract import v1_path, v2_path
from .query import encode_cursor
from .reports import Case, Summary, delivery_curl, schemathesis_summary, write_junit
from .webhooks import DELIVERY_HEADER, Kind

RECEIVER_KEY = "mockbaas-contract-key"
EXTRA_MISSING = (
    "mockbaas: the contract suites need schemathesis and hypothesis: "
    "pip install 'mockbaas[contract]'"
)


def has_contract_extra() -> bool:
    """The `contract` extra is installed (a plain `pip install mockbaas` lacks it)."""
    import importlib.util

    return all(importlib.util.find_spec(name) for name in ("schemathesis", "hypothesis"))


#: Operations whose body names a webhook target. A server that keeps a target policy
#: (the mock does: loopback and what its operator allows) refuses generated targets
#: with a 422, by design, rather than post to made-up hosts.
WEBHOOK_TARGET_OPERATIONS = (
    "join",
    "retranscribe_bot",
    "set_webhook_url",
    "schedule_record_event",
    "patch_bot",
)
#: What schemathesis accepts for valid data (its default), plus that 422.
ACCEPTED_WITH_TARGET_POLICY = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]


def schemathesis_document(path: Path | None = None) -> dict[str, Any]:
    """openapi.json as schemathesis should read it.

    One difference, until schemathesis 4.32's issue #3842 is fixed: it rewrites
    `prefixItems` to the draft-4 tuple form and then compiles the result as 2020-12,
    which fails. The [calendar uuid, message] pair of ResyncAllResponse.errors is given
    as two items of either shape instead; the mock's own checks keep the exact tuple.
    """
    doc: dict[str, Any] = json.loads(Path(path or v1_path()).read_text(encoding="utf-8"))
    pair = doc["components"]["schemas"]["ResyncAllResponse"]["properties"]["errors"]["items"]
    if "prefixItems" in pair:
        pair["items"] = {"anyOf": pair.pop("prefixItems")}
    return doc


#: Generated v2 callback URLs point here: loopback, a port nothing listens on. (The
#: mock's dispatcher would refuse a made-up host anyway; a proxy of the real API would not.)
NOWHERE = "http://127.0.0.1:1/mockbaas-contract"
STREAM_NOWHERE = "ws://127.0.0.1:1/mockbaas-contract"
#: Generated scheduled bots join then: far enough ahead of any clock a run starts with.
LATER = "2030-01-07T09:00:00Z"


def schemathesis_document_v2(path: Path | None = None) -> dict[str, Any]:
    """openapi-v2.json as schemathesis should read it: every callback or streaming URL a
    generated body may hold is NOWHERE (the v2 twin of pinning v1's `webhook_url`).
    Generated hosts are made up and on the internet; a fuzzed bot must never make a
    server dial them. `join_at` is LATER (it must be ahead of the server's clock).
    Nested fields cannot be pinned by configuration, so the schema says it."""
    doc: dict[str, Any] = json.loads(Path(path or v2_path()).read_text(encoding="utf-8"))
    pinned = {"type": "string", "enum": [NOWHERE]}

    def pin(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("properties", {})
            if "url" in props and "method" in props and "secret" in props:
                props["url"] = pinned  # a callback_config
            if "input_url" in props and "output_url" in props:  # a streaming_config
                stream = {"type": "string", "enum": [STREAM_NOWHERE]}
                props["input_url"] = props["output_url"] = {"anyOf": [stream, {"type": "null"}]}
            for value in node.values():
                pin(value)
        elif isinstance(node, list):
            for value in node:
                pin(value)

    pin(doc["paths"])
    pin(doc["components"]["schemas"])
    for name, schema in doc["components"]["schemas"].items():
        if name.endswith(("Request", "Item")) and "join_at" in schema.get("properties", {}):
            # "at least 1 minute ahead" of the server's clock: no schema can say that
            schema["properties"]["join_at"] = {"type": "string", "enum": [LATER]}
    return doc


def v2_cursors() -> list[str]:
    """Cursors of the shape v2 issues (`base64(<iso date>::<id>)`), for the fuzzer."""
    return [
        base64.urlsafe_b64encode(f"2025-01-06T09:00:0{n}.000Z::{n}".encode()).decode()
        for n in range(2)
    ]


def schemathesis_config(api_key: str, seed: int = 0, max_examples: int = 25) -> dict[str, Any]:
    """The schemathesis configuration every run of ours shares (tests and `contract api`).

    Cursors are valid only when a server issued them, which no schema can say: they are
    drawn from cursors of the shape the API returns. Generated webhook URLs are left as
    drawn: the mock refuses every one outside its allow-list with a 422 (accepted for
    the operations that take one) and never dials it.
    An operation answered only 401/403 (a wrong key) fails the run: schemathesis would
    just warn, and a run that tested nothing must not pass. `missing_test_data` stays a
    warning: the stateless phases cannot reach operations that need an existing id.
    A seed given here is used even in deterministic mode (same seed, same requests),
    whatever schemathesis' "Seed: not used" line says.
    """
    return {
        "seed": seed,
        "generation": {"max-examples": max_examples, "deterministic": True, "database": "none"},
        "warnings": {"fail-on": ["missing_auth"]},
        "auth": {"openapi": {"ApiKeyAuth": {"api_key": api_key}}},
        "dictionaries": {"cursors": {"values": [encode_cursor(0), encode_cursor(1)]}},
        "parameters": {"query.cursor": {"dictionary": "cursors"}},
        "operations": [
            {
                "include-operation-id": operation_id,
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": ACCEPTED_WITH_TARGET_POLICY}
                },
            }
            for operation_id in WEBHOOK_TARGET_OPERATIONS
        ],
    }


#: v2 operations whose schema-valid body may still be refused by state: an OAuth code is
#: single-use, a raw calendar id must be one the credentials see, and a calendar bot on
#: one occurrence names it (each the documented 400).
V2_STATEFUL_400_OPERATIONS = (
    "createZoomCredential",
    "updateZoomCredential",
    "createCalendarConnection",
    "createCalendarBot",
    "updateCalendarBot",
    "deleteCalendarBot",
)
#: v2 operations whose body names a callback or streaming target (the policy's 422).
V2_TARGET_OPERATIONS = (
    "createBot",
    "batchCreateBots",
    "retryCallback",
    "createScheduledBot",
    "batchCreateScheduledBots",
    "updateScheduledBot",
    "createCalendarBot",
    "updateCalendarBot",
)


def schemathesis_config_v2(api_key: str, seed: int = 0, max_examples: int = 25) -> dict[str, Any]:
    """The v1 configuration, with v2 cursors and v2's documented state-dependent answers."""
    config = schemathesis_config(api_key, seed, max_examples)
    config["dictionaries"]["cursors"]["values"] = v2_cursors()
    accepted = {op: list(ACCEPTED_WITH_TARGET_POLICY) for op in V2_TARGET_OPERATIONS}
    for op in V2_STATEFUL_400_OPERATIONS:
        accepted[op] = [*ACCEPTED_WITH_TARGET_POLICY, "400"]
    config["operations"] = [
        {
            "include-operation-id": op,
            "checks": {"positive_data_acceptance": {"expected-statuses": statuses}},
        }
        for op, statuses in accepted.items()
    ]
    return config


def _inline(value: Any) -> str:
    """A TOML value: JSON spelling for scalars, inline tables inside lists."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return json.dumps(value)


def _toml(table: dict[str, Any], prefix: str = "") -> str:
    """Just enough TOML for a schemathesis config: nested tables, scalars and lists."""
    scalars, tables = [], []
    for key, value in table.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            scalars.append(f"{json.dumps(key)} = {_inline(value)}")
    out = ""
    if scalars:
        out += (f"[{prefix}]\n" if prefix else "") + "\n".join(scalars) + "\n"
    for key, value in tables:
        out += _toml(value, f"{prefix}.{json.dumps(key)}" if prefix else json.dumps(key))
    return out


def schemathesis_command(args: argparse.Namespace, workdir: Path) -> list[str]:
    """The `schemathesis run` command line; its document and config go in `workdir`."""
    document = workdir / "openapi.json"
    v2 = getattr(args, "v2", False)
    make_document = schemathesis_document_v2 if v2 else schemathesis_document
    make_config = schemathesis_config_v2 if v2 else schemathesis_config
    document.write_text(json.dumps(make_document(args.contract)), encoding="utf-8")
    config = workdir / "schemathesis.toml"
    config.write_text(
        _toml(make_config(args.api_key, args.seed, args.max_examples)), encoding="utf-8"
    )
    command = [
        sys.executable,
        "-c",
        "import sys; from schemathesis.cli import schemathesis; "
        "sys.argv[0] = 'schemathesis'; sys.exit(schemathesis())",
        "--config-file",
        str(config),
        "run",
        str(document),
        "--url",
        args.url,
        "--checks",
        args.checks,
    ]
    if args.phases:
        command += ["--phases", args.phases]
    if args.read_only:
        command += ["--include-method", "GET"]
    junit = args.junit_xml or workdir / "junit.xml"  # the summary reads it either way
    command += ["--report", "junit", "--report-junit-path", str(junit)]
    return command + list(args.extra)


def run_api(args: argparse.Namespace) -> int:
    if not has_contract_extra():
        print(EXTRA_MISSING, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mockbaas-contract-") as workdir:
        command = schemathesis_command(args, Path(workdir))
        print("mockbaas contract api: schemathesis", " ".join(command[3:]), flush=True)
        code = subprocess.call(command)
        junit = Path(command[command.index("--report-junit-path") + 1])
        if junit.is_file():
            print("mockbaas contract api: " + "\n".join(schemathesis_summary(junit).lines()))
        return code


@dataclass
class ReceiverReport:
    bots: int = 0
    deliveries: int = 0
    problems: list[str] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)

    def line(self) -> str:
        found = len(self.problems)
        return (
            f"{self.bots} bots, {self.deliveries} deliveries, "
            f"{found} problem{'' if found == 1 else 's'}"
        )


def _attempt_problem(attempt: dict[str, Any] | None) -> tuple[str, str] | None:
    """Why one post was not acknowledged, and the kind of problem that is; None on a 2xx."""
    if attempt is None:
        return "was never attempted", "never attempted"
    if attempt["status_code"] is None:
        return f"could not be delivered: {attempt['error']}", "could not be delivered"
    if not 200 <= attempt["status_code"] < 300:
        code = attempt["status_code"]
        return f"receiver answered {code}", f"answered {code}"
    return None


def _check_bot(
    client: Any, bot_id: str, drawn: str, report: ReceiverReport, api_key: str = RECEIVER_KEY
) -> None:
    """Every post of this bot's events must be acknowledged: the first attempt, and the
    deliberate duplicate the `duplicate` fault sends (same delivery id, same body)."""
    case = Case(drawn)
    report.cases.append(case)
    for delivery in client.webhooks(bot_id=bot_id):
        report.deliveries += 1
        attempts = delivery["attempts"]
        found = _attempt_problem(attempts[0] if attempts else None)
        if found is None:
            for repeat in (a for a in attempts if a["kind"] == Kind.DUPLICATE):
                again = _attempt_problem(repeat)
                if again is not None:
                    why = (
                        f"{again[0].replace('could not be delivered', 'failed')} to a deliberate "
                        f"duplicate delivery (same {DELIVERY_HEADER}, same body, sent again on "
                        "purpose; an idempotent receiver answers a repeat with a 2xx)"
                    )
                    found = why, f"{again[1]} to a deliberate duplicate"
                    break
        if found is None:
            continue
        why, kind = found
        problem = (
            f"{drawn}: {delivery['event']} {why}; payload {json.dumps(delivery['payload'])[:240]}"
        )
        case.problems.append(problem)
        body = json.dumps(delivery["payload"], separators=(",", ":"), ensure_ascii=False).encode()
        url = delivery["url"] or ""
        report.summary.add(
            f"{delivery['event']}: {kind}", delivery_curl(url, api_key, delivery, body)
        )
        if problem not in report.problems:
            report.problems.append(problem)


_WRONG_KEY_PAYLOAD = {
    "event": "transcription_complete",
    "data": {"bot_id": "00000000-0000-4000-8000-000000000000"},
}


def _wrong_key_curl(url: str) -> str:
    body = json.dumps(_WRONG_KEY_PAYLOAD).encode()
    return delivery_curl(url, "not-your-key", {"id": "wrong-key-check"}, body)


def _wrong_key_refused(url: str) -> str | None:
    payload = _WRONG_KEY_PAYLOAD
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"content-type": "application/json", API_KEY_HEADER: "not-your-key"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return f"a delivery with a wrong {API_KEY_HEADER} was accepted ({response.status})"
    except urllib.error.HTTPError as err:
        if err.code in (401, 403):
            return None
        return f"a delivery with a wrong {API_KEY_HEADER} got {err.code}, expected 401 or 403"
    except OSError as exc:
        return f"receiver unreachable: {exc}"


V2_MEETING = "https://meet.google.com/abc-defg-hij"


def _bad_signature_refused(url: str, secret: str) -> str | None:
    """A v2 delivery signed with another key must be refused (a 4xx)."""
    from .v2.signing import svix_headers

    body = json.dumps(_WRONG_KEY_PAYLOAD).encode()
    forged = svix_headers(secret[:-4] + "AAA=", "msg_mockbaas_forged", 1_700_000_000, body)
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"content-type": "application/json", **forged}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return f"a v2 delivery with a forged svix-signature was accepted ({response.status})"
    except urllib.error.HTTPError as err:
        if 400 <= err.code < 500:
            return None
        return f"a v2 delivery with a forged svix-signature got {err.code}, expected a 4xx"
    except OSError as exc:
        return f"receiver unreachable: {exc}"


def run_receiver(args: argparse.Namespace) -> int:
    if not has_contract_extra():
        print(EXTRA_MISSING, file=sys.stderr)
        return 2
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from .config import Settings
    from .testing.client import MockClient
    from .testing.server import BackgroundServer

    report = ReceiverReport()
    server = BackgroundServer(
        Settings(
            port=0,
            seed=args.seed,
            strict=True,
            webhook_url=args.url,
            webhook_schedule=(),  # a receiver must take every valid event first time
            webhook_timeout=args.timeout,
        )
    ).start()
    try:
        client = MockClient(server.url, api_key=args.api_key)
        names = sorted(s["name"] for s in client.scenarios()["scenarios"])
        v2 = getattr(args, "v2", False)
        secret = ""
        if v2:
            from .v2.signing import account_secret

            secret = account_secret(args.seed, args.api_key)
            print(f"mockbaas contract receiver: v2 webhooks are signed with {secret}", flush=True)

        def exercise(scenario: str, transcript: bool, duplicate: bool, out_of_order: bool) -> None:
            # No reset between examples: each bot, and each delivery id, is new in the run
            # (a receiver may deduplicate by x-mockbaas-delivery-id, as it should).
            report.bots += 1
            client.set_faults(duplicate=duplicate, out_of_order=out_of_order)
            fields: dict[str, Any] = {
                "extra": {"mockbaas_scenario": scenario},
                "deduplication_key": f"mockbaas-contract-{report.bots}",
            }
            if transcript:
                fields["speech_to_text"] = {"provider": "Default"}
            if v2:
                body = {
                    "bot_name": "mockbaas contract",
                    "meeting_url": V2_MEETING,
                    "extra": fields["extra"],
                    "transcription_enabled": transcript,
                }
                made = client.request("POST", "/v2/bots", json_body=body).json()
                bot_id = made["data"]["bot_id"]
            else:
                bot_id = client.join(**fields)
            client.advance(6 * 3600)
            if client.bot(bot_id)["outcome"] is None:  # still in the call (until_removed)
                leave = f"/v2/bots/{bot_id}/leave" if v2 else f"/bots/{bot_id}"
                client.request("POST" if v2 else "DELETE", leave)  # leave, as an app would
                client.advance(3600)
            drawn = (
                f"scenario {scenario} (transcript={transcript}, duplicate={duplicate}, "
                f"out_of_order={out_of_order})"
            )
            _check_bot(client, bot_id, drawn, report, args.api_key)

        # Every scenario first, faults cycled, so no default run misses one; then draws.
        for i, name in enumerate(names[: args.examples]):
            exercise(name, i % 2 == 0, i % 3 == 1, i % 4 == 2)
        drawn = args.examples - min(args.examples, len(names))
        if drawn:
            settings(
                max_examples=drawn,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )(
                given(
                    scenario=st.sampled_from(names),
                    transcript=st.booleans(),
                    duplicate=st.booleans(),
                    out_of_order=st.booleans(),
                )(exercise)
            )()
        if v2 and args.expect_signature_check:
            problem = _bad_signature_refused(args.url, secret)
            report.cases.append(
                Case("a forged v2 signature is refused", [problem] if problem else [])
            )
            if problem:
                report.problems.append(problem)
        if args.expect_key_check:
            problem = _wrong_key_refused(args.url)
            report.cases.append(Case("a wrong api key is refused", [problem] if problem else []))
            if problem:
                report.problems.append(problem)
                report.summary.add("wrong api key", _wrong_key_curl(args.url))
    finally:
        server.stop()
    if args.junit_xml:
        write_junit(args.junit_xml, "mockbaas contract receiver", report.cases)
    print(f"mockbaas contract receiver: {report.line()}")
    for problem in report.problems[:50]:
        print(f"  - {problem}")
    print("\n".join(report.summary.lines()))
    return 1 if report.problems else 0


def add_parser(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    """The `contract` command, built with the CLI's help `formatter` (cli imports us)."""
    _Help = formatter  # noqa: N806

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
        formatter_class=_Help,
        usage="mockbaas contract api --url URL [options] [-- SCHEMATHESIS OPTIONS]",
        epilog="Options after -- go to `schemathesis run` as they are, e.g. "
        "-- --include-method GET --workers 2",
    )
    api.add_argument("--url", required=True, help="base URL of the server under test")
    api.add_argument("--api-key", default="contract-test-key", help="key sent on every call")
    api.add_argument("--contract", help="another OpenAPI file (default: the bundled one)")
    api.add_argument("--checks", default="all", help="schemathesis checks to run")
    api.add_argument("--max-examples", type=int, default=25, help="examples per operation")
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
    api.set_defaults(run=run_api, extra=[])

    receiver = kinds.add_parser(
        "receiver",
        help="check a webhook receiver against realistic deliveries",
        formatter_class=_Help,
    )
    receiver.add_argument("--url", required=True, help="the receiver's URL")
    receiver.add_argument(
        "--api-key", default=RECEIVER_KEY, help="the key deliveries are signed with"
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
    receiver.set_defaults(run=run_receiver, extra=[])

    from .streaming.suite import add_stream_parser

    add_stream_parser(kinds, _Help)
