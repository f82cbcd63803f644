"""`openapi.json`, compiled once: the single source of truth for every check.

Request validation on the hot path, response validation (tests and `--strict`), webhook
payload validation and the webhook documentation routes all read from one `Contract`.
Schemas are compiled with jsonschema-rs at start-up; a request only runs compiled code.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import jsonschema_rs

from ..errors import Detail, MockError
from .documents import v1_path
from .explain import dotted, object_schema, to_error

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass
class Param:
    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    #: the JSON type a query or path string is converted to (read on every request)
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        kind = self.schema.get("type", "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        self.kind = str(kind)


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str
    secured: bool
    params: list[Param]
    body_required: bool
    body_media: str | None
    params_validator: Any = None
    params_schema: dict[str, Any] | None = None
    body_validator: Any = None
    body_schema: dict[str, Any] | None = None
    responses: dict[str, Any] = field(default_factory=dict)
    #: statuses whose body is not JSON (a page, a script): not checked beyond the status
    opaque: set[str] = field(default_factory=set)
    resolve: Any = None
    _query_names: frozenset[str] | None = field(default=None, repr=False, compare=False)
    _open: OpenFields | None = field(default=None, repr=False, compare=False)
    _checks: tuple[tuple[str | None, frozenset[str]], ...] | None = field(
        default=None, repr=False, compare=False
    )

    def coerce_params(self, raw: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
        """Turn query/path strings into the types the contract declares, then validate.

        A value that cannot be converted is reported the same way a schema failure is:
        400 with the parameter named.
        """
        values: dict[str, Any] = {}
        for param in self.params:
            given = raw.get(param.location)
            text = None if given is None else given.get(param.name)
            if text is None:
                continue
            values[param.name] = text if param.kind == "string" else _convert(param, text)
        if self.params_validator is not None and not self.params_validator.is_valid(values):
            errors = list(self.params_validator.iter_errors(values))
            if errors:
                raise to_error(
                    errors, self._param_location, "parameter", self.params_schema, self.resolve
                )
        return values

    def unknown_query(self, query: Any) -> tuple[str, ...]:
        """Query parameters the operation does not declare (`offset`, a misspelled
        filter): the real API ignores them, so a client relying on one gets unfiltered
        results; the traffic log flags them."""
        declared = self._query_names
        if declared is None:
            declared = self._query_names = frozenset(
                p.name for p in self.params if p.location == "query"
            )
        if declared.issuperset(query):  # the common case: nothing to flag
            return ()
        return tuple(sorted({name for name in query if name not in declared}))

    def _param_location(self, path: list[str | int]) -> str:
        if path:
            for param in self.params:
                if param.name == path[0]:
                    return param.location
        return "query"

    def ignored_fields(self, body: Any) -> tuple[str, ...]:
        """Body fields the contract does not declare where it lets an object carry more
        than its own (`automatic_leave.waiting_room_timout`, a misspelt key one level
        down): accepted and ignored, as the real API reads JSON, so named for the traffic
        log as `body.<dotted path>`. Only the objects that can hold such fields are
        looked at (worked out once per operation): a few set checks per request."""
        checks = self._checks
        if checks is None:  # not worked out yet
            self._open = _open_fields(self.body_schema, self.resolve or _same, 0)
            checks = self._checks = _flat_checks(self._open)
        if not checks or type(body) is not dict:
            return ()
        for name, declared in checks:  # the usual case: a few set checks, nothing found
            part = body if name is None else body.get(name)
            if type(part) is dict and not declared.issuperset(part):
                break
        else:
            if checks[-1][0] is not _DEEPER:
                return ()
        found: list[str] = []
        assert isinstance(self._open, tuple)
        _unknown_fields(self._open, body, "body", found)
        return tuple(found)

    def validate_body(self, body: Any) -> None:
        if self.body_validator is None or self.body_validator.is_valid(body):
            return
        errors = list(self.body_validator.iter_errors(body))
        if errors:
            validator = self.body_validator

            def accepts(path: list[str | int], value: Any) -> bool:
                changed = _with(body, path, value)
                return not any(
                    list(e.instance_path)[: len(path)] == path
                    for e in validator.iter_errors(changed)
                )

            raise to_error(
                errors, lambda _path: "body", "body", self.body_schema, self.resolve, accepts
            )


#: where undeclared fields may hide: an object's declared names when it takes others
#: too (None: it refuses them, or is free-form), and the same for its fields' objects
OpenFields = tuple[frozenset[str] | None, dict[str, "OpenFields"]]


def _same(node: dict[str, Any]) -> dict[str, Any]:
    return node


def _open_fields(schema: Any, resolve: Any, depth: int) -> OpenFields | None:
    node = object_schema(resolve(schema), resolve) if isinstance(schema, dict) else None
    if node is None or not isinstance(node.get("properties"), dict) or depth > 8:
        return None
    properties: dict[str, Any] = node["properties"]
    extra = node.get("additionalProperties", True)
    declared = frozenset(properties) if extra is True and properties else None
    children = {
        name: plan
        for name, sub in properties.items()
        if (plan := _open_fields(sub, resolve, depth + 1)) is not None
    }
    return None if declared is None and not children else (declared, children)


#: a check that always fails: the plan goes deeper than the flat checks look
_DEEPER: Any = object()


def _flat_checks(plan: OpenFields | None) -> tuple[tuple[str | None, frozenset[str]], ...]:
    """The plan as (the body's own declared names, or a field's: its name) checks, one
    level deep; a plan deeper than that ends with an always-failing check (full walk)."""
    if plan is None:
        return ()
    own, children = plan
    checks: list[tuple[str | None, frozenset[str]]] = []
    if own is not None:
        checks.append((None, own))
    deeper = False
    for name, (declared, below) in children.items():
        if declared is not None:
            checks.append((name, declared))
        deeper = deeper or bool(below)
    if deeper:
        checks.append((_DEEPER, frozenset()))
    return tuple(checks)


def _unknown_fields(plan: OpenFields, value: dict[str, Any], at: str, found: list[str]) -> None:
    declared, children = plan
    if declared is not None and not declared.issuperset(value):
        found.extend(f"{at}.{name}" for name in value if name not in declared)
    for name, sub in children.items():
        inner = value.get(name)
        if not isinstance(inner, dict):
            continue
        own, deeper = sub
        # the usual case, nothing undeclared and nothing below, names no path
        if deeper or (own is not None and not own.issuperset(inner)):
            _unknown_fields(sub, inner, f"{at}.{name}", found)


def _with(document: Any, path: list[str | int], value: Any) -> Any:
    """`document` with `value` at `path`, copied along the path (the rest shared)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(document, dict) and isinstance(head, str):
        return {**document, head: _with(document.get(head), rest, value)}
    if isinstance(document, list) and isinstance(head, int) and 0 <= head < len(document):
        copy = list(document)
        copy[head] = _with(document[head], rest, value)
        return copy
    return document


_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _not_a(param: Param, text: str, what: str) -> MockError:
    worded = param.schema.get("x-message")
    message = worded if isinstance(worded, str) else f"{text!r} is not {what}"
    return MockError(
        "validation_error",
        f"{param.name}: {message}",
        [Detail(param.location, param.name, message)],
    )


def _convert(param: Param, text: str) -> Any:
    kind = param.kind
    if kind == "integer":
        if _INTEGER.fullmatch(text):  # ASCII digits only: int() would take "٣" or " 5 "
            return int(text)
        raise _not_a(param, text, "an integer")
    if kind == "number":
        if _NUMBER.fullmatch(text) and math.isfinite(value := float(text)):
            return value
        raise _not_a(param, text, "a number")
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise _not_a(param, text, "a boolean (use true or false)")
    return text


class Contract:
    """The compiled contract. Build once per process; it is read-only afterwards."""

    def __init__(self, document: dict[str, Any], source: str = "its contract") -> None:
        self.document = document
        #: what to call it in messages (its file name when loaded from one)
        self.source = source
        self.components = document.get("components", {})
        self.operations: dict[str, Operation] = {}
        self._batch: list[tuple[dict[str, Any], Callable[[Any], None]]] = []
        global_security = document.get("security", [])
        for path, item in document.get("paths", {}).items():
            shared = item.get("parameters", [])
            for method in HTTP_METHODS:
                spec = item.get(method)
                if spec is None:
                    continue
                security = spec.get("security", global_security)
                op = Operation(
                    operation_id=spec["operationId"],
                    method=method.upper(),
                    path=path,
                    # `[]` or an empty requirement `{}` means anonymous access is allowed
                    secured=bool(security) and all(security),
                    params=[self._param(p) for p in [*shared, *spec.get("parameters", [])]],
                    body_required=False,
                    body_media=None,
                )
                self._compile_params(op)
                self._compile_body(op, spec.get("requestBody"))
                self._compile_responses(op, spec.get("responses", {}))
                self.operations[op.operation_id] = op
        self.webhooks: dict[str, dict[str, Any]] = {}
        self._webhook_validators: dict[str, Any] = {}
        for name, item in document.get("webhooks", {}).items():
            spec = item.get("post", {})
            schema = (
                self.resolve(spec.get("requestBody", {}))
                .get("content", {})
                .get("application/json", {})
                .get("schema")
            )
            if schema is None:
                continue
            self.webhooks[name] = {"description": spec.get("description", ""), "schema": schema}
            self._later(schema, partial(self._webhook_validators.__setitem__, name))
        self._compile_batch()

    def _later(self, schema: dict[str, Any], store: Callable[[Any], None]) -> None:
        self._batch.append((schema, store))

    def _compile_batch(self) -> None:
        """Every schema of the document compiled in one pass, sharing one compiled copy of
        `components`: compiled one by one, each validator carried its own copy of
        everything its refs reach (hundreds of MB of native memory for the two contracts)."""
        defs = {f"s{index}": schema for index, (schema, _) in enumerate(self._batch)}
        compiled = jsonschema_rs.validator_map_for(
            {"components": self.components, "$defs": defs}, validate_formats=True
        )
        for index, (_, store) in enumerate(self._batch):
            store(compiled.get(f"#/$defs/s{index}"))
        self._batch.clear()

    @classmethod
    def load(cls, path: Path | None = None) -> Contract:
        return _load_cached(str(path or v1_path()))

    # -- helpers ----------------------------------------------------------------------
    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while isinstance(node, dict) and "$ref" in node and len(node) == 1:
            node = self.pointer(node["$ref"])
        return node

    def pointer(self, ref: str) -> Any:
        node: Any = self.document
        for part in ref.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def compile(self, schema: dict[str, Any]) -> Any:
        wrapped = dict(schema)
        wrapped["components"] = self.components
        return jsonschema_rs.validator_for(wrapped, validate_formats=True)

    def _param(self, raw: dict[str, Any]) -> Param:
        raw = self.resolve(raw)
        return Param(raw["name"], raw["in"], bool(raw.get("required")), raw.get("schema", {}))

    def _compile_params(self, op: Operation) -> None:
        checked = [p for p in op.params if p.location in ("query", "path")]
        if not checked:
            return
        schema = {
            "type": "object",
            "properties": {p.name: p.schema for p in checked},
            "required": [p.name for p in checked if p.required],
        }
        self._later(schema, partial(setattr, op, "params_validator"))
        op.params_schema = schema
        op.resolve = self.resolve

    def _compile_body(self, op: Operation, body: dict[str, Any] | None) -> None:
        if not body:
            return
        body = self.resolve(body)
        content = body.get("content", {})
        media = "application/json" if "application/json" in content else next(iter(content), None)
        op.body_required = bool(body.get("required"))
        op.body_media = media
        schema = content.get(media, {}).get("schema") if media else None
        if schema:
            self._later(schema, partial(setattr, op, "body_validator"))
            op.body_schema = schema
            op.resolve = self.resolve

    def _compile_responses(self, op: Operation, responses: dict[str, Any]) -> None:
        for status, response in responses.items():
            response = self.resolve(response)
            content = response.get("content", {})
            schema = content.get("application/json", {}).get("schema")
            op.responses[status] = None
            if schema:
                self._later(schema, partial(op.responses.__setitem__, status))
            if content and "application/json" not in content:
                op.opaque.add(status)

    # -- public checks --------------------------------------------------------------------
    def response_errors(self, operation_id: str, status: int, body: bytes | bytearray) -> list[str]:
        """Why a response breaks the contract (empty when it conforms)."""
        op = self.operations[operation_id]
        key = str(status)
        if key not in op.responses:
            key = f"{key[0]}XX"
            if key not in op.responses:
                if "default" not in op.responses:
                    return [f"status {status} is not declared for {operation_id}"]
                key = "default"
        validator = op.responses[key]
        if key in op.opaque:
            return []
        if validator is None:
            return [] if not body else [f"status {status} of {operation_id} declares no body"]
        try:
            payload = json.loads(body)
        except ValueError as exc:
            return [f"response body is not JSON: {exc}"]
        return [
            f"{dotted(list(e.instance_path)) or '<root>'}: {e.message}"
            for e in validator.iter_errors(payload)
        ]

    def webhook_errors(self, event: str, payload: Any) -> list[str]:
        validator = self._webhook_validators.get(event)
        if validator is None:
            return [f"no webhook named {event!r} in the contract"]
        if validator.is_valid(payload):  # the common case, without collecting errors
            return []
        return [
            f"{dotted(list(e.instance_path)) or '<root>'}: {e.message}"
            for e in validator.iter_errors(payload)
        ]

    def webhook_documentation(self, events: list[str] | None = None) -> dict[str, Any]:
        """The body of the /bots/webhooks* routes, built from the `webhooks` section."""
        docs = []
        for name, hook in self.webhooks.items():
            if events is not None and name not in events:
                continue
            schema = self.resolve(hook["schema"])
            docs.append(
                {
                    "event": name,
                    "description": hook["description"] or schema.get("description", ""),
                    "payload_schema": _inline(self, hook["schema"]),
                }
            )
        return {"events": docs}


def _inline(contract: Contract, node: Any, depth: int = 0) -> Any:
    """A schema with its local refs replaced, so readers need no other document."""
    if depth > 20:
        return {}
    if isinstance(node, dict):
        if "$ref" in node:
            target = _inline(contract, contract.pointer(node["$ref"]), depth + 1)
            rest = {k: _inline(contract, v, depth + 1) for k, v in node.items() if k != "$ref"}
            return {**target, **rest} if rest else target
        return {k: _inline(contract, v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(contract, v, depth + 1) for v in node]
    return node


@lru_cache(maxsize=4)
def _load_cached(path: str) -> Contract:
    with open(path, encoding="utf-8") as handle:
        return Contract(json.load(handle), Path(path).name)
