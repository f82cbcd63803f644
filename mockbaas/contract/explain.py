"""Why a value breaks a schema, in words a caller can act on: the field named, down to
the one the caller meant, as the `MockError` every surface renders.

A document may word a field's refusal itself with `x-message` on the field's schema: a
string (any failure of that value, or its absence when required), or an object keyed by
the keyword that failed (`{"additionalProperties": "unknown field; expected time"}` on an
object, `{"minProperties": ...}`); a list worded as a whole answers for its items too.
`{enum}` in a message lists the schema's `enum`. A field that is "X or null" (an
`anyOf`) finds the message on the branch that words it. The control document uses it
throughout, the API contract for the two rules no plain schema failure explains (a bare
provider name); without it the default wording below stands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema_rs

from ..errors import Detail, MockError, closest, did_you_mean


def dotted(path: list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_KIND = jsonschema_rs.ValidationErrorKind


def _named_paths(err: Any) -> list[tuple[list[str | int], str, str, Any]]:
    """Where an error points, down to the field it names, what is wrong there, the
    keyword that failed and the (innermost) error itself, which `_hint` reads.

    A missing or an unexpected property is reported at its parent object by the schema
    engine; the caller wants the field itself (`bot_name`, not the whole body). An
    `anyOf` (how the contract spells "X or null") is explained by the one branch the
    value could have meant, so `automatic_leave.noone_joined_timeout` is named rather
    than "not valid under any of the schemas" at `automatic_leave`.
    """
    path = list(err.instance_path)
    kind = err.kind
    if isinstance(kind, _KIND.Required):
        return [([*path, kind.property], "is required", "required", err)]
    if isinstance(kind, _KIND.AdditionalProperties):
        unknown = "is not a field of this object (unknown fields are rejected)"
        named = [([*path, name], unknown, "additionalProperties", err) for name in kind.unexpected]
        return named or [(path, err.message, "additionalProperties", err)]
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
            message = f"{err.message.split(' is not ')[0]} is not of type {allowed}"
            return [(path, message, "type", err)]
    return [(path, err.message, _keyword(kind), err)]


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


Resolve = Callable[[dict[str, Any]], dict[str, Any]]


def _keyword(kind: Any) -> str:
    """`ValidationErrorKind.MinProperties` -> `minProperties`, the keyword that failed."""
    name = type(kind).__name__
    return name[:1].lower() + name[1:]


def _worded(node: Any, keyword: str | None) -> str | None:
    """The schema's own `x-message` for a failure of `keyword` (None: of a value inside
    it, which only a plain string covers), if it words one."""
    if not isinstance(node, dict):
        return None
    message = node.get("x-message")
    if isinstance(message, dict):
        message = message.get(keyword) if keyword else None
    if not isinstance(message, str):
        return None
    enum = node.get("enum")
    if "{enum}" in message and isinstance(enum, list):
        message = message.replace("{enum}", ", ".join(str(e) for e in enum if e is not None))
    return message


def _own_message(
    schema: dict[str, Any], path: list[str | int], keyword: str, resolve: Resolve
) -> tuple[list[str | int], str] | None:
    """Where and how the document words this failure: the innermost schema on the way
    down to the failing value that has a message for it (a list worded as a whole
    answers for its items). A stray field is worded by its object and keeps its name
    when the object words `additionalProperties` itself."""
    stray = keyword == "additionalProperties"
    target = path[:-1] if stray else path
    found = None
    node: Any = resolve(schema)
    for depth in range(len(target) + 1):
        if not isinstance(node, dict):
            break
        own = depth == len(target)
        message = _worded(node, keyword if own else None)
        if message is None and own:
            message = _worded_branch(node, keyword, resolve)
        if message is not None:
            keeps_name = stray and own and isinstance(node.get("x-message"), dict)
            found = (path if keeps_name else target[:depth], message)
        if own:
            break
        part = target[depth]
        child = node.get("items") if isinstance(part, int) else node.get("properties", {}).get(part)
        node = resolve(child) if isinstance(child, dict) else None
    return found


def _no_refs(node: dict[str, Any]) -> dict[str, Any]:
    return node


def _worded_branch(
    node: dict[str, Any], keyword: str, resolve: Resolve, depth: int = 0
) -> str | None:
    """An `x-message` for `keyword` on a branch of the node's `anyOf`/`oneOf` (followed
    through `$ref`s, two levels down): how "X or null" fields word a rule of X."""
    if depth > 2:
        return None
    branches: list[Any] = node.get("anyOf") or node.get("oneOf") or []
    for branch in branches:
        if not isinstance(branch, dict):
            continue
        message = _worded(branch, keyword)
        target = resolve(branch)
        if message is None and target is not branch:
            message = _worded(target, keyword)
        if message is None:
            message = _worded_branch(target, keyword, resolve, depth + 1)
        if message is not None:
            return message
    return None


#: whether a value put at a path would pass where the one sent did not
Accepts = Callable[[list[str | int], Any], bool]


def _hint(
    err: Any,
    path: list[str | int],
    keyword: str,
    schema: dict[str, Any] | None,
    resolve: Resolve,
    accepts: Accepts | None = None,
) -> str:
    """A suggestion for a value or a field name that is one typo away from a right one:
    an enum's member (`"complet"`), an object's declared field (`bot_nme`)."""
    if keyword == "enum" and isinstance(err.kind, _KIND.Enum):
        instance = err.instance if list(err.instance_path) == path else None
        meant = closest(instance, err.kind.options)
        if meant is None or (accepts is not None and not accepts(path, meant)):
            return ""  # no typo, or one whose fix would be refused too (a rule beside the enum)
        return f'; did you mean "{meant}"?'
    if keyword == "additionalProperties" and schema is not None and path:
        node = _schema_at(schema, path[:-1], resolve)
        properties = node.get("properties") if node is not None else None
        if isinstance(properties, dict):
            return did_you_mean(path[-1], properties)
    return ""


def _schema_at(
    schema: dict[str, Any], path: list[str | int], resolve: Resolve
) -> dict[str, Any] | None:
    """The object schema a value at `path` is checked against, through properties,
    items and the branches of an `anyOf` (the contract's "X or null") that are objects."""
    node: Any = resolve(schema)
    for part in path:
        node = object_schema(node, resolve)
        if node is None:
            return None
        child = node.get("items") if isinstance(part, int) else node.get("properties", {}).get(part)
        node = resolve(child) if isinstance(child, dict) else None
    return object_schema(node, resolve)


def object_schema(node: Any, resolve: Resolve) -> dict[str, Any] | None:
    """The schema of `node` that describes an object (`properties` or `items`), through
    the branches of an `anyOf`/`oneOf` ("X or null"); None when none does."""
    if not isinstance(node, dict):
        return None
    if "properties" in node or "items" in node:
        return node
    branches: list[Any] = node.get("anyOf") or node.get("oneOf") or []
    for branch in branches:
        found = object_schema(resolve(branch) if isinstance(branch, dict) else None, resolve)
        if found is not None:
            return found
    return None


def to_error(
    errors: list[Any],
    locate: Any,
    what: str,
    schema: dict[str, Any] | None = None,
    resolve: Resolve = _no_refs,
    accepts: Accepts | None = None,
) -> MockError:
    details = []
    for err in errors[:10]:
        for path, message, keyword, cause in _named_paths(err):
            hint = _hint(cause, path, keyword, schema, resolve, accepts)
            worded = _own_message(schema, path, keyword, resolve) if schema else None
            if worded is not None:
                path, message = worded
            details.append(Detail(locate(path), dotted(path), message + hint))
    first = details[0]
    where = first.path or what
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return MockError("validation_error", f"{where}: {first.message}{more}", details)
