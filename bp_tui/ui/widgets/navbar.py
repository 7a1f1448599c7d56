"""Top line: which screen is open (marked with ▸ and brackets, not colour alone)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from bp_tui.ui.keys import MODE_KEYS, MODE_TITLES


class NavBar(Static):
    def __init__(self, current: str, *, id: str | None = "navbar") -> None:  # noqa: A002
        super().__init__(id=id)
        self.current = current

    def on_mount(self) -> None:
        self.update(self.render_bar())

    def render_bar(self) -> Text:
        text = Text()
        text.append(" bp-tui ", style="bold reverse")
        for mode, title in MODE_TITLES.items():
            if mode == self.current:
                text.append(f" ▸[{title} {MODE_KEYS[mode]}] ", style="bold")
            else:
                text.append(f"  {title} {MODE_KEYS[mode]}  ", style="dim")
        sub = self.app.sub_title
        if sub:
            text.append(f" │ {sub}", style="italic")
        return text
