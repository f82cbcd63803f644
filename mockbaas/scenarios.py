"""Scenario files: which life a bot lives, chosen per bot, checked at start-up.

A file is refused before the server starts when it breaks the JSON Schema shipped in
the package or when its steps are not a legal path through the state machine; the
message names the file, the line and the reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .bots import lifecycle as lc

SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "scenario.schema.json"
BUILTIN_DIR = Path(__file__).resolve().parent / "scenarios"
SCENARIO_FIELD = "mockbaas_scenario"  # key in a join request's `extra`


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Step:
    status: str
    after_ms: int = 0
    error_type: str | None = None
    error_message: str | None = None
    end_reason: str | None = None


@dataclass
class Scenario:
    name: str
    steps: list[Step]
    description: str = ""
    source: str = ""
    default: bool = False
    match: dict[str, re.Pattern[str]] = field(default_factory=dict)
    processing_ms: int = 5000
    speakers: list[str] | None = None
    transcript: list[dict[str, Any]] | None = None

    def matches(self, fields: dict[str, str]) -> bool:
        return bool(self.match) and all(
            rx.search(fields.get(key) or "") for key, rx in self.match.items()
        )

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "default": self.default,
            "match": {k: rx.pattern for k, rx in self.match.items()},
            "steps": [
                {"status": s.status, "after": s.after_ms / 1000}
                | ({"error_type": s.error_type} if s.error_type else {})
                | ({"end_reason": s.end_reason} if s.end_reason else {})
                for s in self.steps
            ],
        }


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


def parse(text: str, source: str = "<scenario>") -> Scenario:
    try:
        tree = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ScenarioError(f"{source}{line}: not valid YAML: {exc}") from None
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        raise ScenarioError(f"{_where(source, tree, list(err.absolute_path))}: {err.message}")
    steps = [
        Step(
            status=raw["status"],
            after_ms=int(round(raw.get("after", 0) * 1000)),
            error_type=raw.get("error_type"),
            error_message=raw.get("error_message"),
            end_reason=raw.get("end_reason"),
        )
        for raw in data["steps"]
    ]
    _check_path(steps, source, tree)
    return Scenario(
        name=data["name"],
        steps=steps,
        description=data.get("description", ""),
        source=source,
        default=bool(data.get("default", False)),
        match={k: re.compile(v) for k, v in data.get("match", {}).items()},
        processing_ms=int(round(data.get("processing_seconds", 5) * 1000)),
        speakers=data.get("speakers"),
        transcript=data.get("transcript"),
    )


def _check_path(steps: list[Step], source: str, tree: yaml.Node | None) -> None:
    """Replay the steps through the state machine; refuse what the engine would refuse."""
    current: str | None = None
    for index, step in enumerate(steps):
        where = _where(source, tree, ["steps", index, "status"])
        if current in (lc.BOT_REMOVED, lc.MEETING_ERROR) or lc.is_terminal(current):
            raise ScenarioError(f"{where}: no step may follow {current!r}, which ends the bot")
        if index == 0 and step.status != lc.JOINING_CALL:
            raise ScenarioError(f"{where}: the first step must be joining_call")
        if not lc.is_legal(current, step.status):
            allowed = ", ".join(sorted(lc.LEGAL.get(current, ()))) or "nothing"
            raise ScenarioError(
                f"{where}: {current or 'start'} -> {step.status} is not a legal transition "
                f"(allowed: {allowed})"
            )
        if step.error_type and step.status not in (lc.MEETING_ERROR, lc.BOT_REMOVED):
            raise ScenarioError(f"{where}: error_type only applies to meeting_error steps")
        if step.end_reason and step.status != lc.CALL_ENDED:
            raise ScenarioError(f"{where}: end_reason only applies to call_ended steps")
        current = step.status


class ScenarioBook:
    """Every loaded scenario, and the rule that picks one for a new bot."""

    def __init__(self, scenarios: list[Scenario]) -> None:
        self.by_name: dict[str, Scenario] = {}
        for scenario in scenarios:
            self.by_name[scenario.name] = scenario  # later directories override
        defaults = [s for s in self.by_name.values() if s.default]
        if not defaults:
            raise ScenarioError("no scenario is marked `default: true`")
        # a user's directory may replace the built-in default, but one folder holds one
        folders = [
            str(Path(s.source).parent) if ":" not in s.source[:8] else "builtin" for s in defaults
        ]
        last = folders[-1]
        if folders.count(last) > 1:
            names = ", ".join(s.name for s, f in zip(defaults, folders, strict=True) if f == last)
            raise ScenarioError(f"{last}: more than one default scenario ({names})")
        self.default = defaults[-1]

    @classmethod
    def load(cls, extra_dirs: list[Path] | None = None) -> ScenarioBook:
        found: list[Scenario] = []
        for directory in [BUILTIN_DIR, *(extra_dirs or [])]:
            directory = Path(directory)
            if not directory.is_dir():
                raise ScenarioError(f"{directory}: not a directory of scenario files")
            for path in sorted(directory.glob("*.y*ml")):
                source = f"builtin:{path.name}" if directory == BUILTIN_DIR else str(path)
                found.append(parse(path.read_text(encoding="utf-8"), source))
        return cls(found)

    def choose(self, requested: str | None, fields: dict[str, str]) -> Scenario:
        if requested is not None:
            try:
                return self.by_name[requested]
            except KeyError:
                known = ", ".join(sorted(self.by_name))
                raise KeyError(f"unknown scenario {requested!r}; loaded: {known}") from None
        for scenario in self.by_name.values():
            if scenario.matches(fields):
                return scenario
        return self.default
