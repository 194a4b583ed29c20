"""The one-way flow of ARCHITECTURE.md, checked on the source: the core never imports the layers that use it, and
no two netad modules import each other, directly or around a loop (imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "netad"
CORE = (
    "netad.detectors", "netad.nn", "netad.datasets", "netad.inputs", "netad.protocols", "netad.preprocess",
    "netad.supervision",
)  # fmt: skip
OUTER = (
    "netad.bench",
    "netad.persist",
    "netad.score",
    "netad.serve",
    "netad.cli",
    "netad.dashboard",
    "netad.report",
    "netad.viz",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def in_layer(module: str, layer: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in layer)


def import_graph() -> dict[str, set[str]]:
    """netad module -> the netad modules it names in any import statement, plus the packages whose ``__init__``
    such an import runs first (a package stands for its ``__init__``)."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
            else:
                continue
            for candidate in candidates:
                while candidate and candidate not in paths:  # `from netad.x import name` names module netad.x
                    candidate = candidate.rpartition(".")[0]
                if candidate.startswith("netad") and candidate != name:
                    targets.add(candidate)
                    break
        # importing a.b.c runs the __init__ of a.b first: count those packages too, except the importer's own
        own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 2)}
        for target in list(targets):
            parts = target.split(".")
            targets |= {".".join(parts[:i]) for i in range(2, len(parts))} - own
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_sees_the_package(graph) -> None:
    assert {"netad.detectors.base", "netad.pipeline", "netad.persist", "netad.bench.job"} <= set(graph)
    assert "netad.detectors.base" in graph["netad.pipeline"] or "netad.detectors" in graph["netad.pipeline"]


def test_the_core_never_imports_the_layers_that_use_it(graph) -> None:
    upward = {
        module: sorted(t for t in targets if in_layer(t, OUTER))
        for module, targets in graph.items()
        if in_layer(module, CORE)
    }
    assert {m: t for m, t in upward.items() if t} == {}


def test_no_import_cycle_inside_netad(graph) -> None:
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
