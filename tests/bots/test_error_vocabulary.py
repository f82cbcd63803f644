"""Where the docs contradict themselves about the final webhooks.

The `failed` error vocabulary (the guide's PascalCase types or the webhook reference's
snake_case codes), chosen per scenario file or per bot, on a real server with a real
receiver: exact bodies, journal, contract. And `complete` carrying `data.event`, as the
webhook reference (docs and both v1 OpenAPI files) shows it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import MEET_URL, ROOT

from mockbaas.bots import error_codes as ec
from mockbaas.bots import lifecycle as lc
from mockbaas.config import Settings
from mockbaas.contract import Contract
from mockbaas.scenarios import ScenarioBook, ScenarioError
from mockbaas.testing import BackgroundServer, MockClient, WebhookReceiver

UPSTREAM = Path(os.environ.get("MOCKBAAS_UPSTREAM_DIR", ROOT.parent / "shared" / "upstream"))

#: What each built-in failing scenario sends: (scenario, meeting URL, PascalCase error,
#: snake_case code, message). The snake column is the README's documented mapping.
FAILURES = [
    ("rejected", MEET_URL, "BotNotAccepted", "access_denied", None),
    ("waiting_room_timeout", MEET_URL, "TimeoutWaitingToStart", "access_denied", None),
    ("removed_before_recording", MEET_URL, "BotRemoved", "access_denied", None),
    (
        "cannot_join",
        MEET_URL,
        "CannotJoinMeeting",
        "authentication_error",
        "The meeting is only open to signed-in users invited to it.",
    ),
    (
        "internal_error",
        MEET_URL,
        "InternalError",
        "internal_error",
        "The recorder crashed before the recording started.",
    ),
    (
        "happy_path",
        "https://example.com/not-a-meeting",
        "InvalidMeetingUrl",
        "meeting_not_found",
        None,
    ),
]

SNAKE_FILE = """\
name: refused_snake
description: Refused at the waiting room; the failed webhook speaks snake_case.
error_vocabulary: snake
steps:
  - {status: joining_call}
  - {status: in_waiting_room, after: 5}
  - {status: bot_rejected, after: 20}
"""
PASCAL_FILE = SNAKE_FILE.replace("refused_snake", "refused_pascal").replace(
    "error_vocabulary: snake", "error_vocabulary: pascal"
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vocabulary")
    (path / "refused_snake.yaml").write_text(SNAKE_FILE)
    (path / "refused_pascal.yaml").write_text(PASCAL_FILE)
    return path


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[BackgroundServer]:
    with BackgroundServer(Settings(port=0, strict=True, scenario_dirs=[folder])) as running:
        yield running


@pytest.fixture
def api(server: BackgroundServer) -> MockClient:
    client = MockClient(server.url)
    client.reset()
    return client


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rcv:
        yield rcv


def final(api: MockClient, receiver: WebhookReceiver, bot: str) -> dict[str, Any]:
    """The bot's last webhook as the receiver got it; the journal holds the same body."""
    got = [e for e in receiver.events() if e["data"]["bot_id"] == bot]
    journal = api.webhooks(bot_id=bot)
    assert [d["payload"] for d in journal] == got
    return got[-1]


def failed(bot: str, error: str, message: str, extra: dict[str, Any]) -> dict[str, Any]:
    """A `failed` webhook as the 2026 reference shows it (not from a calendar event)."""
    data = {"bot_id": bot, "event_uuid": None, "error": error, "message": message}
    return {"event": "failed", "data": data | {"extra": extra}}


def conforms(contract: Contract, payload: dict[str, Any]) -> None:
    assert contract.webhook_errors(payload["event"], payload) == [], payload


# -- the failed webhook, in each vocabulary ---------------------------------------------------
@pytest.mark.parametrize(("scenario", "url", "pascal", "snake", "message"), FAILURES)
def test_each_failure_in_both_vocabularies(
    api: MockClient,
    receiver: WebhookReceiver,
    contract: Contract,
    scenario: str,
    url: str,
    pascal: str,
    snake: str,
    message: str | None,
) -> None:
    """The default stays PascalCase; `extra.mockbaas_error_vocabulary` turns one bot's
    `failed` into the snake_case code; only `error` changes."""
    text = message or lc.ERROR_MESSAGES[pascal]
    default = api.join(url, scenario=scenario, webhook_url=receiver.url)
    snaky = api.join(
        url,
        webhook_url=receiver.url,
        deduplication_key="snake",
        extra={"mockbaas_scenario": scenario, "mockbaas_error_vocabulary": "snake"},
    )
    api.advance(3600)
    assert final(api, receiver, default) == failed(
        default, pascal, text, {"mockbaas_scenario": scenario}
    )
    extra = {"mockbaas_scenario": scenario, "mockbaas_error_vocabulary": "snake"}
    assert final(api, receiver, snaky) == failed(snaky, snake, text, extra)
    for bot in (default, snaky):
        conforms(contract, final(api, receiver, bot))
        # the bot itself keeps the engine's error type: only the webhook is translated
        assert api.bot(bot)["error_type"] == pascal
    history = [e for e in api.bot(snaky)["history"] if e["code"] == lc.MEETING_ERROR]
    assert all(e["error_type"] == pascal for e in history)


def test_a_scenario_file_picks_the_vocabulary_and_a_bot_may_override_it(
    api: MockClient, receiver: WebhookReceiver, contract: Contract
) -> None:
    snake = api.join(MEET_URL, scenario="refused_snake", webhook_url=receiver.url)
    pascal = api.join(
        "https://meet.google.com/xyz-abcd-efg", scenario="refused_pascal", webhook_url=receiver.url
    )
    back = api.join(  # a snake file, a bot that asks for PascalCase
        "https://meet.google.com/bck-abcd-efg",
        webhook_url=receiver.url,
        extra={"mockbaas_scenario": "refused_snake", "mockbaas_error_vocabulary": "pascal"},
    )
    unset = api.join(  # null means: the scenario's
        "https://meet.google.com/nul-abcd-efg",
        webhook_url=receiver.url,
        extra={"mockbaas_scenario": "refused_snake", "mockbaas_error_vocabulary": None},
    )
    api.advance(60)
    message = lc.ERROR_MESSAGES["BotNotAccepted"]
    expected = {snake: "access_denied", pascal: "BotNotAccepted", back: "BotNotAccepted"}
    expected[unset] = "access_denied"
    extras: dict[str, Any] = {
        snake: {"mockbaas_scenario": "refused_snake"},
        pascal: {"mockbaas_scenario": "refused_pascal"},
        back: {"mockbaas_scenario": "refused_snake", "mockbaas_error_vocabulary": "pascal"},
        unset: {"mockbaas_scenario": "refused_snake", "mockbaas_error_vocabulary": None},
    }
    for bot, error in expected.items():
        payload = final(api, receiver, bot)
        assert payload == failed(bot, error, message, extras[bot])
        conforms(contract, payload)
    listed = {s["name"]: s for s in api.scenarios()["scenarios"]}
    assert listed["refused_snake"]["error_vocabulary"] == "snake"
    assert "error_vocabulary" not in listed["refused_pascal"]  # the default is not shown
    assert "error_vocabulary" not in listed["happy_path"]


@pytest.mark.parametrize("value", ["kebab", "Snake", "", 3, ["snake"]])
def test_an_unknown_vocabulary_in_extra_is_a_422_and_sends_no_bot(
    api: MockClient, value: Any
) -> None:
    resp = api.request(
        "POST",
        "/bots/",
        json_body={
            "meeting_url": MEET_URL,
            "bot_name": "Notetaker",
            "reserved": False,
            "extra": {"mockbaas_error_vocabulary": value},
        },
    )
    assert resp.status == 422
    body = resp.json()
    assert "extra.mockbaas_error_vocabulary" in body["message"]
    assert f"unknown error vocabulary {value!r}; one of pascal, snake" in body["message"]
    assert api._control("GET", "/bots")["bots"] == []


def test_a_scenario_file_with_an_unknown_vocabulary_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(SNAKE_FILE.replace("error_vocabulary: snake", "error_vocabulary: kebab"))
    with pytest.raises(ScenarioError) as info:
        ScenarioBook.load([tmp_path])
    assert str(info.value) == (
        f"{path}:3 (error_vocabulary): 'kebab' is not one of ['pascal', 'snake']"
    )
    # the server refuses to start with it, and says why
    proc = subprocess.run(
        [sys.executable, "-m", "mockbaas", "serve", "--port", "0", "--scenarios", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert f"{path}:3 (error_vocabulary): 'kebab' is not one of" in proc.stderr


def test_the_vocabulary_survives_a_restart_with_state(tmp_path: Path, folder: Path) -> None:
    """A bot saved before it failed fails in its vocabulary after the restart: the file's
    (the scenario is saved by name) or its own (saved with its request)."""
    path = tmp_path / "world.json"
    settings = Settings(port=0, strict=True, scenario_dirs=[folder], state_file=path)
    with WebhookReceiver() as receiver:
        with BackgroundServer(settings) as running:
            api = MockClient(running.url)
            by_file = api.join(MEET_URL, scenario="refused_snake", webhook_url=receiver.url)
            by_bot = api.join(
                "https://meet.google.com/own-abcd-efg",
                webhook_url=receiver.url,
                extra={"mockbaas_scenario": "rejected", "mockbaas_error_vocabulary": "snake"},
            )
            api.advance(10)  # both in the waiting room
        with BackgroundServer(settings) as running:
            api = MockClient(running.url)
            api.advance(60)
            for bot in (by_file, by_bot):
                assert final(api, receiver, bot)["data"]["error"] == "access_denied"


# -- the contract holds both vocabularies, exactly ---------------------------------------------
def test_the_contract_holds_both_vocabularies_and_the_mapping_is_total(
    contract: Contract,
) -> None:
    schemas = contract.document["components"]["schemas"]
    assert schemas["ErrorType"]["enum"] == list(lc.ERROR_TYPES)
    assert schemas["FailedErrorCode"]["enum"] == list(ec.SNAKE_CODES)
    assert schemas["FailedWebhookData"]["properties"]["error"]["oneOf"] == [
        {"$ref": "#/components/schemas/ErrorType"},
        {"$ref": "#/components/schemas/FailedErrorCode"},
    ]
    assert set(ec.TO_SNAKE) == set(lc.ERROR_TYPES)
    assert set(ec.TO_SNAKE.values()) <= set(ec.SNAKE_CODES)


def _reference_texts() -> list[tuple[str, str]]:
    """(where, text) of every reference text that documents the final webhooks."""
    docs = UPSTREAM / "meetingbaas-api-docs.md"
    files = [UPSTREAM / "meetingbaas-openapi-v1.1-2025-06-01.json"]
    files.append(UPSTREAM / "meetingbaas-v1-openapi-2026-04-10.json")
    if not docs.is_file() or not all(f.is_file() for f in files):
        pytest.skip("the upstream reference is not on this machine")
    texts = [(docs.name, docs.read_text(encoding="utf-8"))]
    for file in files:
        paths = json.loads(file.read_text(encoding="utf-8"))["paths"]
        for route in ("/bots/webhooks", "/bots/webhooks/bot"):
            texts.append((f"{file.name} {route}", paths[route]["get"]["description"]))
    return texts


def test_the_two_vocabularies_are_the_references_lists() -> None:
    """The guide's error table is the PascalCase list; every webhook reference page lists
    the snake_case codes, always the same five."""
    texts = _reference_texts()
    section = texts[0][1].split("### Error Types", 1)[1].split("###", 1)[0]
    table = re.findall(r"^\| ([A-Z][A-Za-z]+) +\|", section, re.M)
    assert table == ["Error", *lc.ERROR_TYPES]
    lists = [
        (where, re.findall(r"^- `([a-z_]+)`", block, re.M))
        for where, text in texts
        for block in re.findall(r"[Cc]ommon error types[^\n]*\n((?:- `[a-z_]+`[^\n]*\n)+)", text)
    ]
    assert len(lists) == 6  # docs: 2 pages; each v1 OpenAPI file: the same 2 pages
    assert all(codes == list(ec.SNAKE_CODES) for _, codes in lists), lists


# -- complete carries data.event --------------------------------------------------------------
def test_every_webhook_reference_page_shows_data_event_on_complete() -> None:
    """The guide's example alone omits it; the webhook reference (docs and both v1 files)
    always shows it, and lists it among the fields."""
    with_event, without = [], []
    for where, text in _reference_texts():
        for block in re.findall(r"```json\n(.*?)```", text.replace('\\"', '"'), re.S):
            if '"event": "complete"' not in block:
                continue
            payload = json.loads(block)
            if payload.get("event") == "complete":
                (with_event if payload["data"].get("event") == "complete" else without).append(
                    where
                )
    assert len(with_event) == 6  # docs: 2 pages; each v1 OpenAPI file: the same 2 pages
    assert without == []  # the guide's example is an http block, not a json one


def test_complete_carries_data_event(
    api: MockClient, receiver: WebhookReceiver, contract: Contract
) -> None:
    bot = api.join(MEET_URL, webhook_url=receiver.url)
    api.advance(3600)
    payload = final(api, receiver, bot)
    assert payload["event"] == "complete"
    keys = ["bot_id", "event_uuid", "mp4", "audio", "speakers", "event", "extra"]
    assert list(payload["data"]) == keys
    assert payload["data"]["event"] == "complete"
    conforms(contract, payload)
    # and the contract requires it: the guide's example without it does not conform
    bare = {"event": "complete", "data": {k: v for k, v in payload["data"].items() if k != "event"}}
    assert contract.webhook_errors("complete", bare) != []
