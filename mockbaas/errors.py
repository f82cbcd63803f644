"""Domain errors: what went wrong, in terms a caller can act on.

The engine raises these without knowing about HTTP; the HTTP surface maps each `code`
to a status and renders the shared `Error` schema of `openapi.json`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Detail:
    location: str  # body | query | path | header
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"location": self.location, "path": self.path, "message": self.message}


@dataclass
class MockError(Exception):
    code: str
    message: str
    details: list[Detail] = field(default_factory=list)
    retry_after: int | None = None
    #: a refusal by the mock's own policy or by a rule of time (a refused webhook target,
    #: "at least a minute ahead"): well-formed calls, so not contract violations in the
    #: traffic log
    behaviour: bool = False

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = [d.as_dict() for d in self.details]
        return body


def not_found(what: str, ident: str) -> MockError:
    return MockError("not_found", f"{what} {ident} not found")


def conflict(message: str) -> MockError:
    return MockError("conflict", message)


def invalid(location: str, path: str, message: str) -> MockError:
    """A request that is well-formed JSON but breaks a rule: 422 for bodies, 400 else."""
    code = "validation_error"
    return MockError(code, f"{path or location}: {message}", [Detail(location, path, message)])


def one_of(sent: str, known: Iterable[str]) -> str:
    """A refused name's message: every name it may be, then the one meant when `sent`
    is a typo of one (`did_you_mean`)."""
    names = sorted(known)
    return f"one of {', '.join(names)}{did_you_mean(sent, names)}"


def did_you_mean(given: object, choices: Iterable[object]) -> str:
    """`; did you mean "x"?` when `given` is a typo of one of `choices` (`closest`), else
    "": appended to a refusal's message."""
    meant = closest(given, choices)
    return f'; did you mean "{meant}"?' if meant is not None else ""


def closest(given: object, choices: Iterable[object]) -> str | None:
    """The one of `choices` that `given` is a typo of, if any.

    A typo is the same name in another case, or one edit away (two for names over six
    characters), counting a swap of neighbours as one edit (`jion`, `compelte`). Names
    whose digits differ are never taken for each other: `48khz` is no typo of `24khz`.
    Of several at the same distance the first in `choices` is the one."""
    if not isinstance(given, str) or not given:
        return None
    names = [c for c in choices if isinstance(c, str)]
    lowered = given.lower()
    for name in names:
        if name.lower() == lowered:
            return name
    limit = 1 if len(given) <= 6 else 2
    digits = _digits(given)
    best, best_distance = None, limit + 1
    for name in names:
        if _digits(name) != digits or abs(len(name) - len(given)) > limit:
            continue
        distance = _edits(lowered, name.lower(), limit)
        if distance < best_distance:
            best, best_distance = name, distance
    return best


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _edits(a: str, b: str, limit: int) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours that make `a` into
    `b` (optimal string alignment), or `limit + 1` once it is sure to be more."""
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, row = row, current
    return row[-1]


def bad_input(path: str, message: str) -> MockError:
    """A value the caller gave (`path`: its field, dotted) breaks a rule of the engine.

    The engine does not say where the value came from: everything its callers pass in
    arrived, at the HTTP surface, in a request body, so the detail names `body`."""
    return invalid("body", path, message)
