"""The contract suites users run against their own receivers and servers."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import threading
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock as patching

import pytest
import schemathesis
import standardwebhooks
from aiohttp import web
from schemathesis.core.warnings import SchemathesisWarning
from standardwebhooks import webhooks as swh

from mockbaas.cli import build_parser
from mockbaas.cli.contract import api_options, receiver_command
from mockbaas.config import Settings
from mockbaas.contract import Contract, v2_path
from mockbaas.suites.api import schemathesis_command
from mockbaas.suites.receiver import RECEIVER_KEY
from mockbaas.suites.schemathesis_config import schemathesis_config
from mockbaas.testing import BackgroundServer, MockClient, Received, WebhookReceiver
from mockbaas.v2.signing import account_secret

#: long runs (fuzzing, many examples, benchmarks): `pytest -m "not slow"` skips them
pytestmark = pytest.mark.slow


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["contract", *argv])


def test_receiver_suite_passes_a_receiver_that_acknowledges_everything(capsys):
    with WebhookReceiver() as receiver:
        code = receiver_command(_args("receiver", "--url", receiver.url, "--examples", "6"))
        out = capsys.readouterr().out
        assert code == 0, out
        assert "6 bots" in out and " 0 problems" in out
        events = {e["event"] for e in receiver.events()}
        assert "bot.status_change" in events
        assert events & {"complete", "failed"}
        keys = {r.headers["x-meeting-baas-api-key"] for r in receiver.received}
        assert keys == {"mockbaas-contract-key"}


def _svix_receiver(secret: str, verified: list[str]) -> WebhookReceiver:
    """A receiver that verifies the Standard Webhooks / Svix signature (with the
    `standardwebhooks` package, against the signed time) and refuses a bad one with 401."""
    receiver = WebhookReceiver()

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {
            f"webhook-{h}": request.headers.get(f"svix-{h}", "")
            for h in ("id", "timestamp", "signature")
        }
        moment = datetime.fromtimestamp(int(headers["webhook-timestamp"] or 0), tz=UTC)
        try:
            with patching.patch.object(swh, "datetime", wraps=datetime) as clock:
                clock.now.return_value = moment
                event = standardwebhooks.Webhook(secret).verify(body, headers)
        except standardwebhooks.WebhookVerificationError:
            return web.json_response({"error": "bad signature"}, status=401)
        verified.append(event["event"])
        return web.json_response({})

    receiver._handle = handle  # type: ignore[method-assign]
    return receiver


def test_receiver_suite_v2_signs_every_delivery_and_checks_forgeries(capsys):
    secret = account_secret(0, RECEIVER_KEY)
    verified: list[str] = []
    with _svix_receiver(secret, verified) as receiver:
        code = receiver_command(
            _args(
                "receiver",
                "--url",
                receiver.url,
                "--v2",
                "--expect-signature-check",
                "--examples",
                "6",
            )
        )
    out = capsys.readouterr().out
    assert code == 0, out
    assert secret in out and "6 bots" in out and " 0 problems" in out
    assert "bot.status_change" in verified and {"bot.completed", "bot.failed"} & set(verified)
    # a receiver that checks nothing fails the forgery case
    with WebhookReceiver() as lax:
        code = receiver_command(
            _args(
                "receiver", "--url", lax.url, "--v2", "--expect-signature-check", "--examples", "1"
            )
        )
    assert code == 1 and "forged svix-signature was accepted" in capsys.readouterr().out


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
        code = receiver_command(_args("receiver", "--url", receiver.url, "--examples", "12"))
    out = capsys.readouterr().out
    assert code == 1
    assert refused, "the draw never produced a failing scenario"
    assert "failed receiver answered 500" in out
    assert "scenario " in out and '"error":' in out


def _deduplicating(answer_repeat: int) -> tuple[WebhookReceiver, dict[str, bytes]]:
    """A receiver that processes each x-mockbaas-delivery-id once and answers a repeat of
    one it has seen with `answer_repeat`; it records what it processed, by id."""
    receiver = WebhookReceiver()
    lock = threading.Lock()
    processed: dict[str, bytes] = {}

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        delivery_id = request.headers["x-mockbaas-delivery-id"]
        with lock:
            repeat = delivery_id in processed
            if not repeat:
                processed[delivery_id] = body
            status = answer_repeat if repeat else 200
            headers = {k.lower(): v for k, v in request.headers.items()}
            receiver.received.append(Received(request.path, headers, body, status))
        return web.json_response({"repeat": repeat}, status=status)

    receiver._handle = handle  # type: ignore[method-assign]
    return receiver, processed


def test_receiver_suite_sends_every_bot_and_every_delivery_once_per_run(capsys):
    """Distinct bots, and a delivery id never stands for two different bodies: a receiver
    that deduplicates by delivery id must not be fooled by the suite itself."""
    with WebhookReceiver() as receiver:
        code = receiver_command(_args("receiver", "--url", receiver.url, "--examples", "10"))
    assert code == 0, capsys.readouterr().out
    bodies: dict[str, set[bytes]] = {}
    for received in receiver.received:
        assert received.delivery_id is not None
        bodies.setdefault(received.delivery_id, set()).add(received.body)
    assert all(len(seen) == 1 for seen in bodies.values())
    assert len({r.json()["data"]["bot_id"] for r in receiver.received}) == 10
    # duplicates were drawn, and a duplicate is the same id with the same body
    assert any(r.headers["x-mockbaas-attempt"] == "2" for r in receiver.received)


def test_receiver_suite_passes_an_idempotent_receiver(capsys):
    """Answering 200 to a repeat without processing it again is what an idempotent
    receiver does: no problem, and each delivery was processed exactly once."""
    receiver, processed = _deduplicating(answer_repeat=200)
    with receiver:
        code = receiver_command(_args("receiver", "--url", receiver.url, "--examples", "10"))
    out = capsys.readouterr().out
    assert code == 0, out
    # every event the suite sent was processed: no new event hid behind a seen id
    assert set(processed.values()) == {r.body for r in receiver.received}
    assert len(receiver.received) > len(processed)  # some deliveries came twice


def test_receiver_suite_flags_refusing_a_deliberate_duplicate_only_when_one_was_sent(capsys):
    """A 409 to a repeated delivery id is wrong (the duplicate fault sends the same id and
    body again; a 2xx is due), and is reported only for examples that drew duplicates."""
    receiver, _ = _deduplicating(answer_repeat=409)
    with receiver:
        code = receiver_command(_args("receiver", "--url", receiver.url, "--examples", "10"))
    out = capsys.readouterr().out
    assert code == 1
    problems = [line for line in out.splitlines() if line.startswith("  - ")]
    assert problems
    for problem in problems:
        assert "duplicate=True" in problem, problem
        assert "answered 409 to a deliberate duplicate delivery" in problem, problem


def test_receiver_suite_key_check(capsys):
    with WebhookReceiver() as receiver:
        code = receiver_command(
            _args("receiver", "--url", receiver.url, "--examples", "2", "--expect-key-check")
        )
    out = capsys.readouterr().out
    assert code == 1
    assert "wrong x-meeting-baas-api-key was accepted" in out


def test_api_suite_builds_a_schemathesis_run_with_our_contract(tmp_path):
    command = schemathesis_command(
        api_options(
            _args("api", "--url", "http://127.0.0.1:9", "--read-only", "--max-examples", "3")
        ),
        tmp_path,
    )
    assert command[command.index("run") + 1] == str(tmp_path / "openapi.json")
    assert command[command.index("--url") + 1] == "http://127.0.0.1:9"
    # every check through the config file, which keeps its per-operation exceptions
    # (schemathesis' own `--checks all` would override them)
    assert "--checks" not in command
    assert command[-6:-4] == ["--include-method", "GET"]
    assert command[-4:] == [
        "--report", "junit", "--report-junit-path", str(tmp_path / "junit.xml")
    ]  # fmt: skip
    config = tomllib.loads((tmp_path / "schemathesis.toml").read_text())
    assert config == schemathesis_config("contract-test-key", 0, 3)
    document = json.loads((tmp_path / "openapi.json").read_text())
    assert document["paths"]["/bots/"]["post"]["responses"]["200"]["links"]


def _run_api_suite(key: str, *options: str) -> subprocess.CompletedProcess[str]:
    """`mockbaas contract api` for real: schemathesis against a mock that knows one key."""
    settings = Settings(port=0, strict=True, api_keys=["contract-key"])
    with BackgroundServer(settings) as server:
        args = _args("api", "--url", server.url, "--api-key", key, *options)
        with tempfile.TemporaryDirectory() as workdir:
            return subprocess.run(
                schemathesis_command(api_options(args), Path(workdir)),
                capture_output=True,
                text=True,
            )


def test_api_suite_passes_against_the_mock():
    """`mockbaas contract api` end to end: a real schemathesis run against the mock."""
    done = _run_api_suite(
        "contract-key", "--max-examples", "5", "--phases", "examples,coverage,fuzzing"
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert f"{len(Contract.load().operations)} selected" in done.stdout


def test_api_suite_v2_passes_against_the_mock():
    """`mockbaas contract api --v2`: openapi-v2.json, its pinned targets, against the
    mock, every phase: the stateful one follows the document's own links only (a
    guessed link once sent a bot's id to the scheduled-bot read, a false ST302), and a
    cancelled scheduled bot stays readable, as upstream documents."""
    done = _run_api_suite("contract-key", "--v2", "--max-examples", "3")
    assert done.returncode == 0, done.stdout[-4000:]
    assert f"{len(Contract.load(v2_path()).operations)} selected" in done.stdout
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected / (\d+) total(.*)", done.stdout)
    declared = sum(
        len(response.get("links", {}))
        for item in json.loads(v2_path().read_text())["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in operation.get("responses", {}).values()
    )
    assert links and int(links.group(3)) == declared, done.stdout[-3000:]
    assert "inferred" not in links.group(4)
    assert int(links.group(1)) > 5
    assert re.search(r"✅\s+Stateful", done.stdout), done.stdout[-3000:]


def test_api_suite_fails_when_every_call_is_refused_for_its_key():
    """A wrong --api-key makes every call a 401: schemathesis only warns; we fail."""
    done = _run_api_suite("not-the-key", "--max-examples", "2", "--phases", "coverage,fuzzing")
    assert done.returncode != 0, done.stdout[-4000:]
    assert "Authentication failed" in done.stdout


def test_api_command_says_why_a_run_without_failed_checks_failed(capfd):
    """Every call a 401: no check failed, yet the run did; the last line says so and
    points at the key, never "no problems found"."""
    settings = Settings(port=0, strict=True, api_keys=["contract-key"])
    with BackgroundServer(settings) as server:
        args = _args("api", "--url", server.url, "--api-key", "not-the-key", "--max-examples", "2")
        code = args.run(args)
    out = capfd.readouterr().out
    assert code != 0
    before, last = out.strip().splitlines()[-2:]
    assert last.startswith("mockbaas contract api: no failed check in the report, but"), last
    # no --junit-xml: the report schemathesis names lived in a folder that is gone now
    assert (
        before == "(the JUnit report schemathesis named was temporary: --junit-xml FILE keeps one)"
    )
    assert "a wrong --api-key makes every operation answer 401" in last


def test_api_suite_fails_on_auth_warnings_only():
    """Every run of ours fails on `missing_auth`; `missing_test_data` stays a warning,
    since the stateless phases alone cannot reach an id-taking operation."""
    config = schemathesis_config("k")
    assert config["warnings"] == {"fail-on": ["missing_auth"]}
    project = schemathesis.Config.from_dict(config).projects.get_default()
    assert project.warnings.should_fail(SchemathesisWarning.MISSING_AUTH)
    assert not project.warnings.should_fail(SchemathesisWarning.MISSING_TEST_DATA)


def test_every_suite_takes_examples():
    """`--examples` is what `receiver` and `stream` take; `api` takes it too, beside
    schemathesis' own word."""
    url = ("--url", "http://127.0.0.1:9")
    assert api_options(_args("api", *url, "--examples", "7")).max_examples == 7
    assert api_options(_args("api", *url, "--max-examples", "8")).max_examples == 8


def test_api_help_shows_only_defaults_that_say_something(capsys):
    with pytest.raises(SystemExit):
        _args("api", "--help")
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: None)" not in out and "(default: False)" not in out
    assert "another OpenAPI file (default: the bundled one) --checks" in out
    assert "same seed, same requests" in out


def _requests_sent(seed: int) -> list[tuple[str, str, str]]:
    """What one small `contract api --seed` run sent to the mock, in order."""
    settings = Settings(port=0, strict=True, api_keys=["contract-key"])
    with BackgroundServer(settings) as server:
        args = _args(
            "api", "--url", server.url, "--api-key", "contract-key", "--max-examples", "2",
            "--phases", "fuzzing", "--read-only", "--seed", str(seed),
        )  # fmt: skip
        with tempfile.TemporaryDirectory() as workdir:
            done = subprocess.run(
                schemathesis_command(api_options(args), Path(workdir)),
                capture_output=True,
                text=True,
            )
        assert done.returncode == 0, done.stdout[-4000:]
        sent = MockClient(server.url).requests()
    return sorted((e["method"], e["path"], e["query"]) for e in sent)


def test_api_seed_replays_the_same_requests_and_another_seed_draws_others():
    """What the --seed help promises, although schemathesis prints "Seed: not used in the
    deterministic mode": a seed given in its config file is used."""
    first = _requests_sent(0)
    assert first and _requests_sent(0) == first
    assert _requests_sent(1) != first


@pytest.mark.parametrize("argv", [["api"], ["receiver"]])
def test_suites_need_a_url(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        _args(*argv)
    assert exc.value.code == 2
    assert "--url" in capsys.readouterr().err


def test_api_suite_all_phases_against_a_standalone_mock_process():
    """What a user runs: `mockbaas serve` in its own process and `mockbaas contract api`
    beside it, every check and every phase (stateful included). Generated webhook URLs
    name made-up hosts: the mock refuses them (422) and dials none of them."""
    import re
    import sys

    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockbaas",
            "serve",
            "--port",
            "0",
            "--clock",
            "manual",
            "--api-key",
            "contract-key",
            "--log-level",
            "warning",
        ],  # fmt: skip
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert serve.stderr is not None
        url = None
        for line in serve.stderr:
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if found:
                url = found.group(1)
                break
        assert url, "mockbaas serve did not start"
        # keep reading its log, so a full pipe never blocks the server
        threading.Thread(target=serve.stderr.read, daemon=True).start()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "mockbaas",
                "contract",
                "api",
                "--url",
                url,
                "--api-key",
                "contract-key",
                "--max-examples",
                "3",
            ],  # fmt: skip
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        serve.terminate()
        serve.wait(timeout=30)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅\s+{phase}", done.stdout), done.stdout[-3000:]
    assert "no problems found" in done.stdout
