"""The state is split by concern: no class in bp_tui/state grows past 25 public methods."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import bp_tui.state

LIMIT = 25


def _public_members(cls: type) -> list[str]:
    """The class's own public methods and properties (its attributes set in __init__ excluded)."""
    return sorted(
        name
        for name, value in vars(cls).items()
        if not name.startswith("_")
        and (
            inspect.isfunction(value)
            or isinstance(value, property)
            or isinstance(value, (staticmethod, classmethod))
        )
    )


def _classes() -> list[type]:
    found = []
    for info in pkgutil.iter_modules(bp_tui.state.__path__):
        module = importlib.import_module(f"bp_tui.state.{info.name}")
        found += [
            c
            for _n, c in inspect.getmembers(module, inspect.isclass)
            if c.__module__ == module.__name__
        ]
    return found


def test_no_class_in_state_has_more_than_25_public_methods() -> None:
    classes = _classes()
    assert any(c.__name__ == "StateStore" for c in classes)  # the walk reaches the store
    too_big = {
        c.__qualname__: len(_public_members(c)) for c in classes if len(_public_members(c)) > LIMIT
    }
    assert not too_big, f"split these by concern (at most {LIMIT} public methods): {too_big}"


def test_public_methods_are_counted_through_the_class_hierarchy() -> None:
    """Methods inherited from a base in this package count toward the class that offers them."""
    for cls in _classes():
        inherited = {
            name
            for base in cls.__mro__[1:]
            if base.__module__.startswith("bp_tui.state")
            for name in _public_members(base)
        }
        assert len(set(_public_members(cls)) | inherited) <= LIMIT, cls.__qualname__
