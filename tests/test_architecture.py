"""The static layer contract (ARCHITECTURE.md), checked on the source:

- no import cycle between packages or modules of bp_tui, counting imports inside functions
  (not those under ``if TYPE_CHECKING:``, which never run);
- nothing imports a higher layer, not even under ``if TYPE_CHECKING:``: core <- config/state <-
  clients <- sync/troubleshoot/alerts <- service <- sandbox/ui <- cli;
- the front ends (ui, cli) reach the rest through bp_tui.service (see FRONT_END_MAY_IMPORT);
- Textual only under bp_tui/ui;
- in bp_tui/sync: no class built from several project classes, no function over 80 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bp_tui

ROOT = Path(bp_tui.__file__).parent

# Lowest first. A module may import its own layer (without cycles) and any lower one.
LAYERS: list[tuple[str, ...]] = [
    ("bp_tui", "bp_tui.core", "bp_tui.errors", "bp_tui.paths"),
    ("bp_tui.config", "bp_tui.state"),
    ("bp_tui.apiclient", "bp_tui.brightpearl", "bp_tui.shipstation"),
    ("bp_tui.sync", "bp_tui.troubleshoot", "bp_tui.alerts"),
    ("bp_tui.service",),
    ("bp_tui.sandbox", "bp_tui.ui"),
    ("bp_tui.cli", "bp_tui.__main__"),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_names(name: str, *, typing: bool = False) -> set[tuple[str, str | None]]:
    """(module, name) for every import of ``name``: ``from m import n`` gives ("m", "n"),
    ``import m`` gives ("m", None). Imports under ``if TYPE_CHECKING:`` only when ``typing``."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[tuple[str, str | None]] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test) and not typing:
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found.update((base, alias.name) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def imports_of(name: str, *, typing: bool = False) -> set[str]:
    """Modules of bp_tui (and third-party roots) that ``name`` imports at run time (and under
    ``if TYPE_CHECKING:`` too, when ``typing``)."""
    found: set[str] = set()
    for base, alias in imported_names(name, typing=typing):
        # `from pkg import submodule` depends on the submodule, not on pkg/__init__.
        found.add(f"{base}.{alias}" if alias and f"{base}.{alias}" in MODULES else base)
    return found


# What runs: for the cycles. What is written, type-only imports too: for the layers.
GRAPH = {name: {m for m in imports_of(name) if m in MODULES and m != name} for name in MODULES}
TYPED_GRAPH = {
    name: {m for m in imports_of(name, typing=True) if m in MODULES and m != name}
    for name in MODULES
}


def layer_of(module: str) -> int:
    best, rank = -1, -1
    for index, roots in enumerate(LAYERS):
        for root in roots:
            if (module == root or module.startswith(root + ".")) and len(root) > best:
                best, rank = len(root), index
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS and ARCHITECTURE.md"
    return rank


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def connect(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return out


def test_every_module_is_in_a_layer():
    for name in MODULES:
        layer_of(name)


def test_no_import_cycle_between_modules():
    assert cycles(GRAPH) == []


def test_no_import_cycle_between_packages():
    packages: dict[str, set[str]] = {}
    for name, deps in GRAPH.items():
        for dep in deps:
            if (
                package_of(dep) != package_of(name)
                and package_of(name) != "bp_tui"
                and package_of(dep) != "bp_tui"
            ):
                packages.setdefault(package_of(name), set()).add(package_of(dep))
    assert cycles(packages) == []


def test_no_module_imports_a_higher_layer():
    upward = sorted(
        f"{name} -> {dep}"
        for name, deps in TYPED_GRAPH.items()
        for dep in deps
        if layer_of(dep) > layer_of(name)
    )
    assert upward == []


# What the dashboard and the CLI may import from bp_tui (type-only imports counted): the most
# specific entry that holds a module decides; its names (None: any name) and why.
FRONT_END_MAY_IMPORT: dict[str, tuple[frozenset[str] | None, str]] = {
    "bp_tui.service": (None, "the one seam: connections, setup, status, troubleshooting"),
    "bp_tui.core": (None, "plain types and rules the service's answers are made of"),
    "bp_tui.errors": (
        None,
        "the exceptions the service raises, and the one sanitizer and redactor",
    ),
    "bp_tui.paths": (None, "where the config and the state live, decided before anything opens"),
    "bp_tui.config": (
        None,
        "reading and checking the config the front end edits (saving: the service)",
    ),
    "bp_tui.ui": (None, "the dashboard's own package"),
    "bp_tui.cli": (None, "the CLI's own package"),
}
FRONT_END_MAY_NOT_NAME = {
    ("bp_tui.config", "save_config"): "the config is saved through bp_tui.service.setup"
}
CLI_ALSO_MAY_IMPORT = {"bp_tui.sandbox": "the demo and sandbox commands start the sandbox"}
PACKAGE_NAMES = frozenset({"__version__"})  # `from bp_tui import __version__`


def front_end_offences(name: str, found: set[tuple[str, str | None]]) -> list[str]:
    """The imports in ``found`` (of front-end module ``name``) that FRONT_END_MAY_IMPORT refuses."""
    allowed = dict(FRONT_END_MAY_IMPORT)
    if name.startswith("bp_tui.cli") or name == "bp_tui.__main__":
        allowed.update({root: (None, why) for root, why in CLI_ALSO_MAY_IMPORT.items()})
    out = []
    for module, alias in sorted(found, key=str):
        if module != "bp_tui" and not module.startswith("bp_tui."):
            continue
        if module == "bp_tui":
            if alias not in PACKAGE_NAMES:
                out.append(f"{name}: from bp_tui import {alias}")
            continue
        roots = [r for r in allowed if module == r or module.startswith(r + ".")]
        if not roots:
            out.append(f"{name}: {module}")
            continue
        names, _why = allowed[max(roots, key=len)]
        if (names is not None and alias not in names) or (module, alias) in FRONT_END_MAY_NOT_NAME:
            out.append(f"{name}: from {module} import {alias}")
    return out


def test_front_ends_reach_the_rest_through_the_service():
    front_ends = [
        name
        for name in sorted(MODULES)
        if name.startswith(("bp_tui.ui", "bp_tui.cli")) or name == "bp_tui.__main__"
    ]
    offences = [
        o
        for name in front_ends
        for o in front_end_offences(name, imported_names(name, typing=True))
    ]
    assert offences == []


def test_textual_only_under_ui():
    offenders = sorted(
        name
        for name in MODULES
        if not name.startswith("bp_tui.ui")
        and any(m == "textual" or m.startswith("textual.") for m in imports_of(name))
    )
    assert offenders == []


def _sync_trees() -> list[tuple[str, ast.Module]]:
    return [
        (name, ast.parse(MODULES[name].read_text(encoding="utf-8")))
        for name in sorted(MODULES)
        if name.startswith("bp_tui.sync")
    ]


def test_no_sync_class_is_built_from_several_project_classes():
    mixed = []
    for name, tree in _sync_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = [
                    b
                    for b in node.bases
                    if not (isinstance(b, ast.Name) and b.id in ("Exception", "object"))
                ]
                if len(bases) > 1:
                    mixed.append(f"{name}.{node.name}")
    assert mixed == []


def test_no_sync_function_is_longer_than_80_lines():
    long = []
    for name, tree in _sync_trees():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 80:
                    long.append(f"{name}.{node.name}: {length} lines")
    assert long == []


def test_the_checker_sees_a_cycle_and_an_upward_import():
    # The checks above are only as good as the graph: make sure it can fail.
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert (
        layer_of("bp_tui.core.stages") < layer_of("bp_tui.sync.cycle") < layer_of("bp_tui.ui.app")
    )
    assert "bp_tui.sync.context" in GRAPH["bp_tui.sync.cycle"]
    # Type-only imports count for the layers (the UI's Connector annotation is one).
    assert "bp_tui.service.connector" in TYPED_GRAPH["bp_tui.ui.app"] - GRAPH["bp_tui.ui.app"]
    # The front-end rule refuses a client, the config writer, the sandbox and the state itself.
    assert sorted(
        front_end_offences(
            "bp_tui.ui.app",
            {
                ("bp_tui.brightpearl.oauth", "LoginError"),
                ("bp_tui.config", "save_config"),
                ("bp_tui.sandbox.environment", "in_process"),
                ("bp_tui.state", "StateStore"),
                ("bp_tui.config", "Config"),
                ("bp_tui.state", "StateError"),
                ("bp_tui.state.profiles", "Profiles"),
                ("bp_tui.errors", "StateError"),
                ("bp_tui.service.profiles", "Profiles"),
            },
        )
    ) == [
        "bp_tui.ui.app: bp_tui.brightpearl.oauth",
        "bp_tui.ui.app: bp_tui.sandbox.environment",
        "bp_tui.ui.app: bp_tui.state",
        "bp_tui.ui.app: bp_tui.state",
        "bp_tui.ui.app: bp_tui.state.profiles",
        "bp_tui.ui.app: from bp_tui.config import save_config",
    ]
    assert (
        front_end_offences("bp_tui.cli.sandbox_cmd", {("bp_tui.sandbox.environment", "in_process")})
        == []
    )
