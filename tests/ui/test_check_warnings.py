"""A check that passes with a warning (the state file over 1 GB) reads "! warn" with its fix in
the dashboard's check lists, by word and glyph; a plain pass shows no fix."""

from __future__ import annotations

import io

from rich.console import Console

from bp_tui.core.types import CheckResult
from bp_tui.ui.screens.setup import checks_renderable


def text_of(renderable) -> str:  # type: ignore[no-untyped-def]
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_a_warning_shows_its_mark_and_fix_and_a_pass_does_not():
    shown = text_of(
        checks_renderable(
            [
                CheckResult(
                    "clock", "Clock sane", True, "0 s from the API server's clock", "set the clock"
                ),
                CheckResult(
                    "state_size",
                    "State file size",
                    True,
                    "1.2 GB, over 1.0 GB: 900,000 notes",
                    "lower sync.keep_days (now 90)",
                    warning=True,
                ),
                CheckResult(
                    "ss_auth", "ShipStation credentials accepted", False, "401", "paste both halves"
                ),
            ],
            running=False,
        )
    )
    lines = shown.splitlines()
    assert (
        any("✓ ok" in line and "Clock sane" in line for line in lines)
        and "set the clock" not in shown
    )
    assert any("! warn" in line and "State file size" in line for line in lines)
    assert "Fix: lower sync.keep_days (now 90)" in shown
    assert (
        any("✗ FAIL" in line and "ShipStation" in line for line in lines)
        and "Fix: paste both halves" in shown
    )
