"""The contract suites users run against their own receivers and servers."""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import threading
import tomllib
from pathlib import Path

import pytest
from aiohttp import web

from mockbaas.cli import build_parser
from mockbaas.config import Settings
from mockbaas.contract_runner import run_receiver, schemathesis_command, schemathesis_config
from mockbaas.receiver import WebhookReceiver
from mockbaas.server import BackgroundServer


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


def test_api_suite_builds_a_schemathesis_run_with_our_contract(tmp_path):
    command = schemathesis_command(
        _args("api", "--url", "http://127.0.0.1:9", "--read-only", "--max-examples", "3"),
        tmp_path,
    )
    assert command[command.index("run") + 1] == str(tmp_path / "openapi.json")
    assert command[command.index("--url") + 1] == "http://127.0.0.1:9"
    assert command[command.index("--checks") + 1] == "all"
    assert command[-2:] == ["--include-method", "GET"]
    config = tomllib.loads((tmp_path / "schemathesis.toml").read_text())
    assert config == schemathesis_config("contract-test-key", 0, 3)
    document = json.loads((tmp_path / "openapi.json").read_text())
    assert document["paths"]["/bots/"]["post"]["responses"]["200"]["links"]


def test_api_suite_passes_against_the_mock():
    """`mockbaas contract api` end to end: a real schemathesis run against the mock."""
    settings = Settings(port=0, strict=True, api_keys=["contract-key"])
    with BackgroundServer(settings) as server:
        args = _args(
            "api", "--url", server.url, "--api-key", "contract-key", "--max-examples", "5",
            "--phases", "examples,coverage,fuzzing",
        )  # fmt: skip
        with tempfile.TemporaryDirectory() as workdir:
            done = subprocess.run(
                schemathesis_command(args, Path(workdir)), capture_output=True, text=True
            )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "24 selected" in done.stdout


@pytest.mark.parametrize("argv", [["api"], ["receiver"]])
def test_suites_need_a_url(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        _args(*argv)
    assert exc.value.code == 2
    assert "--url" in capsys.readouterr().err
