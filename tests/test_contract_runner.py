"""The contract suites users run against their own receivers and servers."""

from __future__ import annotations

import argparse
import threading

import pytest
from aiohttp import web

from mockbaas.cli import build_parser
from mockbaas.contract_runner import run_receiver, schemathesis_command
from mockbaas.receiver import WebhookReceiver


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["contract", *argv])


def test_receiver_suite_passes_a_receiver_that_acknowledges_everything(capsys):
    with WebhookReceiver() as receiver:
        code = run_receiver(_args("receiver", "--url", receiver.url, "--examples", "6"))
        out = capsys.readouterr().out
        assert code == 0, out
        assert "6 bots" in out and " 0 problems" in out
        events = {e["event"] for e in receiver.events()}
        assert "bot.status_change" in events
        assert events & {"complete", "failed"}
        keys = {r.headers["x-meeting-baas-api-key"] for r in receiver.received}
        assert keys == {"mockbaas-contract-key"}


def test_receiver_suite_reports_events_the_receiver_refuses(capsys):
    receiver = WebhookReceiver()
    lock = threading.Lock()
    refused: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        if body["event"] == "failed":
            with lock:
                refused.append(body["data"]["bot_id"])
            return web.json_response({"error": "unexpected"}, status=500)
        return web.json_response({})

    receiver._handle = handle  # type: ignore[method-assign]
    with receiver:
        code = run_receiver(_args("receiver", "--url", receiver.url, "--examples", "12"))
    out = capsys.readouterr().out
    assert code == 1
    assert refused, "the draw never produced a failing scenario"
    assert "failed receiver answered 500" in out
    assert "scenario " in out and '"error":' in out


def test_receiver_suite_key_check(capsys):
    with WebhookReceiver() as receiver:
        code = run_receiver(
            _args("receiver", "--url", receiver.url, "--examples", "2", "--expect-key-check")
        )
    out = capsys.readouterr().out
    assert code == 1
    assert "wrong x-meeting-baas-api-key was accepted" in out


def test_api_suite_builds_a_schemathesis_run_with_our_contract():
    command = schemathesis_command(
        _args("api", "--url", "http://127.0.0.1:9", "--read-only", "--max-examples", "3")
    )
    assert command[3:5] == ["run", command[4]] and command[4].endswith("openapi.json")
    assert ["--url", "http://127.0.0.1:9"] == command[5:7]
    assert "x-meeting-baas-api-key: contract-test-key" in command
    assert command[command.index("--checks") + 1] == "all"
    assert command[-2:] == ["--include-method", "GET"]


@pytest.mark.parametrize("argv", [["api"], ["receiver"]])
def test_suites_need_a_url(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        _args(*argv)
    assert exc.value.code == 2
    assert "--url" in capsys.readouterr().err
