"""The package's arrows run one way: no import circle, and the engine knows nothing of HTTP.

Imports inside functions count (deferring one is how a circle hides); imports under
`if TYPE_CHECKING:` do not (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

from support import ROOT

PACKAGE = ROOT / "mockbaas"

#: modules that model the world: they may not speak HTTP to API callers
ENGINE = (
    "mockbaas.core",
    "mockbaas.clock",
    "mockbaas.ids",
    "mockbaas.scenarios",
    "mockbaas.state",
    "mockbaas.bots.lifecycle",
    "mockbaas.bots.models",
    "mockbaas.bots.transcript",
    "mockbaas.calendars.models",
    "mockbaas.accounts.models",
    "mockbaas.zoom.models",
    "mockbaas.webhooks.journal",
    "mockbaas.webhooks.dispatcher",
)
HTTP_SERVER = ("aiohttp.web", "mockbaas.web")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module `module` imports at run time (names resolved to submodules)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    todo: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while todo:
        node = todo.pop()
        if _type_checking(node):
            todo.extend(getattr(node, "orelse", []))
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                child = f"{target}.{alias.name}"
                found.add(child if child in modules else target)
        todo.extend(ast.iter_child_nodes(node))
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _imports(m, p, modules) for m, p in modules.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    inside = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for root in sorted(inside):
        if root in index:
            continue
        work = [(root, iter(sorted(inside[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(inside[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))
    return circles


def test_no_import_circle():
    assert _circles(_graph()) == []


def test_the_circle_finder_finds_circles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _circles(graph) == [["a", "b", "c"]]


def test_the_engine_knows_nothing_of_http():
    graph = _graph()
    speaking = {
        module: sorted(
            d for d in graph[module] if any(d == h or d.startswith(h + ".") for h in HTTP_SERVER)
        )
        for module in ENGINE
    }
    assert {m: found for m, found in speaking.items() if found} == {}


def test_handlers_take_their_plumbing_from_web_calls_not_the_app():
    graph = _graph()
    assert sorted(m for m, deps in graph.items() if "mockbaas.web.app" in deps) == [
        "mockbaas.cli.foreground",
        "mockbaas.testing.server",
    ]


def test_the_toolkit_sits_on_top_of_the_mock():
    """`cli` → `suites` → `testing` → the mock: the mock imports none of them, the testing
    tools neither the suites nor the command line, the suites not the command line."""
    rooms = ("mockbaas.cli", "mockbaas.suites", "mockbaas.testing", "mockbaas.bench")

    def room(module: str) -> str | None:
        return next((r for r in rooms if module == r or module.startswith(r + ".")), None)

    below = {
        None: set(rooms),
        "mockbaas.testing": {"mockbaas.suites", "mockbaas.cli", "mockbaas.bench"},
        "mockbaas.suites": {"mockbaas.cli", "mockbaas.bench"},
        "mockbaas.cli": {"mockbaas.bench"},
    }
    upward = sorted(
        f"{module} -> {dep}"
        for module, deps in _graph().items()
        if module != "mockbaas.__main__"
        for dep in deps
        if room(dep) in below.get(room(module), set())
    )
    assert upward == []
