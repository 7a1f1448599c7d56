"""The sandbox's modules import each other without a circle (issue 11).

Every import counts, also one inside a function, except under ``if TYPE_CHECKING:``.
``from a.b import c`` runs ``a/b/__init__.py`` first, so it is an edge to the package ``a.b``
as well as to the module ``a.b.c``: a package that re-exports its own submodule closes a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bp_tui

ROOT = Path(bp_tui.__file__).resolve().parent.parent
SANDBOX_FILES = sorted((ROOT / "bp_tui" / "sandbox").rglob("*.py")) + [ROOT / "bp_tui" / "cli" / "sandbox_cmd.py"]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_names(source: str, package: str) -> set[str]:
    """Dotted names this source imports at runtime (wherever the import statement is)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return names


def import_graph(files: list[Path], root: Path = ROOT) -> dict[str, set[str]]:
    modules = {module_name(p, root): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for target in imported_names(path.read_text(encoding="utf-8"), package):
            parts = target.split(".")
            for end in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
                prefix = ".".join(parts[:end])
                if prefix in modules and prefix != name:
                    edges.add(prefix)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = walk(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = walk(node)
            if found:
                return found
    return None


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        for nxt in graph.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_checker_sees_the_circles_it_must_refuse(tmp_path):
    pkg = tmp_path / "bp_tui" / "sandbox" / "demo"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("from bp_tui.sandbox.demo.state import State\n")
    (pkg / "state.py").write_text(
        "from typing import TYPE_CHECKING\nfrom bp_tui.sandbox.demo import shapes\n"
        "if TYPE_CHECKING:\n    from bp_tui.sandbox.demo.app import build\n"
        "class State:\n    def __init__(self):\n        from bp_tui.sandbox.demo.app import build\n")
    (pkg / "shapes.py").write_text("X = 1\n")
    (pkg / "app.py").write_text("from bp_tui.sandbox.demo.state import State\n")
    files = sorted(pkg.glob("*.py"))
    graph = import_graph(files, tmp_path)
    assert graph["bp_tui.sandbox.demo.state"] == {"bp_tui.sandbox.demo", "bp_tui.sandbox.demo.shapes",
                                                   "bp_tui.sandbox.demo.app"}
    assert find_cycle(graph) is not None
    (pkg / "state.py").write_text(  # the app only for type checking: the package's re-export still circles
        "from typing import TYPE_CHECKING\nfrom bp_tui.sandbox.demo import shapes\n"
        "if TYPE_CHECKING:\n    from bp_tui.sandbox.demo.app import build\n")
    assert find_cycle(import_graph(files, tmp_path)) == [
        "bp_tui.sandbox.demo", "bp_tui.sandbox.demo.state", "bp_tui.sandbox.demo"]
    (pkg / "__init__.py").write_text('"""docs only"""\n')
    assert find_cycle(import_graph(files, tmp_path)) is None


def test_sandbox_modules_import_without_a_circle():
    graph = import_graph(SANDBOX_FILES)
    assert "bp_tui.sandbox.shipstation.account" in graph and "bp_tui.cli.sandbox_cmd" in graph
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_an_account_never_reaches_its_app_and_seeding_never_reaches_the_account():
    graph = import_graph(SANDBOX_FILES)
    for api in ("brightpearl", "shipstation"):
        assert f"bp_tui.sandbox.{api}.app" not in reachable(graph, f"bp_tui.sandbox.{api}.account")
        assert f"bp_tui.sandbox.{api}.sandbox" not in reachable(graph, f"bp_tui.sandbox.{api}.app")
    assert "bp_tui.sandbox.brightpearl.account" not in reachable(graph, "bp_tui.sandbox.brightpearl.seed")
