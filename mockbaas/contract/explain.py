"""Why a value breaks a schema, in words a caller can act on: the field named, down to
the one the caller meant, as the `MockError` every surface renders."""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from ..errors import Detail, MockError


def dotted(path: list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_KIND = jsonschema_rs.ValidationErrorKind


def _named_paths(err: Any) -> list[tuple[list[str | int], str]]:
    """Where an error points, down to the field it names, and what is wrong there.

    A missing or an unexpected property is reported at its parent object by the schema
    engine; the caller wants the field itself (`bot_name`, not the whole body). An
    `anyOf` (how the contract spells "X or null") is explained by the one branch the
    value could have meant, so `automatic_leave.noone_joined_timeout` is named rather
    than "not valid under any of the schemas" at `automatic_leave`.
    """
    path = list(err.instance_path)
    kind = err.kind
    if isinstance(kind, _KIND.Required):
        return [([*path, kind.property], "is required")]
    if isinstance(kind, _KIND.AdditionalProperties):
        unknown = "is not a field of this object (unknown fields are rejected)"
        return [([*path, name], unknown) for name in kind.unexpected] or [(path, err.message)]
    if isinstance(kind, (_KIND.AnyOf, _KIND.OneOfNotValid)):
        meant = [b for b in kind.context if not _wrong_type_only(b, path)]
        if len(meant) == 1:
            return [named for sub in meant[0] for named in _named_paths(sub)]
        if not meant:
            types = [
                t
                for b in kind.context
                for x in b
                if isinstance(x.kind, _KIND.Type)
                for t in x.kind.types
            ]
            allowed = " or ".join(dict.fromkeys(f'"{t}"' for t in types))
            return [(path, f"{err.message.split(' is not ')[0]} is not of type {allowed}")]
    return [(path, err.message)]


def _wrong_type_only(branch: list[Any], path: list[str | int]) -> bool:
    """Whether a branch failed only because the value has another type than it wants
    (an enum of strings does not want an object either)."""
    for e in branch:
        if list(e.instance_path) != path:
            return False
        if isinstance(e.kind, _KIND.Enum):
            if any(_json_type(o) == _json_type(e.instance) for o in e.kind.options):
                return False
        elif not isinstance(e.kind, _KIND.Type):
            return False
    return True


def _json_type(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def to_error(errors: list[Any], locate: Any, what: str) -> MockError:
    details = []
    for err in errors[:10]:
        for path, message in _named_paths(err):
            details.append(Detail(locate(path), dotted(path), message))
    first = details[0]
    where = first.path or what
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return MockError("validation_error", f"{where}: {first.message}{more}", details)
