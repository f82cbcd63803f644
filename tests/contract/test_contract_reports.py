"""JUnit reports, summaries, pass-through options and the `contract` extra of the suites."""

from __future__ import annotations

import json
import shlex
import threading
import tomllib
import xml.etree.ElementTree as ET

import pytest
from aiohttp import web
from support import ROOT

from mockbaas.cli import main
from mockbaas.scenarios import ScenarioBook
from mockbaas.suites.receiver import RECEIVER_KEY
from mockbaas.testing import BackgroundApp, WebhookReceiver


class BrokenServer(BackgroundApp):
    """Answers every request with an undocumented 500: every check has something to say."""

    def __enter__(self) -> BrokenServer:
        async def build() -> web.AppRunner:
            async def broken(request: web.Request) -> web.Response:
                return web.json_response({"oops": True}, status=500)

            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", broken)
            return web.AppRunner(app, access_log=None)

        self.url = f"http://127.0.0.1:{self._launch(build(), '127.0.0.1', 0)}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def test_contract_extra_brings_schemathesis_and_hypothesis_and_test_includes_it():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    names = {d.split(">")[0].split("=")[0] for d in extras["contract"]}
    assert names == {"schemathesis", "hypothesis"}
    assert "mockbaas[contract]" in extras["test"]


@pytest.mark.parametrize("suite", ["api", "receiver"])
def test_missing_extra_is_one_line_naming_it_and_exit_2(suite, monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "schemathesis" else real(name, *a),
    )
    code = main(["contract", suite, "--url", "http://127.0.0.1:9/hook"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "pip install 'mockbaas[contract]'" in err


def test_api_suite_passes_options_after_dashes_writes_junit_and_summarises(tmp_path, capsys):
    junit = tmp_path / "api.xml"
    with BrokenServer() as server:
        code = main(
            [
                "contract", "api", "--url", server.url, "--max-examples", "1",
                "--phases", "examples,fuzzing", "--junit-xml", str(junit),
                "--", "--include-method", "GET",
            ]
        )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1, out[-3000:]
    root = ET.parse(junit).getroot()
    cases = list(root.iter("testcase"))
    names = [c.get("name") for c in cases]
    # the option after -- reached schemathesis: only GET operations
    assert len(names) > 3 and all(n.startswith("GET /") for n in names), names
    assert all(c.find("failure") is not None for c in cases)
    assert int(root.get("failures")) == len(cases)
    # the summary: one count per kind, one curl per kind, with the key left to the reader
    summary = out[out.index("problems by kind:") :]
    assert f"{len(cases):>4}  ST101 Server error" in summary
    curls = [
        line.split("reproduce: ", 1)[1] for line in summary.splitlines() if "reproduce:" in line
    ]
    kinds = [line for line in summary.splitlines()[1:] if "reproduce:" not in line and line.strip()]
    assert len(curls) == len(kinds) >= 2
    assert all(c.startswith("curl -X GET ") and server.url + "/" in c for c in curls)
    assert all("[Filtered]" not in c for c in curls)


def test_receiver_suite_covers_every_scenario_and_reports_in_junit(tmp_path, capsys):
    """A receiver that refuses `failed` events: the JUnit file has one case per bot, all
    built-in scenarios among them, failures exactly where a `failed` event was sent, and
    the summary's curl posts the very bytes that were refused."""
    names = sorted(ScenarioBook.load([]).by_name)
    receiver = WebhookReceiver()
    lock = threading.Lock()
    refused: list[bytes] = []

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        if json.loads(body)["event"] == "failed":
            with lock:
                refused.append(body)
            return web.json_response({"error": "no"}, status=500)
        return web.json_response({})

    receiver._handle = handle  # type: ignore[method-assign]
    junit = tmp_path / "receiver.xml"
    with receiver:
        code = main(
            [
                "contract", "receiver", "--url", receiver.url, "--junit-xml", str(junit),
                "--examples", str(len(names) + 2),
            ]
        )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    root = ET.parse(junit).getroot()
    cases = list(root.iter("testcase"))
    assert len(cases) == len(names) + 2
    covered = {c.get("name").split()[1] for c in cases}
    assert covered == set(names)
    failing = {c.get("name").split()[1] for c in cases if c.find("failure") is not None}
    assert failing and all(n in names for n in failing)
    assert int(root.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
    assert len(refused) == int(root.get("failures"))  # one failed event per failing bot
    for case in cases:
        failure = case.find("failure")
        if failure is not None:
            assert "failed receiver answered 500" in failure.text
    count = int(root.get("failures"))
    assert f"{count:>4}  failed: answered 500" in out
    curl = next(line for line in out.splitlines() if "reproduce: curl" in line)
    argv = shlex.split(curl.split("reproduce: ", 1)[1])
    assert argv[argv.index("--data-binary") + 1].encode() == refused[0]
    assert argv[-1] == receiver.url
    assert f"x-meeting-baas-api-key: {RECEIVER_KEY}" in argv


def test_receiver_suite_refuses_schemathesis_options(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["contract", "receiver", "--url", "http://127.0.0.1:9/", "--", "--workers", "2"])
    assert exc.value.code == 2
    assert "only `contract api` takes them" in capsys.readouterr().err


def test_an_operation_that_errored_is_named_with_what_stopped_it(tmp_path):
    """schemathesis reports a run that could not test an operation as a JUnit <error>
    with no message attribute: the summary names the operation and the first lines."""
    from mockbaas.suites.reports import schemathesis_summary

    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="schemathesis">'
        '<testcase name="POST /v2/bots"><error type="error">Failed Health Check\n\n'
        "Too many generated examples are filtered out for this operation\n\nTip: ...</error>"
        '</testcase><testcase name="GET /v2/bots" /></testsuite></testsuites>\n'
    )
    assert schemathesis_summary(junit).lines() == [
        "problems by kind:",
        "     1  error on POST /v2/bots: Failed Health Check "
        "(Too many generated examples are filtered out for this operation)",
    ]


def test_reproduce_lines_show_the_call_that_failed_with_a_key_that_fits(tmp_path):
    """A stateful case's last curl is the failing call; an authentication check's curl
    carries a made-up key (the one the check sent was filtered), any other the reader's."""
    from mockbaas.suites.reports import schemathesis_summary

    key = "-H 'x-meeting-baas-api-key: [Filtered]'"
    failure = (
        "1. Test Case ID: aaa\n\n- ST301 Deleted resource still available\n\n"
        "Reproduce with:\n\n"
        f"    curl -X POST {key} http://127.0.0.1:9/things\n"
        f"    curl -X DELETE {key} http://127.0.0.1:9/things/1\n"
        f"    curl -X GET {key} http://127.0.0.1:9/things/1\n\n    st replay aaa\n\n"
        "2. Test Case ID: bbb\n\n- ST401 API accepts invalid authentication\n\n"
        f"Reproduce with:\n\n    curl -X GET {key} http://127.0.0.1:9/things\n"
    )
    junit = tmp_path / "junit.xml"
    root = ET.Element("testsuites")
    case = ET.SubElement(ET.SubElement(root, "testsuite"), "testcase", {"name": "Stateful"})
    ET.SubElement(case, "failure", {"type": "failure"}).text = failure
    junit.write_bytes(ET.tostring(root))
    assert schemathesis_summary(junit).curls == {
        "ST301 Deleted resource still available": "curl -X GET -H "
        '"x-meeting-baas-api-key: $MEETING_BAAS_API_KEY" http://127.0.0.1:9/things/1'
        "   # after 2 earlier call(s): see the JUnit report",
        "ST401 API accepts invalid authentication": "curl -X GET -H "
        "'x-meeting-baas-api-key: a-made-up-key' http://127.0.0.1:9/things",
    }
