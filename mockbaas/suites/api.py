"""The `api` suite: schemathesis against any server that claims to speak our contract
(the mock, a staging proxy of the real API, your own fake), with every check.

Schemathesis runs in its own process, as `schemathesis run` with a document and a
configuration written for the run (see `schemathesis_config`); its output goes to this
process' standard output, and its JUnit report is read back into a short summary.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .extra import require_contract_extra
from .reports import Summary, schemathesis_summary
from .schemathesis_config import (
    schemathesis_config,
    schemathesis_config_v2,
    schemathesis_document,
    schemathesis_document_v2,
    toml,
)

DEFAULT_KEY = "contract-test-key"


@dataclass
class ApiOptions:
    """One run of the api suite. `extra` goes to `schemathesis run` as it is."""

    url: str
    api_key: str = DEFAULT_KEY
    contract: Path | None = None  # another OpenAPI file (default: the bundled one)
    checks: str = "all"
    max_examples: int = 25
    phases: str | None = None  # e.g. "examples,coverage,fuzzing"
    seed: int = 0  # same seed, same requests
    read_only: bool = False  # only GET operations: safe on a live account
    v2: bool = False
    junit_xml: Path | None = None
    extra: list[str] = field(default_factory=list)


@dataclass
class ApiReport:
    command: list[str]
    exit_code: int  # schemathesis' own
    summary: Summary | None  # None when schemathesis wrote no report

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


def schemathesis_command(options: ApiOptions, workdir: Path) -> list[str]:
    """The `schemathesis run` command line; its document and config go in `workdir`."""
    document = workdir / "openapi.json"
    make_document = schemathesis_document_v2 if options.v2 else schemathesis_document
    make_config = schemathesis_config_v2 if options.v2 else schemathesis_config
    document.write_text(json.dumps(make_document(options.contract)), encoding="utf-8")
    config = workdir / "schemathesis.toml"
    config.write_text(
        toml(make_config(options.api_key, options.seed, options.max_examples)), encoding="utf-8"
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
        options.url,
    ]
    if options.checks != "all":
        # the config file already turns every check on, with the exceptions it documents
        # per operation; schemathesis' `--checks all` would override those too
        command += ["--checks", options.checks]
    if options.phases:
        command += ["--phases", options.phases]
    if options.read_only:
        command += ["--include-method", "GET"]
    junit = options.junit_xml or workdir / "junit.xml"  # the summary reads it either way
    command += ["--report", "junit", "--report-junit-path", str(junit)]
    return command + list(options.extra)


def run_api_suite(
    options: ApiOptions, on_start: Callable[[list[str]], None] | None = None
) -> ApiReport:
    """Run schemathesis against `options.url`; `on_start` sees the command line first.
    Raises `MissingExtra` without schemathesis and hypothesis."""
    require_contract_extra()
    with tempfile.TemporaryDirectory(prefix="mockbaas-contract-") as workdir:
        command = schemathesis_command(options, Path(workdir))
        if on_start is not None:
            on_start(command)
        code = subprocess.call(command)
        junit = Path(command[command.index("--report-junit-path") + 1])
        summary = schemathesis_summary(junit) if junit.is_file() else None
        return ApiReport(command, code, summary)
