"""Shutdown (Ctrl-C, SIGTERM, the fixture's teardown) gives pending webhooks a last
attempt; what still cannot be delivered is journaled and logged, never lost silently."""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from support import MEET_URL

from mockbaas.config import Settings
from mockbaas.testing import BackgroundServer, MockClient

OTHER_MEET = "https://meet.google.com/xyz-abcd-efg"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def kinds(delivery: Any) -> list[tuple[str, int | None]]:
    return [(a.kind, a.status_code) for a in delivery.attempts]


def test_pending_delivery_gets_a_last_attempt_at_stop(mockbaas_receiver):
    rcv = mockbaas_receiver
    server = BackgroundServer(Settings(port=0, strict=True)).start()
    try:
        api = MockClient(server.url)
        rcv.fail_next(1)
        bot = api.join(MEET_URL, webhook_url=rcv.url)
        api.advance(0)  # waits for the first attempt
        [pending] = api.webhooks(bot_id=bot)
        assert pending["state"] == "pending"
        assert pending["next_attempt_at"] == "2025-01-06T09:00:02.000Z"
    finally:
        server.stop()
    assert server.mock is not None
    [delivery] = server.mock.webhooks.journal
    assert delivery.state == "delivered"
    assert kinds(delivery) == [("delivery", 500), ("shutdown", 200)]
    assert [r.answered for r in rcv.received] == [500, 200]
    assert rcv.received[1].headers["x-mockbaas-attempt"] == "2"
    assert rcv.received[1].body == rcv.received[0].body


def test_undeliverable_at_stop_is_journaled_and_logged(mockbaas_receiver, caplog):
    rcv = mockbaas_receiver
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{sock.getsockname()[1]}/hooks"
    server = BackgroundServer(Settings(port=0, strict=True)).start()
    try:
        api = MockClient(server.url)
        rcv.go_down(503)
        down = api.join(MEET_URL, webhook_url=rcv.url)
        gone_a = api.join(OTHER_MEET, webhook_url=refused)
        gone_b = api.join("https://meet.google.com/qqq-wwww-eee", webhook_url=refused)
        api.advance(10)  # three events each, all waiting behind a failing first one
        assert {d["state"] for d in api.webhooks()} == {"pending"}
        with caplog.at_level(logging.WARNING, logger="mockbaas.webhooks"):
            server.stop()
    finally:
        server.stop()
    assert server.mock is not None
    journal = server.mock.webhooks.journal
    assert {d.state for d in journal} == {"undelivered_at_shutdown"}
    by_bot: dict[str, list[Any]] = {}
    for delivery in journal:
        by_bot.setdefault(delivery.subject, []).append(delivery)
    # each bot's oldest event had its last chance; later ones keep their order and wait
    assert [kinds(d) for d in by_bot[down]] == [
        [("delivery", 503)] * 3 + [("shutdown", 503)],
        [],
        [],
    ]
    assert [a.error for a in by_bot[gone_a][0].attempts][-1].startswith("connection refused")
    assert kinds(by_bot[gone_a][0])[-1] == ("shutdown", None)
    # a URL that refused is not tried again for the other bot
    assert kinds(by_bot[gone_b][0]) == [("delivery", None)] * 3
    messages = [r.getMessage() for r in caplog.records]
    for delivery in journal:
        [line] = [m for m in messages if delivery.id in m]
        assert "undelivered at shutdown" in line
        assert delivery.body.decode() in line
    assert any("9 webhook deliveries undelivered at shutdown" in m for m in messages)
    assert all(r.answered == 503 for r in rcv.received)


def _wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        try:
            with urllib.request.urlopen(url + "/_mockbaas/health", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    raise AssertionError("mockbaas serve did not come up")


def test_sigterm_drains_a_real_server(mockbaas_receiver):
    rcv = mockbaas_receiver
    refused = f"http://127.0.0.1:{free_port()}/hooks"
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockbaas",
            "serve",
            "--port",
            str(port),
            "--clock",
            "manual",
            "--webhook-url",
            rcv.url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, proc)
        api = MockClient(url)
        rcv.fail_next(1)
        saved = api.join(MEET_URL)  # the --webhook-url default
        lost = api.join(OTHER_MEET, webhook_url=refused)
        api.advance(0)  # waits for the first attempts
        journal = api.webhooks()
        assert [(d["subject"], d["state"], len(d["attempts"])) for d in journal] == [
            (saved, "pending", 1),
            (lost, "pending", 1),
        ]
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    log = err.decode()
    assert proc.returncode == 0, log
    assert [(r.delivery_id, r.answered) for r in rcv.received] == [
        (journal[0]["id"], 500),
        (journal[0]["id"], 200),
    ]
    assert rcv.received[1].headers["x-mockbaas-attempt"] == "2"
    assert rcv.received[1].json() == journal[0]["payload"]
    # every attempt has an INFO line; what went wrong for good is the WARNING
    warnings = [line for line in log.splitlines() if " WARNING " in line]
    [line] = [line for line in warnings if journal[1]["id"] in line]
    assert "undelivered at shutdown: connection refused" in line
    assert lost in line
    assert journal[0]["id"] not in "\n".join(warnings)
    assert (
        f"{journal[0]['id']} bot.status_change for {saved} #2 shutdown to {rcv.url}: 200 ok" in log
    )
