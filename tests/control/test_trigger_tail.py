"""`mockbaas trigger` and `mockbaas tail`, the trigger route, and the delivery log line."""

from __future__ import annotations

import io
import logging
import queue
import re
import subprocess
import sys
import threading

import pytest

from mockbaas.cli import main
from mockbaas.cli.live import Tail, use_colour

T0 = "2025-01-06T09:00:00.000Z"
ANSI = re.compile(r"\033\[")


def contract_kept(contract, delivery):
    return contract.webhook_errors(delivery["event"], delivery["payload"]) == []


@pytest.mark.parametrize(
    "event, check",
    [
        ("bot.status_change", lambda d: d["status"]["code"] == "joining_call"),
        ("failed", lambda d: d["error"] == "BotNotAccepted"),
        ("complete", lambda d: d["mp4"].startswith("http") and "transcript" in d),
        ("transcription_complete", lambda d: set(d) == {"bot_id"}),
        ("calendar.sync_events", lambda d: len(d["affected_event_uuids"]) > 0),
    ],
)
def test_trigger_sends_an_engine_payload_now_without_moving_the_clock(
    mockbaas, mockbaas_receiver, contract, event, check
):
    found = mockbaas.trigger(event, url=mockbaas_receiver.url)
    [delivery] = found["deliveries"]
    assert delivery["event"] == event and delivery["state"] == "delivered"
    assert delivery["subject"] == found["subject"]
    assert [a["status_code"] for a in delivery["attempts"]] == [200]
    assert contract_kept(contract, delivery)
    received = [e for e in mockbaas_receiver.events() if e["event"] == event]
    assert received == [delivery["payload"]]
    assert check(received[0]["data"])
    assert mockbaas.clock()["now"] == T0
    if event != "calendar.sync_events":
        assert mockbaas.bot(found["subject"])["bot_id"] == found["subject"]


def test_trigger_again_for_a_bot_sends_its_payload_as_a_new_delivery(mockbaas, mockbaas_receiver):
    bot = mockbaas.join()  # no webhook URL anywhere: journaled as no_url
    mockbaas.run_until_idle()
    [original] = mockbaas.webhooks(bot_id=bot, event="complete")
    assert original["state"] == "no_url"
    found = mockbaas.trigger("complete", bot_id=bot, url=mockbaas_receiver.url)
    [again] = found["deliveries"]
    assert again["id"] != original["id"] and again["payload"] == original["payload"]
    assert mockbaas_receiver.events() == [original["payload"]]
    resp = mockbaas.request(
        "POST", "/_mockbaas/webhooks/trigger", json_body={"event": "failed", "bot_id": bot}
    )
    assert resp.status == 409
    assert (
        "has not sent failed yet (it sent: bot.status_change, complete)" in resp.json()["message"]
    )


def test_integers_beyond_64_bits_stay_exact_in_the_journal_and_when_sent_again(
    mockbaas, mockbaas_receiver
):
    big = {"big": 123456789012345678901234567890, "nested": [{"b": 2**64}]}
    bot = mockbaas.join(extra=big)
    mockbaas.run_until_idle()
    [original] = mockbaas.webhooks(bot_id=bot, event="complete")
    assert original["payload"]["data"]["extra"] == big  # parsed exactly by the client
    found = mockbaas.trigger("complete", bot_id=bot, url=mockbaas_receiver.url)
    assert found["deliveries"][0]["payload"]["data"]["extra"] == big
    [posted] = mockbaas_receiver.received
    assert b'"extra":{"big":123456789012345678901234567890,' in posted.body
    assert posted.json()["data"]["extra"] == big


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"event": "paid"}, 422, "event: one of bot.status_change"),
        ({"event": "complete", "bot_id": "nope"}, 404, "bot or calendar nope not found"),
        ({"event": "complete", "url": "ftp://x"}, 422, "url: must be an http(s) URL"),
        ({"event": "complete", "url": "http://hooks.example.com/x"}, 422, "--webhook-allow"),
        ({"event": "complete", "when": 1}, 422, "when: unknown field"),
        ({}, 422, "event: must be a non-empty string"),
    ],
)
def test_trigger_refuses_bad_bodies_and_changes_nothing(mockbaas, body, status, message):
    resp = mockbaas.request("POST", "/_mockbaas/webhooks/trigger", json_body=body)
    assert resp.status == status and message in resp.json()["message"]
    assert mockbaas.webhooks() == [] and mockbaas._control("GET", "/bots")["bots"] == []


def test_trigger_command(mockbaas, mockbaas_receiver, capsys):
    code = main(["trigger", "complete", "--server", mockbaas.url, "--url", mockbaas_receiver.url])
    out = capsys.readouterr().out
    assert code == 0, out
    [line, subject] = out.splitlines()
    assert line.startswith(T0) and " complete " in line and line.endswith("200 ok")
    assert not ANSI.search(out)  # not a terminal: no colour
    assert [e["event"] for e in mockbaas_receiver.events()][-1] == "complete"
    assert subject == f"subject {mockbaas_receiver.events()[-1]['data']['bot_id']}"


def test_trigger_and_tail_take_the_control_token(
    mockbaas_factory, mockbaas_receiver, capsys, monkeypatch
):
    monkeypatch.delenv("MOCKBAAS_CONTROL_TOKEN", raising=False)
    url = mockbaas_factory(control_token="s3cret").url
    send = ["trigger", "complete", "--server", url, "--url", mockbaas_receiver.url]
    assert main(send) == 2
    assert "401" in capsys.readouterr().err
    assert main([*send, "--control-token", "s3cret"]) == 0
    assert main(["tail", "--server", url, "--once"]) == 2
    assert main(["tail", "--server", url, "--once", "--control-token", "s3cret"]) == 0
    assert " complete " in capsys.readouterr().out
    monkeypatch.setenv("MOCKBAAS_CONTROL_TOKEN", "s3cret")  # the default
    assert main(["tail", "--server", url, "--once"]) == 0


def test_trigger_command_exits_1_unless_delivered(mockbaas, mockbaas_receiver, capsys):
    url = mockbaas_receiver.url
    mockbaas_receiver.fail_next(1)
    assert main(["trigger", "bot.status_change", "--server", mockbaas.url, "--url", url]) == 1
    assert capsys.readouterr().out.splitlines()[0].endswith("answered HTTP 500 (not 2xx)")
    mockbaas_receiver.fail_next(1)  # the bot's first event: `failed` waits behind its retry
    assert main(["trigger", "failed", "--server", mockbaas.url, "--url", url]) == 1
    line = capsys.readouterr().out.splitlines()[0]
    assert "  failed  " in line and line.endswith("  pending")


def test_tail_once_prints_one_line_per_attempt(mockbaas, mockbaas_receiver, capsys):
    mockbaas_receiver.fail_next(1)
    bot = mockbaas.join(webhook_url=mockbaas_receiver.url)  # joining_call: refused once
    mockbaas.advance(2)  # its retry
    mockbaas.join("https://zoom.us/j/9")  # no URL: one unsent line
    assert main(["tail", "--server", mockbaas.url, "--once"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert not ANSI.search("\n".join(lines))
    assert lines[0].startswith(T0) and "bot.status_change joining_call" in lines[0]
    assert f"{bot}  #1 delivery  {mockbaas_receiver.url}  answered HTTP 500" in lines[0]
    assert lines[1].endswith(" 200 ok") and "#2 delivery" in lines[1]
    assert lines[2].endswith("no_url") and len(lines) == 3
    assert main(["tail", "--server", mockbaas.url, "--once", "--bot", bot]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_tail_colours_a_terminal_unless_no_color(mockbaas, mockbaas_receiver, monkeypatch):
    mockbaas.trigger("complete", url=mockbaas_receiver.url)
    out = Terminal()
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(out)
    Tail(mockbaas, out, use_colour(out), None).poll()
    assert "\033[32m200 ok\033[0m" in out.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(out)


def test_tail_follows_live(mockbaas, mockbaas_receiver):
    out = io.StringIO()
    stop = threading.Event()
    tail = Tail(mockbaas, out, False, None)
    follower = threading.Thread(target=tail.follow, args=(0.01, stop.is_set))
    follower.start()
    try:
        mockbaas.trigger("failed", url=mockbaas_receiver.url)
        for _ in range(1000):  # bounded wait for the follower's next poll
            if " failed " in out.getvalue():
                break
            stop.wait(0.01)
    finally:
        stop.set()
        follower.join(timeout=10)
    printed = out.getvalue().splitlines()
    assert [line.split("  ")[1] for line in printed] == [
        "bot.status_change joining_call",
        "bot.status_change in_waiting_room",
        "bot.status_change bot_rejected",
        "failed",
    ]
    assert len(set(printed)) == len(printed)  # each attempt once, however many polls


def test_every_delivery_outcome_is_one_info_line(mockbaas, mockbaas_receiver, caplog):
    caplog.set_level(logging.INFO, logger="mockbaas.webhooks")
    mockbaas_receiver.fail_next(1)
    found = mockbaas.trigger("bot.status_change", url=mockbaas_receiver.url)
    mockbaas.advance(2)
    [delivery] = found["deliveries"]
    lines = [r.getMessage() for r in caplog.records if r.name == "mockbaas.webhooks"]
    prefix = f"webhook {delivery['id']} bot.status_change for {found['subject']}"
    assert lines == [
        f"{prefix} #1 delivery to {mockbaas_receiver.url}: answered HTTP 500 (not 2xx)",
        f"{prefix} #2 delivery to {mockbaas_receiver.url}: 200 ok",
    ]
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "mockbaas.webhooks")


def test_serve_logs_delivery_outcomes(mockbaas_receiver):
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockbaas", "serve", "--port", "0", "--clock", "manual"],
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True).start()
    try:
        url = None
        while url is None:  # bounded by the queue's timeout
            found = re.search(r"listening on (http://\S+) ", lines.get(timeout=30))
            url = found and found.group(1)
        assert main(["trigger", "complete", "--server", url, "--url", mockbaas_receiver.url]) == 0
        logged = ""
        while " complete for " not in logged:
            logged = lines.get(timeout=30)
        assert " INFO mockbaas.webhooks: webhook " in logged and logged.rstrip().endswith("200 ok")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
