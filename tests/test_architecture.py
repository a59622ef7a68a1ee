"""The package's import graph: no circle, and no import up the layers (docs/architecture.md draws it)."""

from __future__ import annotations

import ast
import gc
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "auditlib"

#: each top-level module or subpackage and its floor; a module may import only from its floor or below
LAYERS = {
    "errors": 0,
    "outcome": 0,
    "arrowops": 0,
    "schema": 0,
    "i18n": 0,
    "calendar": 0,
    "mask": 1,
    "tablecache": 1,
    "load": 2,
    "rules": 3,
    "clauses": 3,
    "params": 4,
    "attestations": 4,
    "engine": 5,
    "partition": 5,
    "fixtures": 6,
    "docs": 6,
    "report": 6,
    "manifest": 7,
    "notebook": 7,
    "signing": 7,
    "kernel": 7,
    "runner": 8,
    "progress": 8,
    "batch": 9,
    "distributed": 10,
    "demo": 10,
    "checklist": 10,
    "cli": 11,
    "__main__": 12,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the auditlib modules it imports (relative and absolute imports, at any depth)."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(_parse(path)):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                module = ".".join(base + [node.module] if node.module else base)
                candidates = [module] + [f"{module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            targets |= {c for c in candidates if c in paths and c != name}
        graph[name] = targets
    return graph


def _parse(path: Path) -> ast.Module:
    """`ast.parse` with the garbage collector held off: under xdist, CPython 3.11.7 sometimes raised
    "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905, fixed in later 3.11
    releases) when a collection ran Python code while the tree was being built; parsed again once if so."""
    source = path.read_text(encoding="utf-8")
    gc.disable()
    try:
        try:
            return ast.parse(source)
        except SystemError:
            return ast.parse(source)
    finally:
        gc.enable()


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_every_module_has_a_floor():
    tops = {_top(m) for m in import_graph()} - {"auditlib"}
    assert tops <= set(LAYERS), f"add to LAYERS (and docs/architecture.md): {sorted(tops - set(LAYERS))}"


def test_no_import_up_the_layers():
    up = [
        f"{m} -> {t}"
        for m, targets in import_graph().items()
        for t in targets
        if _top(m) in LAYERS and _top(t) in LAYERS and LAYERS[_top(t)] > LAYERS[_top(m)]
    ]
    assert not up, "imports up the layers:\n" + "\n".join(sorted(up))


def test_no_import_circle():
    graph = import_graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph.get(m, ())):
            if t.startswith(m + ".") or m.startswith(t + "."):
                continue  # a package and its own modules
            if state.get(t) == 1:
                pytest.fail("import circle: " + " -> ".join(stack[stack.index(t) :] + [t]))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
