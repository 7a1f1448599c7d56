"""The error tree of bp_tui/errors.py: three siblings by what the caller must do, the drawing in
its docstring, and no handler left that only undoes the tree."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bp_tui import errors
from bp_tui.errors import (
    ApiAuthError,
    ApiError,
    ApiProblem,
    ApiThrottled,
    ApiUnavailable,
    BpTuiError,
    CycleStop,
    StopRequested,
)

BRANCHES = (CycleStop, ApiError, ApiThrottled)  # stop the cycle, end one note, ask again later
PACKAGE = Path(errors.__file__).parent


def test_the_three_kinds_are_siblings():
    for one in BRANCHES:
        assert issubclass(one, BpTuiError)
        assert not any(issubclass(one, other) for other in BRANCHES if other is not one)


@pytest.mark.parametrize(
    "error, branch",
    [
        (ApiAuthError("brightpearl", 401, "refused"), CycleStop),
        (ApiUnavailable("shipstation", 0, "no answer"), CycleStop),
        (StopRequested(), CycleStop),
        (ApiError("shipstation", 400, "invalid"), ApiError),
        (ApiThrottled("shipstation", 429, "Too Many Requests"), ApiThrottled),
    ],
)
def test_each_error_is_caught_by_its_own_branch_only(error, branch):
    caught = []
    for handler in BRANCHES:
        try:
            raise error
        except handler:
            caught.append(handler)
        except BpTuiError:
            pass
    assert caught == [branch]
    if not isinstance(error, StopRequested):  # what the API said travels with every API kind
        assert isinstance(error, ApiProblem) and error.describe().startswith(
            ("Brightpearl", "ShipStation")
        )


def test_the_drawing_in_the_docstring_is_the_tree():
    drawn = re.findall(r"^( *)- ``(\w+)``", errors.__doc__ or "", re.MULTILINE)
    parents: list[tuple[int, type]] = []
    for indent, name in drawn:
        cls = getattr(errors, name)
        while parents and parents[-1][0] >= len(indent):
            parents.pop()
        if parents:
            assert issubclass(cls, parents[-1][1]), (
                f"{name} is drawn under {parents[-1][1].__name__}"
            )
        parents.append((len(indent), cls))
    names = {name for _, name in drawn}
    defined = {
        n for n, v in vars(errors).items() if isinstance(v, type) and issubclass(v, BpTuiError)
    }
    # ApiProblem: the shape the API kinds share, said below the drawing; ConfigWriteError: named in
    # brackets
    assert defined - names == {"ApiProblem", "ConfigWriteError"}


def _resolve(node: ast.expr | None, aliases: dict[str, list[type]] | None = None) -> list[type]:
    """The error classes a handler names: directly, or through a tuple of them named at module
    level."""
    items = node.elts if isinstance(node, ast.Tuple) else [node]
    names = [i.id for i in items if isinstance(i, ast.Name)]
    found = [c for n in names for c in (aliases or {}).get(n, [getattr(errors, n, None)])]
    return [c for c in found if isinstance(c, type)]


def _aliases(trees: list[ast.Module]) -> dict[str, list[type]]:
    """Module-level ``NAME = (ErrorA, ErrorB)`` in any module (such as a FATAL tuple)."""
    return {
        t.id: _resolve(node.value)
        for tree in trees
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple)
        for t in node.targets
        if isinstance(t, ast.Name) and _resolve(node.value)
    }


def test_no_handler_only_undoes_the_tree():
    """No ``except X: raise`` before an ``except Y`` that X belongs to, and no ``type(exc) is``
    test of an error class: the tree says it."""
    found = []
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in PACKAGE.rglob("*.py")}
    aliases = _aliases(list(trees.values()))
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Try):
                for i, first in enumerate(node.handlers):
                    body = first.body
                    bare = len(body) == 1 and isinstance(body[0], ast.Raise) and body[0].exc is None
                    mine = _resolve(first.type, aliases)
                    later = [c for h in node.handlers[i + 1 :] for c in _resolve(h.type, aliases)]
                    if bare and mine and all(any(issubclass(m, c) for c in later) for m in mine):
                        found.append(f"{path.name}:{first.lineno}")
            if (
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Call)
                and getattr(node.left.func, "id", "") == "type"
                and any(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops)
                and any(_resolve(c) for c in node.comparators)
            ):
                found.append(f"{path.name}:{node.lineno}")
    assert not found
