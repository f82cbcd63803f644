"""Scenario files: which life a bot lives, chosen per bot, checked at start-up.

A file is refused before the server starts when it breaks the JSON Schema shipped in
the package or when its steps are not a legal path through the state machine; the
message names the file, the line and the reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .bots import error_codes as ec
from .bots import lifecycle as lc

SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "scenario.schema.json"
BUILTIN_DIR = Path(__file__).resolve().parent / "scenarios"
SCENARIO_FIELD = "mockbaas_scenario"  # key in a join request's `extra`

#: how many (meeting_url, bot_name) choices are remembered before starting over
CHOICE_CACHE = 4096


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Step:
    status: str
    after_ms: int = 0
    error_type: str | None = None
    error_message: str | None = None
    end_reason: str | None = None

    @property
    def data(self) -> dict[str, str | None]:
        """What the step says besides its status (the keys of `lifecycle.STEP_DATA`)."""
        return {
            "error_type": self.error_type,
            "error_message": self.error_message,
            "end_reason": self.end_reason,
        }


@dataclass
class Scenario:
    name: str
    steps: tuple[Step, ...]  # shared by every bot living it: never changed
    description: str = ""
    source: str = ""
    default: bool = False
    match: dict[str, re.Pattern[str]] = field(default_factory=dict)
    processing_ms: int = 5000
    speakers: list[str] | None = None
    transcript: list[dict[str, Any]] | None = None
    #: recording time after which nobody speaks (None: people keep talking)
    silent_from_ms: int | None = None
    #: how the `failed` webhook spells its `error` (`bots/error_codes.py`)
    error_vocabulary: str = ec.DEFAULT
    #: the line of each top-level key in the file, for messages about the whole folder
    lines: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def matches(self, fields: dict[str, str]) -> bool:
        return bool(self.match) and all(
            rx.search(fields.get(key) or "") for key, rx in self.match.items()
        )

    def summary(self) -> dict[str, Any]:
        optional: dict[str, Any] = {}  # shown only when they change something
        if self.silent_from_ms is not None:
            optional["silent_from"] = self.silent_from_ms / 1000
        if self.error_vocabulary != ec.DEFAULT:
            optional["error_vocabulary"] = self.error_vocabulary
        return optional | {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "default": self.default,
            "match": {k: rx.pattern for k, rx in self.match.items()},
            "processing_seconds": self.processing_ms / 1000,
            "steps": [
                {"status": s.status, "after": s.after_ms / 1000}
                | ({"error_type": s.error_type} if s.error_type else {})
                | ({"end_reason": s.end_reason} if s.end_reason else {})
                for s in self.steps
            ],
        }


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _line(node: yaml.Node | None, path: list[Any]) -> int | None:
    """The 1-based line of the value at `path` in a composed YAML tree."""
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            break
        if node is None:
            break
    return node.start_mark.line + 1 if node is not None else None


def _where(source: str, tree: yaml.Node | None, path: list[Any]) -> str:
    line = _line(tree, path)
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return f"{source}:{line}" + (f" ({dotted})" if dotted else "") if line else source


def _duplicate_key(node: yaml.Node | None) -> yaml.Node | None:
    """The first key that appears twice in one mapping (YAML would keep the last)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        key: yaml.Node
        for key, value in node.value:
            if key.value in seen:
                return key
            seen.add(key.value)
            found = _duplicate_key(value)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found = _duplicate_key(item)
            if found is not None:
                return found
    return None


def parse(text: str, source: str = "<scenario>") -> Scenario:
    loader = yaml.SafeLoader(text)
    try:  # one pass: the node tree (for lines) and the data built from it
        tree = loader.get_single_node()
        data = loader.construct_document(tree) if tree is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        detail = str(exc).replace('"<unicode string>"', source)
        raise ScenarioError(f"{source}{line}: not valid YAML: {detail}") from None
    finally:
        loader.dispose()
    if tree is None:
        raise ScenarioError(f"{source}:1: empty file; a scenario needs a name and steps")
    twice = _duplicate_key(tree)
    if twice is not None:
        raise ScenarioError(
            f"{source}:{twice.start_mark.line + 1}: key {twice.value!r} is given twice"
        )
    errors = sorted(
        _validator().iter_errors(data),
        key=lambda e: [(isinstance(p, str), p) for p in e.absolute_path],
    )
    if errors:
        err = errors[0]
        path = list(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = err.schema.get("properties", {})
            path.append(sorted(str(k) for k in err.instance if k not in known)[0])  # its line
        raise ScenarioError(f"{_where(source, tree, path)}: {err.message}")
    assert isinstance(data, dict)  # the schema wants a mapping at the top
    steps = [
        Step(
            status=raw["status"],
            after_ms=int(round(raw.get("after", 0) * 1000)),
            **{name: raw.get(name) for name in lc.STEP_DATA},
        )
        for raw in data["steps"]
    ]
    _check_path(steps, source, tree)
    transcript = data.get("transcript")
    speakers = _speakers(data.get("speakers"), transcript, source, tree)
    return Scenario(
        name=data["name"],
        steps=tuple(steps),
        description=data.get("description", ""),
        source=source,
        default=bool(data.get("default", False)),
        match={k: re.compile(v) for k, v in data.get("match", {}).items()},
        processing_ms=int(round(data.get("processing_seconds", 5) * 1000)),
        speakers=speakers,
        transcript=transcript,
        silent_from_ms=(
            None if data.get("silent_from") is None else int(round(data["silent_from"] * 1000))
        ),
        error_vocabulary=data.get("error_vocabulary", ec.DEFAULT),
        lines={key.value: key.start_mark.line + 1 for key, _ in tree.value},
    )


def _check_path(steps: list[Step], source: str, tree: yaml.Node | None) -> None:
    """Replay the steps through the state machine; refuse what the engine would refuse."""
    current: str | None = None
    for index, step in enumerate(steps):
        where = _where(source, tree, ["steps", index, "status"])
        if current in lc.ENDING_STATES:
            raise ScenarioError(f"{where}: no step may follow {current!r}, which ends the bot")
        if index == 0 and step.status != lc.JOINING_CALL:
            raise ScenarioError(f"{where}: the first step must be joining_call")
        if not lc.is_legal(current, step.status):
            allowed = ", ".join(sorted(lc.LEGAL.get(current, ()))) or "nothing"
            raise ScenarioError(
                f"{where}: {current or 'start'} -> {step.status} is not a legal transition "
                f"(allowed: {allowed})"
            )
        misplaced = lc.misplaced_data(step.status, step.data)
        if misplaced is not None:
            name, why = misplaced
            raise ScenarioError(f"{_where(source, tree, ['steps', index, name])}: {name} {why}")
        current = step.status


def _speakers(
    given: list[str] | None,
    transcript: list[dict[str, Any]] | None,
    source: str,
    tree: yaml.Node | None,
) -> list[str] | None:
    """The scenario's speakers, consistent with its fixed transcript.

    With both, every line's speaker must be listed (else `complete.speakers` would
    disagree with the transcript); with a transcript alone, its speakers in order of
    first appearance.
    """
    if transcript is None:
        return given
    if given is None:
        return list(dict.fromkeys(line["speaker"] for line in transcript))
    for index, line in enumerate(transcript):
        if line["speaker"] not in given:
            where = _where(source, tree, ["transcript", index, "speaker"])
            raise ScenarioError(
                f"{where}: speaker {line['speaker']!r} is not one of the scenario's "
                f"speakers {given}"
            )
    return given


def _line_of(scenario: Scenario, key: str) -> str:
    """`source:line` of a top-level key of a parsed scenario file, for messages."""
    line = scenario.lines.get(key)
    return f"{scenario.source}:{line}" if line else scenario.source


def check_folder(scenarios: list[Scenario]) -> None:
    """One folder: names are unique and at most one scenario is the default."""
    names: dict[str, Scenario] = {}
    default: Scenario | None = None
    for scenario in scenarios:
        if scenario.name in names:
            raise ScenarioError(
                f"{_line_of(scenario, 'name')}: scenario name {scenario.name!r} is already "
                f"used by {names[scenario.name].source}"
            )
        names[scenario.name] = scenario
        if scenario.default:
            if default is not None:
                raise ScenarioError(
                    f"{_line_of(scenario, 'default')}: more than one default scenario in this "
                    f"folder ({default.name} in {default.source}, and {scenario.name})"
                )
            default = scenario


class ScenarioBook:
    """Every loaded scenario, and the rule that picks one for a new bot.

    Later folders win: a scenario replaces an earlier one of the same name, and a
    folder's `default: true` scenario replaces the earlier default.
    """

    def __init__(self, scenarios: list[Scenario]) -> None:
        self.by_name: dict[str, Scenario] = {}
        default_name: str | None = None
        for scenario in scenarios:
            self.by_name[scenario.name] = scenario
            if scenario.default:
                default_name = scenario.name
        if default_name is None:
            raise ScenarioError("no scenario is marked `default: true`")
        self.default = self.by_name[default_name]
        # only scenarios with `match` rules take part in choosing, in loading order
        self._matching = [s for s in self.by_name.values() if s.match]
        self._chosen: dict[tuple[str, str], Scenario] = {}

    @classmethod
    def load(cls, extra_dirs: list[Path] | None = None) -> ScenarioBook:
        found: list[Scenario] = []
        for directory in [BUILTIN_DIR, *(extra_dirs or [])]:
            directory = Path(directory)
            if not directory.is_dir():
                raise ScenarioError(f"{directory}: not a directory of scenario files")
            folder = []
            for path in sorted(directory.glob("*.y*ml")):
                source = f"builtin:{path.name}" if directory == BUILTIN_DIR else str(path)
                try:
                    text = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise ScenarioError(f"{source}: cannot be read as UTF-8 text: {exc}") from None
                folder.append(parse(text, source))
            check_folder(folder)
            found.extend(folder)
        return cls(found)

    def choose(self, requested: str | None, meeting_url: str, bot_name: str | None) -> Scenario:
        if requested is not None:
            try:
                return self.by_name[requested]
            except KeyError:
                known = ", ".join(sorted(self.by_name))
                raise KeyError(f"unknown scenario {requested!r}; loaded: {known}") from None
        key = (meeting_url or "", bot_name or "")
        chosen = self._chosen.get(key)
        if chosen is None:
            fields = {"meeting_url": key[0], "bot_name": key[1]}
            chosen = next((s for s in self._matching if s.matches(fields)), self.default)
            if len(self._chosen) >= CHOICE_CACHE:  # bots sent alike are the common case
                self._chosen.clear()
            self._chosen[key] = chosen
        return chosen
