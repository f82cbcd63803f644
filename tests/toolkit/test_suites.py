"""The contract suites called from Python: plain options in, a report out; no argparse,
nothing printed. The command line only turns its flags into the same options."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from mockbaas.cli import build_parser
from mockbaas.cli.contract import api_options, receiver_options, stream_options
from mockbaas.suites import (
    ApiOptions,
    ReceiverOptions,
    StreamOptions,
    run_receiver_suite,
    run_stream_suite,
)
from mockbaas.testing import StreamReceiver, WebhookReceiver


def test_receiver_suite_from_python_reports_a_refused_delivery(tmp_path, capsys):
    junit = tmp_path / "receiver.xml"
    with WebhookReceiver() as receiver:
        receiver.fail_next(1, status=503)  # the very first delivery of the run
        report = run_receiver_suite(ReceiverOptions(url=receiver.url, examples=3, junit_xml=junit))
    assert capsys.readouterr().out == ""
    first = receiver.received[0]
    assert first.answered == 503
    assert report.bots == 3 and not report.passed
    assert report.deliveries == len({r.delivery_id for r in receiver.received})
    assert len(report.problems) == 1
    assert f"{first.json()['event']} receiver answered 503" in report.problems[0]
    assert report.summary.counts == {f"{first.json()['event']}: answered 503": 1}
    cases = list(ET.parse(junit).getroot().iter("testcase"))
    assert len(cases) == 3
    assert [c.find("failure") is not None for c in cases] == [True, False, False]


def test_receiver_suite_from_python_passes_a_healthy_receiver():
    with WebhookReceiver() as receiver:
        report = run_receiver_suite(ReceiverOptions(url=receiver.url, examples=2, seed=4))
    assert report.passed and report.problems == [] and report.bots == 2
    assert report.summary.lines() == ["no problems found"]
    assert report.deliveries == len({r.delivery_id for r in receiver.received}) > 0
    assert report.line() == f"2 bots, {report.deliveries} deliveries, 0 problems"


def test_stream_suite_from_python():
    with StreamReceiver() as sink:
        report = run_stream_suite(StreamOptions(url=sink.url + "/py", examples=2))
        assert report.passed, report.problems
        assert report.streams == 2 and report.connections >= 2
        assert [c.close_code for c in sink.on("/py")].count(1000) >= 1
    with pytest.raises(ValueError, match="ws:// or wss://"):
        run_stream_suite(StreamOptions(url="http://127.0.0.1:9/x"))


def test_the_command_line_defaults_are_the_suites_defaults():
    def args(*argv: str):
        return build_parser().parse_args(["contract", *argv])

    url = "http://127.0.0.1:9/hook"
    assert api_options(args("api", "--url", url)) == ApiOptions(url=url)
    assert receiver_options(args("receiver", "--url", url)) == ReceiverOptions(url=url)
    ws = "ws://127.0.0.1:9/audio"
    assert stream_options(args("stream", "--url", ws)) == StreamOptions(url=ws)
