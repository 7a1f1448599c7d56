"""The core packages must never import Textual (harlequin's rule): headless commands
and servers stay light, and the UI can be replaced."""

import pkgutil
import subprocess
import sys

import bp_tui


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(bp_tui.__path__, prefix="bp_tui."):
        if info.name == "bp_tui.ui" or info.name.startswith("bp_tui.ui."):
            continue
        if info.name.endswith("dashboard_cmd") or info.name == "bp_tui.__main__":
            continue
        names.append(info.name)
    return names


def test_core_modules_do_not_import_textual():
    modules = core_modules()
    assert "bp_tui.config" in modules and "bp_tui.cli.main" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"textual imported by core: {result.stdout}"
