"""One table for every figure, the bare baseline beside it, and the same as JSON."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from typing import Any

OK = "ok"
MISS = "MISSES"
QUICK = "(quick)"  # a goal row of a --quick run: shown, not judged


@dataclass
class Row:
    section: str
    figure: str
    value: float | None
    unit: str
    bare: float | None = None  # the baseline, same unit, same run
    ratio: float | None = None  # value / bare, or another stated comparison
    goal: str = ""  # e.g. ">= 0.5x bare", "< 10 s"
    met: bool | None = None  # None: no goal for this figure
    note: str = ""

    @property
    def verdict(self) -> str:
        return "" if self.met is None else (OK if self.met else MISS)


@dataclass
class Report:
    load_tool: str
    settings: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)  # section -> why it did not finish
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def header(self) -> str:
        cores = os.cpu_count() or 0
        s = self.settings
        return (
            f"mockbaas bench: {cores} cores, Python {platform.python_version()}, "
            f"load generator {self.load_tool} ({s['connections']} connections, "
            f"{s['seconds']:g} s per run)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_tool": self.load_tool,
            "settings": self.settings,
            "rows": [{**asdict(r), "verdict": r.verdict} for r in self.rows],
            "failures": self.failures,
            "notes": self.notes,
            **self.extra,
        }

    def write_json(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.as_dict(), handle, indent=2)
            handle.write("\n")

    def table(self) -> str:
        quick = bool(self.settings.get("quick"))
        head = ("section", "figure", "mock", "bare", "ratio", "goal", "verdict")
        lines = [[*head]]
        for r in self.rows:
            lines.append(
                [
                    r.section,
                    r.figure,
                    _num(r.value, r.unit),
                    _num(r.bare, r.unit) if r.bare is not None else "",
                    f"{r.ratio:.2f}" if r.ratio is not None else "",
                    r.goal,
                    QUICK if quick and r.met is not None else r.verdict,
                ]
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
        right = {2, 3, 4}
        out = [self.header(), ""]
        for n, line in enumerate(lines):
            cells = [
                c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(line)
            ]
            out.append("  ".join(cells).rstrip())
            if n == 0:
                out.append("  ".join("-" * w for w in widths))
        for r in self.rows:
            if r.note:
                out.append(f"  {r.figure}: {r.note}")
        for note in self.notes:
            out.append(f"note: {note}")
        for section, why in self.failures.items():
            out.append(f"FAILED {section}: {why}")
        goals = [r for r in self.rows if r.met is not None]
        missed = [r for r in goals if not r.met]
        if quick:
            out.append(
                f"--quick: sizes too small to judge the {len(goals)} goals (they are stated "
                "for full sizes: run make bench); every figure above was still measured"
            )
        else:
            out.append(
                f"{len(goals) - len(missed)} of {len(goals)} goals met"
                + (f"; missed: {'; '.join(r.figure for r in missed)}" if missed else "")
            )
        return "\n".join(out)


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "%":
        return f"{value:+.0f}%"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()
