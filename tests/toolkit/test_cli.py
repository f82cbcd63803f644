"""The `mockbaas` command: helpful help, a real server process that answers and stops
cleanly on SIGTERM, and start-up refusals (exit code 2) that say what is wrong."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import MEET_URL, serve_process

SERVE_FLAGS = [
    "--host",
    "--port",
    "--public-url",
    "--max-body",
    "--seed",
    "--api-key",
    "--scenarios",
    "--strict",
    "--clock",
    "--speed",
    "--start-time",
    "--webhook-url",
    "--webhook-retry-schedule",
    "--webhook-timeout",
    "--fault-duplicate",
    "--fault-delay",
    "--fault-out-of-order",
    "--log-level",
]


def mockbaas(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockbaas", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_top_level_help():
    result = mockbaas("--help")
    assert result.returncode == 0
    assert "Meeting BaaS" in result.stdout
    for command in ("serve", "check-scenarios"):
        assert command in result.stdout


def test_serve_help_mentions_every_flag():
    result = mockbaas("serve", "--help")
    assert result.returncode == 0
    missing = [flag for flag in SERVE_FLAGS if flag not in result.stdout]
    assert not missing
    assert "(default: 8080)" in result.stdout and "(default: 127.0.0.1)" in result.stdout
    assert "realtime" in result.stdout and "manual" in result.stdout


def test_console_script_is_installed():
    script = Path(sys.executable).with_name("mockbaas")
    assert script.exists()
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.startswith("mockbaas ")


def request(url: str, method: str = "GET", body: object = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("x-meeting-baas-api-key", "cli-key")
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`mockbaas serve --port 0`: the real port is read from its start-up log line."""
    with serve_process("--seed", "3", "--clock", "manual", "--api-key", "cli-key") as served:
        yield served


def test_serve_answers_and_stops_on_sigterm(served):
    proc, url = served
    status, health = request(url + "/_mockbaas/health")
    assert status == 200 and health["ok"] is True
    body = {"meeting_url": MEET_URL, "bot_name": "cli", "reserved": False}
    status, joined = request(url + "/bots/", "POST", body)
    assert status == 200 and "bot_id" in joined
    status, data = request(url + f"/bots/meeting_data?bot_id={joined['bot_id']}")
    assert status == 200 and data["bot_data"]["bot"]["bot_name"] == "cli"
    status, _ = request(url + "/_mockbaas/clock/advance", "POST", {"seconds": 3600})
    status, data = request(url + f"/bots/meeting_data?bot_id={joined['bot_id']}")
    assert data["mp4"].startswith(url + "/_mockbaas/media/")  # the real port, not 0
    with urllib.request.urlopen(data["mp4"], timeout=10) as media:
        assert media.status == 200
    req = urllib.request.Request(url + "/bots/bots_with_metadata")
    req.add_header("x-meeting-baas-api-key", "someone-else")  # --api-key restricts
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=10)
    assert refused.value.code == 401
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def test_bad_scenarios_dir_is_refused_at_start_up(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\nsteps:\n  - {status: not_a_status}\n")
    result = mockbaas("serve", "--port", str(free_port()), "--scenarios", str(tmp_path))
    assert result.returncode == 2
    assert "broken.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_scenarios_dir_is_refused(tmp_path):
    missing = tmp_path / "nowhere"
    result = mockbaas("serve", "--port", str(free_port()), "--scenarios", str(missing))
    assert result.returncode == 2
    assert "nowhere" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--clock", "manual", "--speed", "2"], "--speed only applies to the realtime clock"),
        (["--clock", "sometimes"], "invalid choice"),
        (["--speed", "0"], "must be greater than 0"),
        (["--start-time", "yesterday"], "not an ISO-8601 date-time"),
        (["--port", "http"], "not a port number"),
        (["--port", "70000"], "a port is 0 to 65535"),
        (["--max-body", "0"], "at least 1024 bytes"),
        (["--api-key", ""], "an API key cannot be empty"),
        (["--control-token", " sp ace"], "a control token is one word"),
        (["--control-token", ""], "a control token is one word"),
        (["--control-token", "caf\u00e9"], "a control token is one word of printable ASCII"),
        (["--webhook-url", "notaurl"], "not an http(s) URL"),
        (["--public-url", "ftp://x"], "not an http(s) URL"),
        (["--webhook-retry-schedule", "1,-2"], "cannot be negative"),
        (["--fault-delay", "-1"], "0 or more"),
        (["--fault-delay", "nan"], "0 or more"),
    ],
)
def test_bad_flags_exit_2_with_a_message(args, message):
    result = mockbaas("serve", "--port", str(free_port()), *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_port_in_use_is_refused():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = mockbaas("serve", "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_check_scenarios(tmp_path):
    result = mockbaas("check-scenarios")
    assert result.returncode == 0
    assert "happy_path (default)" in result.stdout
    (tmp_path / "bad.yaml").write_text("steps: 5\n")
    result = mockbaas("check-scenarios", str(tmp_path))
    assert result.returncode == 2 and "bad.yaml" in result.stderr


def test_malformed_http_is_one_quiet_line_not_a_traceback():
    """Fuzzers send broken HTTP framing; the client gets aiohttp's 400, the log stays calm."""
    import logging

    from aiohttp.http_exceptions import BadHttpMessage

    from mockbaas.cli.foreground import _QuietBadRequests

    try:
        raise BadHttpMessage("Invalid header value char")
    except BadHttpMessage:
        record = logging.LogRecord(
            "aiohttp.server", logging.ERROR, __file__, 1, "Error handling request", (),
            __import__("sys").exc_info(),
        )  # fmt: skip
    logging.getLogger("aiohttp.server").setLevel(logging.INFO)
    assert _QuietBadRequests().filter(record) is False
    assert record.exc_info is None and "bad HTTP request" in record.getMessage()
    other = logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, "boom", (), None)
    assert _QuietBadRequests().filter(other) is True
