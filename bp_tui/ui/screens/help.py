"""Help overlay: every key of the screen it was opened over, and the keys that work anywhere."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from bp_tui.ui.commands import _described


def key_rows(node: object) -> list[tuple[str, str, str]]:
    """(keys, description, tooltip) per action of ``node``, keys merged."""
    rows: dict[tuple[str, str], list[str]] = {}
    tips: dict[tuple[str, str], str] = {}
    for key, binding in _described(node):  # type: ignore[arg-type]
        ident = (binding.action, binding.description)
        shown = binding.key_display or key
        rows.setdefault(ident, [])
        if shown not in rows[ident]:
            rows[ident].append(shown)
        tips.setdefault(ident, binding.tooltip)
    found = [(" / ".join(keys), ident[1], tips[ident]) for ident, keys in rows.items()]
    # This screen's own keys (they all explain themselves) before the generic ones (tab, copy).
    return sorted(found, key=lambda row: not row[2])


class HelpScreen(ModalScreen[None]):
    """Lists the keys of ``target`` (a screen) and of the app."""

    BINDINGS = [
        Binding(
            "escape",
            "dismiss",
            "Close help",
            id="help.close",
            key_display="Esc",
            tooltip="Back to the screen",
        ),
    ]

    def __init__(self, target: Screen) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        title = getattr(self.target, "HELP_TITLE", self.target.__class__.__name__)
        with VerticalScroll(id="help-body"):
            yield Static(
                self._table(f"{title}: keys", key_rows(self.target)), id="help-screen-keys"
            )
            yield Static(self._table("Anywhere", key_rows(self.app)), id="help-app-keys")
            yield Static(
                Text(
                    "ctrl+p opens the command palette with every action. "
                    "Esc, ? or F1 closes this help."
                ),
                id="help-footnote",
            )

    def _table(self, title: str, rows: list[tuple[str, str, str]]) -> Table:
        table = Table(
            title=title, title_justify="left", expand=True, show_edge=False, pad_edge=False
        )
        table.add_column("key", no_wrap=True, style="bold")
        table.add_column("action", no_wrap=True)
        table.add_column("what it does", ratio=1)
        for keys, description, tooltip in rows:
            table.add_row(keys, description, tooltip)
        return table
