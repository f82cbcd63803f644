"""Scenario files: every kind of bad file is refused at load with file, line and reason;
`mockbaas check-scenarios` exit codes; a user's folder (matching rules, default override,
fixed speakers and transcript) on a real server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockbaas import cli
from mockbaas.clock import DEFAULT_START, iso, to_ms
from mockbaas.config import Settings
from mockbaas.core import MockBaaS
from mockbaas.scenarios import BUILTIN_DIR, ScenarioBook, ScenarioError, parse
from mockbaas.testing import BackgroundServer, MockClient

T0 = to_ms(DEFAULT_START)
GOOD = "name: fine\nsteps:\n  - {status: joining_call}\n"


def at(seconds: float) -> str:
    return iso(T0 + int(round(seconds * 1000)))


def refusal(tmp_path: Path, text: str, name: str = "bad.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        ScenarioBook.load([tmp_path])
    return str(info.value)


BAD_FILES = [
    pytest.param(
        "name: bad\nsteps:\n  - {status: joining_call\n  - {status: call_ended}\n",
        4,
        "not valid YAML",
        id="invalid-yaml",
    ),
    pytest.param("name: bad\nsteps: [\n", 3, "not valid YAML", id="unterminated"),
    pytest.param("---\nname: a\n---\nname: b\n", 3, "not valid YAML", id="two-documents"),
    pytest.param(
        "name: bad\nsteps:\n  - status: joining_call\n  - status: dancing\n    after: 3\n",
        "4 (steps[1].status)",
        "'dancing' is not one of",
        id="unknown-status",
    ),
    pytest.param(
        "name: bad\nsteps:\n  - status: joining_call\n  - status: in_waiting_room\n    after: -3\n",
        "5 (steps[1].after)",
        "-3 is less than the minimum of 0",
        id="negative-after",
    ),
    pytest.param(
        "name: bad\nsteps:\n  - status: joining_call\n    after: soon\n",
        "4 (steps[0].after)",
        "'soon' is not of type 'number'",
        id="after-not-a-number",
    ),
    pytest.param(
        "name: bad\ncolour: red\nsteps:\n  - {status: joining_call}\n",
        "2 (colour)",
        "Additional properties are not allowed ('colour' was unexpected)",
        id="unknown-top-level-key",
    ),
    pytest.param(
        "name: bad\nsteps:\n  - status: joining_call\n  - status: in_waiting_room\n    wait: 3\n",
        "5 (steps[1].wait)",
        "('wait' was unexpected)",
        id="unknown-step-key",
    ),
    pytest.param(
        "name: bad\nsteps:\n  - status: joining_call\n  - status: meeting_error\n"
        "    error_type: Oops\n",
        "5 (steps[1].error_type)",
        "'Oops' is not one of",
        id="unknown-error-type",
    ),
    pytest.param(
        "name: Bad Name\nsteps:\n  - {status: joining_call}\n",
        "1 (name)",
        "does not match",
        id="bad-name",
    ),
    pytest.param(
        "steps:\n  - {status: joining_call}\n", 1, "'name' is a required property", id="no-name"
    ),
    pytest.param("name: bad\nsteps: []\n", "2 (steps)", "should be non-empty", id="no-steps"),
    pytest.param("- just\n- a list\n", 1, "is not of type 'object'", id="not-a-mapping"),
    pytest.param("", 1, "empty file", id="empty"),
    pytest.param(
        "name: bad\nmatch:\n  meeting_url: '(unclosed'\nsteps:\n  - {status: joining_call}\n",
        "3 (match.meeting_url)",
        "is not a 'regex'",
        id="bad-regex",
    ),
    pytest.param(
        "name: bad\nmatch:\n  host: zoom\nsteps:\n  - {status: joining_call}\n",
        "3 (match.host)",
        "('host' was unexpected)",
        id="unknown-match-field",
    ),
    pytest.param(
        "name: bad\nname: again\nsteps:\n  - {status: joining_call}\n",
        2,
        "key 'name' is given twice",
        id="duplicate-key",
    ),
    pytest.param(
        "name: bad\nsteps:\n  - {status: joining_call}\n  - {status: in_call_recording}\n",
        "4 (steps[1].status)",
        "joining_call -> in_call_recording is not a legal transition (allowed: bot_rejected, "
        "call_ended, in_call_not_recording, in_waiting_room, invalid_meeting_url, meeting_error)",
        id="illegal-transition",
    ),
    pytest.param(
        "name: bad\nsteps:\n  - {status: joining_call}\n  - {status: in_call_not_recording}\n"
        "  - {status: recording_paused}\n",
        "5 (steps[2].status)",
        "in_call_not_recording -> recording_paused is not a legal",
        id="pause-before-recording",
    ),
    pytest.param(
        "name: bad\nsteps:\n  - {status: joining_call}\n  - {status: bot_rejected}\n"
        "  - {status: in_call_not_recording}\n",
        "5 (steps[2].status)",
        "no step may follow 'bot_rejected', which ends the bot",
        id="after-terminal",
    ),
    pytest.param(
        "name: bad\nsteps:\n  - {status: joining_call}\n  - {status: call_ended}\n"
        "  - {status: call_ended}\n",
        "5 (steps[2].status)",
        "no step may follow 'call_ended'",
        id="after-call-ended",
    ),
    pytest.param(
        "name: bad\nsteps:\n  - {status: joining_call}\n  - {status: in_call_not_recording}\n"
        "  - {status: bot_removed}\n  - {status: call_ended}\n",
        "6 (steps[3].status)",
        "no step may follow 'bot_removed'",
        id="after-removed",
    ),
    pytest.param(
        "name: bad\nsteps:\n  - {status: in_waiting_room}\n",
        "3 (steps[0].status)",
        "the first step must be joining_call",
        id="first-not-joining",
    ),
    pytest.param(
        "name: bad\nsteps:\n  - {status: joining_call}\n  - status: in_waiting_room\n"
        "    error_type: InternalError\n",
        "5 (steps[1].error_type)",
        "error_type only applies to meeting_error",
        id="error-type-misplaced",
    ),
    pytest.param(
        "name: bad\nsteps:\n  - {status: joining_call}\n  - status: bot_rejected\n"
        "    error_message: nope\n",
        "5 (steps[1].error_message)",
        "error_message only applies to meeting_error",
        id="error-message-misplaced",
    ),
    pytest.param(
        "name: bad\nspeakers: [Ada]\ntranscript:\n  - {speaker: Ada, text: Hello}\n"
        "  - speaker: Bob\n    text: Hi\nsteps:\n  - {status: joining_call}\n",
        "5 (transcript[1].speaker)",
        "speaker 'Bob' is not one of the scenario's speakers ['Ada']",
        id="transcript-speaker-not-in-speakers",
    ),
    pytest.param(
        "name: bad\nsteps:\n  - {status: joining_call}\n  - status: meeting_error\n"
        "    end_reason: api_request\n",
        "5 (steps[1].end_reason)",
        "end_reason only applies to call_ended",
        id="end-reason-misplaced",
    ),
]


@pytest.mark.parametrize(("text", "where", "reason"), BAD_FILES)
def test_bad_file_is_refused_with_file_line_and_reason(
    tmp_path: Path, text: str, where: object, reason: str
) -> None:
    message = refusal(tmp_path, text)
    path = tmp_path / "bad.yaml"
    assert message.startswith(f"{path}:{where}: "), message
    assert reason in message


def test_two_defaults_in_one_folder(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\ndefault: true\nsteps:\n  - {status: joining_call}\n")
    message = refusal(
        tmp_path,
        "name: b\ndescription: x\ndefault: true\nsteps:\n  - {status: joining_call}\n",
        "b.yaml",
    )
    assert message == (
        f"{tmp_path / 'b.yaml'}:3: more than one default scenario in this folder "
        f"(a in {tmp_path / 'a.yaml'}, and b)"
    )


def test_a_name_twice_in_one_folder(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    message = refusal(tmp_path, "# copy\n" + GOOD, "b.yaml")
    assert message == (
        f"{tmp_path / 'b.yaml'}:2: scenario name 'fine' is already used by {tmp_path / 'a.yaml'}"
    )


def test_missing_folder_and_missing_default(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not a directory of scenario files"):
        ScenarioBook.load([tmp_path / "nowhere"])
    with pytest.raises(ScenarioError, match="no scenario is marked `default: true`"):
        ScenarioBook([parse(GOOD)])


def test_builtin_files_all_load() -> None:
    book = ScenarioBook.load()
    assert book.default.name == "happy_path"
    assert sorted(book.by_name) == sorted(
        parse(p.read_text()).name for p in BUILTIN_DIR.glob("*.yaml")
    )
    assert all(s.source == f"builtin:{s.name}.yaml" for s in book.by_name.values())


def test_a_bad_folder_stops_the_server_from_starting(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: bad\nsteps:\n  - {status: in_call_recording}\n")
    with pytest.raises(ScenarioError, match=r"bad\.yaml:3 \(steps\[0\]\.status\)"):
        MockBaaS(Settings(scenario_dirs=[tmp_path]))
    done = subprocess.run(
        [sys.executable, "-m", "mockbaas", "serve", "--port", "0", "--scenarios", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{tmp_path / 'bad.yaml'}:3 (steps[0].status)" in done.stderr


# -- check-scenarios --------------------------------------------------------------------------
def test_check_scenarios_lists_and_exits_zero(tmp_path: Path, capsys) -> None:
    (tmp_path / "mine.yaml").write_text("name: mine\ndefault: true\n" + GOOD.split("\n", 1)[1])
    assert cli.main(["check-scenarios", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "happy_path: builtin:happy_path.yaml" in out
    assert f"mine (default): {tmp_path / 'mine.yaml'}" in out
    assert cli.main(["check-scenarios"]) == 0
    assert "happy_path (default): builtin:happy_path.yaml" in capsys.readouterr().out


def test_check_scenarios_refuses_with_exit_two(tmp_path: Path, capsys) -> None:
    (tmp_path / "bad.yaml").write_text("name: bad\nsteps:\n  - {status: nope}\n")
    assert cli.main(["check-scenarios", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mockbaas: {tmp_path / 'bad.yaml'}:3 (steps[0].status): ")
    assert cli.main(["check-scenarios", str(tmp_path / "absent")]) == 2
    done = subprocess.run(
        [sys.executable, "-m", "mockbaas", "check-scenarios", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "'nope' is not one of" in done.stderr


# -- a user's folder on a real server -----------------------------------------------------------
USER_FILES = {
    "acme.yaml": """\
name: acme
description: Acme's Zoom calls have two known speakers and a fixed script.
match:
  meeting_url: 'acme\\.zoom\\.us'
processing_seconds: 2
speakers: [Ada Lovelace, Grace Hopper]
transcript:
  - {speaker: Ada Lovelace, text: Shall we begin}
  - {speaker: Grace Hopper, text: Yes please, at: 10}
steps:
  - {status: joining_call}
  - {status: in_call_not_recording, after: 1}
  - {status: in_call_recording, after: 1}
  - {status: call_ended, after: 60, end_reason: no_speaker}
""",
    "script.yaml": """\
name: script
description: A fixed script without a speakers list; it runs past the recording.
transcript:
  - {speaker: Grace Hopper, text: Good morning}
  - {speaker: Ada Lovelace, text: Morning}
  - {speaker: Grace Hopper, text: one two three four five six seven, at: 58}
  - {speaker: Ada Lovelace, text: never heard, at: 75}
steps:
  - {status: joining_call}
  - {status: in_call_not_recording, after: 1}
  - {status: in_call_recording, after: 1}
  - {status: call_ended, after: 60, end_reason: no_speaker}
""",
    "board.yaml": """\
name: board
match:
  bot_name: '^Board'
steps:
  - {status: joining_call}
  - {status: in_waiting_room, after: 1}
""",
    "house.yaml": """\
name: house
default: true
steps:
  - {status: joining_call}
  - {status: in_waiting_room, after: 3}
  - {status: bot_rejected, after: 4}
""",
    "no_speaker.yaml": """\
name: no_speaker
description: overrides the built-in of the same name
steps:
  - {status: joining_call}
  - {status: invalid_meeting_url, after: 1}
""",
}


@pytest.fixture(scope="module")
def user_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    folder = tmp_path_factory.mktemp("scenarios")
    for name, text in USER_FILES.items():
        (folder / name).write_text(text)
    with BackgroundServer(Settings(port=0, strict=True, scenario_dirs=[folder])) as server:
        server.folder = folder  # type: ignore[attr-defined]
        yield server


@pytest.fixture
def user_api(user_server: BackgroundServer) -> MockClient:
    client = MockClient(user_server.url)
    client.reset()
    return client


def test_user_scenarios_are_listed(user_api: MockClient, user_server) -> None:
    listed = user_api.scenarios()
    assert listed["default"] == "house"
    by_name = {s["name"]: s for s in listed["scenarios"]}
    assert set(by_name) >= {"acme", "board", "house", "happy_path", "no_speaker"}
    assert by_name["acme"]["match"] == {"meeting_url": "acme\\.zoom\\.us"}
    assert by_name["acme"]["source"] == str(user_server.folder / "acme.yaml")
    assert by_name["no_speaker"]["source"] == str(user_server.folder / "no_speaker.yaml")
    assert by_name["happy_path"]["source"] == "builtin:happy_path.yaml"


def test_matching_rules_then_user_default(user_api: MockClient) -> None:
    acme = user_api.join("https://acme.zoom.us/j/42", speech_to_text={"provider": "Default"})
    board = user_api.join("https://zoom.us/j/7", bot_name="Board sync")
    plain = user_api.join("https://zoom.us/j/8")
    named = user_api.join("https://acme.zoom.us/j/43", scenario="happy_path")  # name wins
    assert [user_api.bot(b)["scenario"] for b in (acme, board, plain, named)] == [
        "acme",
        "board",
        "house",
        "happy_path",
    ]
    user_api.advance(3600)
    assert [(e["code"], e["created_at"]) for e in user_api.bot(plain)["history"]] == [
        ("joining_call", at(0)),
        ("in_waiting_room", at(3)),
        ("bot_rejected", at(7)),
    ]
    view = user_api.bot(acme)
    assert view["history"][-1] == {
        "code": "call_ended",
        "created_at": at(62),
        "end_reason": "no_speaker",
    }
    complete = user_api.webhooks(bot_id=acme, event="complete")[0]
    assert complete["created_at"] == at(64)  # processing_seconds: 2
    data = complete["payload"]["data"]
    assert data["speakers"] == ["Ada Lovelace", "Grace Hopper"]
    assert [
        (seg["speaker"], seg["offset"], [w["word"] for w in seg["words"]])
        for seg in data["transcript"]
    ] == [
        ("Ada Lovelace", 1.0, ["Shall", "we", "begin"]),
        ("Grace Hopper", 10.0, ["Yes", "please"]),
    ]


def test_a_fixed_transcript_gives_the_speakers_and_stops_at_the_recording(
    user_api: MockClient,
) -> None:
    """Speakers in order of first appearance; nothing said after the 60 recorded seconds."""
    bot_id = user_api.join(scenario="script", speech_to_text={"provider": "Default"})
    user_api.advance(3600)
    data = user_api.webhooks(bot_id=bot_id, event="complete")[0]["payload"]["data"]
    assert data["speakers"] == ["Grace Hopper", "Ada Lovelace"]
    assert [
        (seg["speaker"], seg["offset"], [w["word"] for w in seg["words"]])
        for seg in data["transcript"]
    ] == [
        ("Grace Hopper", 1.0, ["Good", "morning"]),
        ("Ada Lovelace", 2.18, ["Morning"]),
        # words are 0.32 s with 0.04 s between: "six" would end at 60.12
        ("Grace Hopper", 58.0, ["one", "two", "three", "four", "five"]),
        # the line at 75 s was never recorded
    ]
    listed = user_api.request("GET", "/bots/bots_with_metadata").json()["bots"]
    assert listed[0]["speakers"] == ["Grace Hopper", "Ada Lovelace"]


def test_user_file_overrides_a_builtin_by_name(user_api: MockClient) -> None:
    bot_id = user_api.join("https://zoom.us/j/9", scenario="no_speaker")
    user_api.advance(60)
    assert user_api.bot(bot_id)["error_type"] == "InvalidMeetingUrl"


def test_overriding_the_builtin_default_by_name_keeps_it_the_default(tmp_path: Path) -> None:
    (tmp_path / "happy_path.yaml").write_text(
        "name: happy_path\nsteps:\n  - {status: joining_call}\n  - {status: bot_rejected}\n"
    )
    book = ScenarioBook.load([tmp_path])
    assert book.default is book.by_name["happy_path"]
    assert book.default.source == str(tmp_path / "happy_path.yaml")
    assert book.choose(None, "https://zoom.us/j/1", None) is book.default
    with pytest.raises(KeyError, match="unknown scenario 'nope'; loaded: cannot_join, "):
        book.choose("nope", "", None)


def test_unreadable_file_is_a_scenario_error(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"latin1\.yaml: cannot be read as UTF-8 text"):
        ScenarioBook.load([tmp_path])
