"""`mockbaas contract stream`: drive a user's streaming endpoint with realistic and faulty
streams, like the receiver suite does for webhooks.

A mock runs in-process on a manual clock; each example is one bot whose `streaming.input`
is the endpoint under test, with a drawn sample rate, meeting shape (a plain call, a
pause and resume, a bot removed mid-call) and fault (none, the connection broken
mid-stream, the frames held back then sent at once). The endpoint passes when it accepts
every connection, reads every frame without closing on its own or stalling the sender,
accepts the reconnection after a break, and lets the stream end with close code 1000.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..targets import LOOPBACK, host_of
from .session import target_problem

#: Short meetings (seconds of recording) so that a run takes seconds, not hours.
SCENARIOS = {
    "stream_call": """name: stream_call
description: Records 12 seconds, then the call ends.
steps:
  - {status: joining_call}
  - {status: in_call_not_recording, after: 1}
  - {status: in_call_recording, after: 1}
  - {status: call_ended, after: 12, end_reason: no_attendees}
""",
    "stream_pause": """name: stream_pause
description: Records 6 seconds, pauses 4, records 6 more, then the call ends.
steps:
  - {status: joining_call}
  - {status: in_call_not_recording, after: 1}
  - {status: in_call_recording, after: 1}
  - {status: recording_paused, after: 6}
  - {status: recording_resumed, after: 4}
  - {status: call_ended, after: 6, end_reason: no_attendees}
""",
    "stream_leave": """name: stream_leave
description: Records until the app removes the bot (after 7 seconds here).
steps:
  - {status: joining_call}
  - {status: in_call_not_recording, after: 1}
  - {status: in_call_recording, after: 1}
""",
}
RECORD_AT_S = 2
EXTRA_MISSING = "mockbaas: the stream suite needs hypothesis: pip install 'mockbaas[contract]'"
LEAVE_AFTER_S = 7
FAULT_AT_S = 3  # seconds into the recording
STALL_S = 3


@dataclass
class StreamReport:
    streams: int = 0
    connections: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.streams} streams, {self.connections} connections, "
            f"{self.seconds:g} s of audio, {len(self.problems)} problems"
        )


def check_stream(view: dict[str, Any], fault: str, drawn: str, report: StreamReport) -> None:
    """What the endpoint did with one stream, from the mock's stream view and journal."""
    report.streams += 1
    link = view["input"]
    report.connections += link["connections"]
    report.seconds += link["sent_seconds"]
    journal = view["journal"]
    closed = [e.get("detail", "") for e in journal if e["event"] == "closed"]
    found: list[str] = []
    if link["connections"] == 0:
        found.append("never accepted the connection")
    for entry in journal:
        detail = entry.get("detail", "")
        if entry["event"] == "refused":
            found.append(f"refused a connection: {detail}")
        elif entry["event"] == "dropped" and not detail.startswith("fault:"):
            found.append(f"connection lost mid-stream: {detail}")  # not our deliberate break
    if fault == "drop" and link["connections"] < 2:
        found.append("did not accept the reconnection after a broken connection")
    if link["sent_seconds"] != link["released_seconds"]:
        found.append(
            f"took {link['sent_seconds']:g} s of {link['released_seconds']:g} s of audio "
            "before the end"
        )
    if link["state"] != "closed" or not closed or not closed[-1].startswith("code 1000"):
        found.append(f"the stream did not end with close code 1000 (state {link['state']})")
    for problem in found:
        line = f"{drawn}: {problem}"
        if line not in report.problems:
            report.problems.append(line)


def run_stream(args: argparse.Namespace) -> int:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from ..config import Settings
    from ..testing.client import MockClient
    from ..testing.server import BackgroundServer

    problem = target_problem(args.url)
    host = host_of(args.url)
    if problem is not None or host is None:
        print(f"mockbaas contract stream: --url {args.url!r}: {problem or 'no host'}")
        return 2
    report = StreamReport()
    with tempfile.TemporaryDirectory(prefix="mockbaas-stream-") as folder:
        for name, text in SCENARIOS.items():
            (Path(folder) / f"{name}.yaml").write_text(text, encoding="utf-8")
        # the endpoint named on the command line is allowed, as --webhook-url is
        allow = [*LOOPBACK, host.strip("[]")]
        server = BackgroundServer(
            Settings(
                port=0,
                seed=args.seed,
                strict=True,
                scenario_dirs=[Path(folder)],
                webhook_allow=allow,
                advance_wait=args.timeout,
            )
        ).start()
        try:
            client = MockClient(server.url)

            @settings(
                max_examples=args.examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(
                scenario=st.sampled_from(sorted(SCENARIOS)),
                frequency=st.sampled_from(args.frequencies),
                fault=st.sampled_from(["none", "drop", "stall"]),
            )
            def exercise(scenario: str, frequency: str, fault: str) -> None:
                client.reset()
                bot = client.join(
                    f"https://meet.google.com/ctr-{report.streams:04d}-stm",
                    scenario=scenario,
                    streaming={"input": args.url, "audio_frequency": frequency},
                )
                client.advance(RECORD_AT_S + FAULT_AT_S)
                if fault == "drop" and client.stream(bot)["input"]["state"] == "open":
                    client.stream_fault(bot, drop=True)
                elif fault == "stall":
                    client.stream_fault(bot, stall_seconds=STALL_S)
                if scenario == "stream_leave":
                    client.advance(LEAVE_AFTER_S - FAULT_AT_S)
                    client.request("DELETE", f"/bots/{bot}")
                for _ in range(3):  # through redials (1 s, 2 s …) to the end
                    client.advance(30)
                drawn = f"{scenario} at {frequency} (fault={fault})"
                check_stream(client.stream(bot), fault, drawn, report)

            exercise()
        finally:
            server.stop()
    print(f"mockbaas contract stream: {report.line()}")
    for line in report.problems[:50]:
        print(f"  - {line}")
    return 1 if report.problems else 0


def add_stream_parser(kinds: Any, formatter: Any) -> None:
    stream = kinds.add_parser(
        "stream",
        help="check a streaming endpoint (streaming.input) against realistic streams",
        formatter_class=formatter,
    )
    stream.add_argument("--url", required=True, help="the endpoint's ws:// or wss:// URL")
    stream.add_argument("--examples", type=int, default=12, help="streams to send")
    stream.add_argument("--seed", type=int, default=0, help="mock seed")
    stream.add_argument(
        "--frequency",
        dest="frequencies",
        action="append",
        choices=("16khz", "24khz"),
        help="sample rates to draw from (repeatable; default both)",
    )
    stream.add_argument(
        "--timeout", type=float, default=10.0, help="seconds the endpoint has to keep up"
    )
    stream.set_defaults(run=_run, frequencies=None)


def _run(args: argparse.Namespace) -> int:
    import importlib.util

    if importlib.util.find_spec("hypothesis") is None:
        print(EXTRA_MISSING, file=sys.stderr)
        return 2
    args.frequencies = args.frequencies or ["16khz", "24khz"]
    if urlsplit(args.url).scheme not in ("ws", "wss"):
        print(f"mockbaas contract stream: --url must be ws:// or wss://, got {args.url!r}")
        return 2
    return run_stream(args)
