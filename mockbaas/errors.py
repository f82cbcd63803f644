"""Domain errors: what went wrong, in terms a caller can act on.

The engine raises these without knowing about HTTP; the HTTP surface maps each `code`
to a status and renders the shared `Error` schema of `openapi.json`.
"""

from __future__ import annotations

import difflib
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
    """A refused name's message: the nearest names first (a typo is the usual cause),
    then all of them."""
    names = sorted(known)
    near = difflib.get_close_matches(sent, names, n=3)
    hint = f"did you mean {' or '.join(near)}? " if near else ""
    return f"{hint}one of {', '.join(names)}"


def did_you_mean(given: object, choices: Iterable[object]) -> str:
    """`; did you mean "x"?` when `given` is a typo of one of `choices` (a different
    case, or close by `difflib`'s measure), else "": appended to a refusal's message."""
    if not isinstance(given, str) or not given:
        return ""
    names = [c for c in choices if isinstance(c, str)]
    by_case = [c for c in names if c.lower() == given.lower()]
    close = by_case or difflib.get_close_matches(given, names, n=1, cutoff=0.75)
    return f'; did you mean "{close[0]}"?' if close else ""


def bad_input(path: str, message: str) -> MockError:
    """A value the caller gave (`path`: its field, dotted) breaks a rule of the engine.

    The engine does not say where the value came from: everything its callers pass in
    arrived, at the HTTP surface, in a request body, so the detail names `body`."""
    return invalid("body", path, message)
