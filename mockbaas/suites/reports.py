"""What the contract suites report: JUnit XML for CI, and a short summary for people.

The summary counts problems per kind and gives one `curl` that reproduces each kind, so
the first thing a reader does with a red run (try it by hand) is one paste away.
"""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The API key header as schemathesis prints it (sanitized); the summary names a variable.
_FILTERED_KEY = "'x-meeting-baas-api-key: [Filtered]'"
_KEY_VARIABLE = '"x-meeting-baas-api-key: $MEETING_BAAS_API_KEY"'
#: what the authentication checks sent instead of the key (schemathesis filters both)
_MADE_UP_KEY = "'x-meeting-baas-api-key: a-made-up-key'"


@dataclass
class Case:
    """One test case of a suite: a name and the problems found (none: it passed)."""

    name: str
    problems: list[str] = field(default_factory=list)


@dataclass
class Summary:
    """Problems per kind, each with how often it happened and one way to reproduce it."""

    counts: dict[str, int] = field(default_factory=dict)
    curls: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, curl: str | None) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if curl and kind not in self.curls:
            self.curls[kind] = curl

    def lines(self) -> list[str]:
        if not self.counts:
            return ["no problems found"]
        out = ["problems by kind:"]
        for kind, count in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"  {count:>4}  {kind}")
            if kind in self.curls:
                out.append(f"        reproduce: {self.curls[kind]}")
        return out


def write_junit(path: Path, suite: str, cases: Iterable[Case]) -> None:
    """A JUnit XML file: one <testcase> per case, a <failure> listing its problems."""
    cases = list(cases)
    failures = sum(1 for c in cases if c.problems)
    attrs = {"name": suite, "tests": str(len(cases)), "failures": str(failures), "errors": "0"}
    root = ET.Element("testsuites", attrs)
    node = ET.SubElement(root, "testsuite", attrs)
    for case in cases:
        element = ET.SubElement(node, "testcase", {"classname": suite, "name": case.name})
        if case.problems:
            failure = ET.SubElement(
                element, "failure", {"message": case.problems[0][:200], "type": "failure"}
            )
            failure.text = "\n".join(case.problems)
    ET.indent(root)
    Path(path).write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")


def delivery_curl(url: str, api_key: str, delivery: dict[str, Any], body: bytes) -> str:
    """The POST the mock made for `delivery`, as a command line."""
    parts = [
        "curl -X POST",
        "-H 'content-type: application/json'",
        "-H " + shlex.quote(f"x-meeting-baas-api-key: {api_key}"),
        "-H " + shlex.quote(f"x-mockbaas-delivery-id: {delivery['id']}"),
        "--data-binary " + shlex.quote(body.decode()),
        shlex.quote(url),
    ]
    return " ".join(parts)


_CHECK = re.compile(r"^- (?P<kind>\S.*)$")
_CASE = re.compile(r"^\d+\. Test Case ID:")


def schemathesis_summary(junit: Path) -> Summary:
    """Read schemathesis' JUnit file: each failed check is a kind (`ST101 Server error`),
    counted once per failing test case, with the first `curl` it printed for it."""
    summary = Summary()
    root = ET.parse(junit).getroot()
    for failure in root.iter("failure"):
        for block in _blocks(failure.text or ""):
            kinds = [m["kind"].strip() for m in map(_CHECK.match, block) if m]
            for kind in dict.fromkeys(kinds):
                summary.add(kind, _curl_in(block, kind))
    for case in root.iter("testcase"):
        for error in case.iter("error"):
            summary.add(_error_kind(case.get("name"), error), None)
    return summary


def _error_kind(operation: str | None, error: ET.Element) -> str:
    """`error on POST /v2/bots: Failed Health Check (Too many generated examples are
    filtered out...)`: what stopped an operation's run, named by its first two lines."""
    lines = [line.strip() for line in (error.text or "").splitlines() if line.strip()]
    lines = lines or [error.get("message") or error.get("type") or "error"]
    what = lines[0] + (f" ({lines[1]})" if len(lines) > 1 else "")
    where = f" on {operation}" if operation else ""
    return f"error{where}: {what}"[:160]


def _blocks(text: str) -> list[list[str]]:
    """The test cases of one failure text (`1. Test Case ID: ...`), as lines."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if _CASE.match(line.strip()) or not blocks:
            blocks.append([])
        blocks[-1].append(line.strip())
    return blocks


def _curl_in(lines: list[str], kind: str) -> str | None:
    """The call that failed: the last `curl` of its case (a stateful case's earlier ones
    made what it used), with the key a reader can fill in, or a made-up one when the
    check is about authentication."""
    curls = [line for line in lines if line.startswith("curl ")]
    if not curls:
        return None
    key = _MADE_UP_KEY if "authentication" in kind else _KEY_VARIABLE
    curl = curls[-1].replace(_FILTERED_KEY, key)
    if len(curls) > 1:
        curl += f"   # after {len(curls) - 1} earlier call(s): see the JUnit report"
    return curl
